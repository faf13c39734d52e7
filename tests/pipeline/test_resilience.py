"""An ingest survives hangs and kills: the batch goes on, and a resumed run equals a clean one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from sichter.demo.photos import encode, sample
from sichter.pipeline.ingest import ingest
from sichter.report.export import records
from sichter.settings import Settings
from sichter.store import cases
from sichter.store.crypto import load_master_key
from sichter.store.db import open_store


def _comparable(rows: list[dict]) -> list[str]:
    return sorted(json.dumps(r, sort_keys=True) for r in rows)


def test_a_file_over_the_time_limit_gets_an_error_and_the_rest_lands(
        sqlite_settings: Settings, tmp_path: Path) -> None:
    evidence = tmp_path / "ev"
    evidence.mkdir()
    # A 144 MP PNG of one colour: 2 MB on disk, ~1 s to decode on an idle core, twice the limit.
    Image.new("RGB", (12000, 12000), (30, 60, 90)).save(evidence / "slow.png", compress_level=1)
    (evidence / "quick.jpg").write_bytes(encode(sample("coffee"), "JPEG"))
    # Model stages are off: their first-use loading would count against this short limit.
    settings = sqlite_settings.model_copy(update={
        "skip_stages": ["ai", "video", "orb_ransac", "pdq_dihedral"],
        "limits": sqlite_settings.limits.model_copy(update={"per_file_timeout_s": 0.5})})
    sessions = open_store(settings.effective_database_url)
    cases.create_case(sessions, load_master_key(settings.home, None), "t", None, "tester")
    ingest(settings, sessions, "t", [evidence])
    rows = {r["path"]: r for r in records(sessions, "t")}
    assert "timed out" in rows["ev/slow.png"]["error"]
    assert rows["ev/quick.jpg"]["error"] is None and rows["ev/quick.jpg"]["pdq"]


@pytest.mark.slow
def test_ingest_killed_midway_resumes_to_exactly_a_clean_run(tmp_path: Path, demo_evidence: Path) -> None:
    many = tmp_path / "many"
    many.mkdir()
    for i in range(300):  # enough work that the kill lands mid-way
        im = sample(["astronaut", "coffee", "rocket", "chelsea"][i % 4]).rotate(i % 360)
        (many / f"IMG_{i:04d}.jpg").write_bytes(encode(im, "JPEG", quality=60 + i % 30))
    sources = [str(demo_evidence), str(many)]
    env = {**os.environ, "SICHTER_USER": "tester", "SICHTER_COMMIT_EVERY": "25"}
    cli = [sys.executable, "-m", "sichter.cli"]

    def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*cli, "--home", str(home), *args], env=env, capture_output=True,
                              text=True, timeout=600)

    clean, killed = tmp_path / "clean", tmp_path / "killed"
    for home in (clean, killed):
        assert run(home, "case", "create", "k").returncode == 0
    assert run(clean, "ingest", "k", *sources, "--workers", "2").returncode == 0

    proc = subprocess.Popen([*cli, "--home", str(killed), "ingest", "k", *sources, "--workers", "2"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    db = killed / "sichter.db"
    deadline = time.monotonic() + 120
    sessions = None
    while time.monotonic() < deadline:
        time.sleep(0.2)
        if db.exists():
            sessions = sessions or open_store(f"sqlite:///{db}")
            try:
                n = sum(1 for _ in records(sessions, "k"))
            except Exception:  # noqa: BLE001 - the store may be mid-migration
                continue
            if n >= 120:
                break
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = sum(1 for _ in records(open_store(f"sqlite:///{db}"), "k"))
    total = sum(1 for _ in records(open_store(f"sqlite:///{clean / 'sichter.db'}"), "k"))
    assert 0 < partial < total, "the kill must land mid-way for this test to mean anything"

    assert run(killed, "ingest", "k", *sources, "--workers", "2").returncode == 0

    def rows(home: Path) -> list[str]:
        out = run(home, "export", "k", "--format", "jsonl")
        assert out.returncode == 0
        parsed = [json.loads(line) for line in out.stdout.splitlines()]
        for r in parsed:  # access times move when the clean run reads the files first
            r.pop("accessed", None)
        return _comparable(parsed)

    assert rows(killed) == rows(clean)
