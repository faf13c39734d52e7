"""How the item page, the overview and the reports show files that are not plain photos: a
document, an animation, a video read only in part; and recorded settings as text."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select
from typer.testing import CliRunner
from web_support import PASSWORD, login

from sichter.classify.video_synth import write_video
from sichter.cli import app as cli_app
from sichter.demo.photos import sample
from sichter.pipeline.ingest import ingest
from sichter.report.export import records
from sichter.report.html import render_report
from sichter.report.pdf import render_case_report
from sichter.settings import load_settings
from sichter.store.cases import create_case
from sichter.store.crypto import load_master_key
from sichter.store.db import open_store
from sichter.store.models import Content, Occurrence

pytestmark = pytest.mark.slow


def test_documents_animations_and_half_videos_are_shown_for_what_they_are(
        home: Path, tmp_path: Path) -> None:
    from sichter.web.app import create_app
    from sichter.web.config import WebConfig

    evidence = tmp_path / "evidence"
    evidence.mkdir()
    (evidence / "notes.txt").write_text("minutes of a meeting\n" * 30)
    face = sample("astronaut").convert("RGB")
    face.thumbnail((300, 300))
    gif = io.BytesIO()
    face.save(gif, "GIF", save_all=True, append_images=[Image.new("RGB", face.size, "white")])
    (evidence / "anim.gif").write_bytes(gif.getvalue())
    webm = write_video([("astronaut", 3.0), ("coffee", 3.0)], fmt="webm")
    (evidence / "half.webm").write_bytes(webm[: len(webm) // 2])
    settings = load_settings(home, workers=1, user="tester")
    sessions = open_store(settings.effective_database_url)
    create_case(sessions, load_master_key(settings.home, settings.master_key), "odd", None, "tester")
    ingest(settings, sessions, "odd", [evidence])
    runner, env = CliRunner(), {"SICHTER_HOME": str(home)}
    assert runner.invoke(cli_app, ["user", "add", "rev1", "--role", "reviewer"],
                         input=PASSWORD + "\n", env=env).exit_code == 0
    assert runner.invoke(cli_app, ["case", "add-member", "odd", "rev1"], env=env).exit_code == 0
    with sessions() as s:
        ids = {p.rsplit("/", 1)[-1]: cid for p, cid in s.execute(
            select(Occurrence.path, Content.id).join(Content, Content.id == Occurrence.content_id))}
    client = TestClient(create_app(settings, WebConfig(secret_key="x")), base_url="https://testserver")
    login(client, "rev1")

    text = client.get(f"/cases/odd/items/{ids['notes.txt']}").text
    assert "weder ein Bild noch ein Video" in text and 'id="full"' not in text and "None × None" not in text
    # An animation plays in the browser: no frame-0 box may stay over the other frames.
    anim = client.get(f"/cases/odd/items/{ids['anim.gif']}").text
    assert 'id="full"' in anim and 'class="box"' not in anim
    overview = client.get("/cases/odd").text
    assert "<td></td>" not in overview  # an uncategorised suggestion has a visible label

    rows = {r["path"].rsplit("/", 1)[-1]: r for r in records(sessions, "odd")}
    assert rows["half.webm"]["scores"]["complete"] is False
    report = render_report(sessions, "odd")
    assert "half.webm" in report and "video read only in part" in report
    pdf_html = render_case_report(sessions, "odd")
    assert "{&#39;" not in pdf_html and "{'" not in pdf_html  # settings as text, not a repr
    assert "ANUS_EXPOSED: 1.0" in pdf_html
