"""Matching benign photos after ingest: resized, JPEG-recompressed and grayscale copies match
by PDQ, mirrored and rotated ones by dihedral PDQ; an exported case re-imported as a hash set
matches every one of its files exactly; export records carry status and matches."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image
from typer.testing import CliRunner

from sichter.cli import app
from sichter.demo.photos import TRANSFORMS, encode, sample
from sichter.signals.pdq import PDQ

PHOTOS = ["astronaut", "coffee", "chelsea", "rocket"]
EXPECTED = {"half": "pdq", "jpeg35": "pdq", "gray": "pdq", "mirror": "pdq_dihedral", "rot90": "pdq_dihedral"}


def _pdq(im: Image.Image) -> str:
    im.thumbnail((512, 512))
    return PDQ.compute(np.asarray(im)).value


def _evidence(root: Path) -> None:
    root.mkdir()
    for name in PHOTOS:
        im = sample(name)
        for t in ("half", "gray", "mirror", "rot90"):
            (root / f"{name}_{t}.png").write_bytes(encode(TRANSFORMS[t](im), "PNG"))
        (root / f"{name}_jpeg35.jpg").write_bytes(encode(im, "JPEG", quality=35))


def test_transformed_photos_match_by_pdq_and_dihedral_and_vics_round_trips(tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    _evidence(evidence)
    # the hash set: PDQs of the original photos, as an agency would receive them
    pdq_csv = tmp_path / "known.csv"
    pdq_csv.write_text("pdq,category,series\n" + "".join(
        f"{_pdq(sample(n))},1,series-{n}\n" for n in PHOTOS))
    home = ["--home", str(tmp_path / "home")]
    runner = CliRunner()

    def ok(*args: str) -> str:
        result = runner.invoke(app, [*home, *args])
        assert result.exit_code == 0, result.output
        return result.output

    ok("case", "create", "c1")
    ok("hashset", "import", str(pdq_csv), "--name", "known", "--scheme", "vics-us")
    ok("ingest", "c1", str(evidence), "--workers", "1")  # matching runs after ingest
    ok("export", "c1", "-o", str(tmp_path / "out.jsonl"))
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert len(rows) == len(PHOTOS) * len(EXPECTED)
    for row in rows:
        transform = Path(row["path"]).stem.split("_")[-1]
        photo = Path(row["path"]).stem.rsplit("_", 1)[0]
        kinds = {m["kind"] for m in row["matches"] if m["series"] == f"series-{photo}"}
        assert EXPECTED[transform] in kinds, (row["path"], row["matches"])
        assert row["status"] == "known"
        best = row["matches"][0]
        assert best["category"] == 1 and best["hashset"] == "known" and best["distance"] <= 31

    # VICS 2.0 export, re-imported as a hash set: every file matches itself exactly
    ok("export", "c1", "--format", "vics", "-o", str(tmp_path / "case.json"))
    doc = json.loads((tmp_path / "case.json").read_text())
    media = doc["value"][0]["Media"]
    assert doc["@odata.context"].endswith("/US/$metadata#Cases")
    assert all(m["MD5"] == m["MD5"].upper() and m["IsPrecategorized"] is True for m in media)
    assert all(isinstance(f["Deleted"], bool) and f["FileName"] for m in media for f in m["MediaFiles"])
    ok("hashset", "import", str(tmp_path / "case.json"), "--name", "self")
    ok("match", "c1")
    ok("export", "c1", "-o", str(tmp_path / "again.jsonl"))
    for line in (tmp_path / "again.jsonl").read_text().splitlines():
        row = json.loads(line)
        assert {"md5", "sha1"} <= {m["kind"] for m in row["matches"] if m["hashset"] == "self"}
