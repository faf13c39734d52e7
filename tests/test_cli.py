"""The command line as people script it: exit codes, the export contract, the report."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sichter.cli import app
from sichter.demo.photos import encode, sample

CONTRACT = {"path", "source", "size", "md5", "sha1", "sha256", "media_type", "mime", "width",
            "height", "pdq", "pdq_quality", "exif", "deleted", "error", "matches", "scores",
            "priority", "category"}


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[CliRunner, list[str]]:
    monkeypatch.setenv("SICHTER_USER", "tester")
    monkeypatch.setenv("SICHTER_WORKERS", "2")
    return CliRunner(), ["--home", str(tmp_path / "home")]


@pytest.fixture
def evidence(tmp_path: Path) -> Path:
    root = tmp_path / "ev"
    root.mkdir()
    im = sample("astronaut")
    exif = Image_exif()
    (root / "IMG_0001.jpg").write_bytes(encode(im, "JPEG", exif=exif))
    (root / "notes.txt").write_text("nothing to see\n")
    return root


def Image_exif() -> bytes:  # noqa: N802 - a tiny builder used by one fixture
    from PIL import Image

    exif = Image.Exif()
    exif[271] = "DemoCam"
    exif[272] = "Model 7"
    gps = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 36.0)}
    exif[0x8825] = gps
    return exif.tobytes()


def test_case_create_list_ingest_export_report(cli: tuple[CliRunner, list[str]], evidence: Path,
                                               tmp_path: Path) -> None:
    runner, home = cli
    assert runner.invoke(app, [*home, "case", "create", "2026-0815", "--title", "Demo"]).exit_code == 0
    listed = runner.invoke(app, [*home, "case", "list"])
    assert "2026-0815" in listed.output
    result = runner.invoke(app, [*home, "ingest", "2026-0815", str(evidence)])
    assert result.exit_code == 0, result.output
    out = runner.invoke(app, [*home, "export", "2026-0815", "--format", "jsonl"])
    assert out.exit_code == 0
    rows = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert len(rows) == 2
    assert all(set(r) >= CONTRACT for r in rows)
    photo = next(r for r in rows if r["path"] == "ev/IMG_0001.jpg")
    assert photo["source"] == str(evidence.resolve())
    assert photo["exif"]["make"] == "DemoCam" and photo["exif"]["model"] == "Model 7"
    assert photo["exif"]["gps"]["lat"] == pytest.approx(52.52, abs=1e-3)
    assert photo["exif"]["gps"]["lon"] == pytest.approx(13.41, abs=1e-3)
    assert photo["deleted"] is False and photo["matches"] == [] and photo["category"] is None

    target = tmp_path / "out.csv"
    assert runner.invoke(app, [*home, "export", "2026-0815", "-f", "csv", "-o", str(target)]).exit_code == 0
    table = list(csv.DictReader(io.StringIO(target.read_text())))
    assert {r["path"] for r in table} == {"ev/IMG_0001.jpg", "ev/notes.txt"}

    report = tmp_path / "r.html"
    assert runner.invoke(app, [*home, "report", "2026-0815", "-o", str(report)]).exit_code == 0
    html = report.read_text()
    assert str(evidence.resolve()) in html and "folder-manifest-sha256" in html
    assert "<img" not in html


def test_usage_errors_exit_2_with_a_clear_message(cli: tuple[CliRunner, list[str]], evidence: Path,
                                                  tmp_path: Path) -> None:
    runner, home = cli
    unknown = runner.invoke(app, [*home, "ingest", "nope", str(evidence)])
    assert unknown.exit_code == 2 and "no case named 'nope'" in unknown.output
    runner.invoke(app, [*home, "case", "create", "c"])
    missing = runner.invoke(app, [*home, "ingest", "c", str(tmp_path / "absent")])
    assert missing.exit_code == 2 and "not found" in missing.output
    assert runner.invoke(app, [*home, "case", "create", "c"]).exit_code == 2
    assert runner.invoke(app, [*home, "case", "create", "../bad"]).exit_code == 2
    assert runner.invoke(app, [*home, "export", "c", "--format", "xml"]).exit_code == 2
    assert runner.invoke(app, [*home, "frobnicate"]).exit_code == 2


def test_a_broken_store_is_a_failed_run_exit_1(cli: tuple[CliRunner, list[str]], tmp_path: Path) -> None:
    runner, _ = cli
    bad = runner.invoke(app, ["--db", "postgresql+psycopg://nobody@127.0.0.1:1/none", "case", "list"])
    assert bad.exit_code == 1 and "cannot open the case store" in bad.output


def test_help_answers_quickly() -> None:
    import subprocess
    import sys
    import time

    # Quick because --help loads no runtime, model or database library (each costs a second
    # or more on a cold start); asserted on the modules, which a loaded machine cannot flake.
    heavy = ("onnxruntime", "cv2", "sqlalchemy", "sklearn", "dlib", "av", "weasyprint", "pytsk3",
             "faiss", "fastapi", "numpy", "PIL", "skops")
    probe = ("import sys; sys.argv = ['sichter', '--help']; from sichter.cli import app\n"
             "try:\n    app()\nexcept SystemExit:\n    pass\n"
             f"print('LOADED', [m for m in {heavy!r} if m in sys.modules])")
    start = time.monotonic()
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert out.returncode == 0 and "ingest" in out.stdout
    assert "LOADED []" in out.stdout
    assert time.monotonic() - start < 30.0  # only a hang fails this; the modules decide speed
