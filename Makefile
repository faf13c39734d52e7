# Sichter — `make demo` sets everything up and runs the main job; `make test` runs the suite.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
APT_STAMP := /var/lib/sichter-apt.stamp
# Debian packages the tests and the platform need (browser for UI tests, disk tools for
# building test images, FFmpeg headers for building vpdq, pango for WeasyPrint PDFs,
# libarchive for RAR archives, qemu-img for virtual-disk test images).
APT_PACKAGES := chromium ewf-tools sleuthkit dosfstools mtools ntfs-3g e2fsprogs exfatprogs qemu-utils pkg-config \
	libavcodec-dev libavformat-dev libavfilter-dev libavdevice-dev libavutil-dev \
	libswscale-dev libswresample-dev genisoimage libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core poppler-utils \
	libarchive13
PG_URL ?= postgresql+psycopg://postgres@localhost:5432/test

.PHONY: setup apt venv demo test test-fast lint postgres bench clean-demo

setup: apt $(STAMP)

apt:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip wheel setuptools
	$(PIP) install -q -e ".[dev]"
	@touch $(STAMP)

postgres:
	@if ! pg_isready -h localhost -p 5432 -q 2>/dev/null; then \
	  if ls /etc/postgresql >/dev/null 2>&1; then \
	    pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | head -1) main start || true; \
	  fi; \
	  for i in $$(seq 1 30); do pg_isready -h localhost -p 5432 -q && break; sleep 1; done; \
	fi

demo: setup
	rm -rf demo-evidence
	$(VENV)/bin/sichter demo generate demo-evidence
	$(VENV)/bin/sichter case list 2>/dev/null | grep -q ' demo ' || $(VENV)/bin/sichter case create demo --title "Benign demo case"
	$(VENV)/bin/sichter ingest demo demo-evidence
	$(VENV)/bin/sichter report demo -o demo-report.html
	@echo "demo report: demo-report.html — export: $(VENV)/bin/sichter export demo --format jsonl"

test: setup postgres
	SICHTER_TEST_PG_URL=$(PG_URL) $(VENV)/bin/pytest -q -n 2 --dist loadgroup

test-fast: setup
	$(VENV)/bin/pytest -q -x -m "not slow and not browser"

lint: setup
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/mypy src

bench: setup
	$(PY) bench/ingest.py

clean-demo:
	rm -rf demo-evidence sichter-data demo-report.html
