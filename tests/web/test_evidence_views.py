"""Full-size views read from the evidence (also inside archives), audited; exports and CLI carry it."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from typer.testing import CliRunner
from web_support import PASSWORD, login, tamper_with_audit

from sichter.cli import app as cli_app
from sichter.pipeline.ingest import ingest
from sichter.report.export import records
from sichter.settings import load_settings
from sichter.store.cases import create_case, get_case
from sichter.store.crypto import load_master_key
from sichter.store.db import open_store
from sichter.store.models import Content, Occurrence
from sichter.store.review_models import AuditEvent

pytestmark = pytest.mark.slow


def test_full_image_of_an_archive_member_is_served_audited_and_chain_is_checked_by_cli(
        home: Path, demo_evidence: Path) -> None:
    from sichter.web.app import create_app
    from sichter.web.config import WebConfig

    settings = load_settings(home, workers=2, user="tester")
    sessions = open_store(settings.effective_database_url)
    create_case(sessions, load_master_key(settings.home, settings.master_key), "demo", None, "tester")
    ingest(settings, sessions, "demo", [demo_evidence])
    runner = CliRunner()
    env = {"SICHTER_HOME": str(home)}
    r = runner.invoke(cli_app, ["user", "add", "rev1", "--role", "reviewer"], input=PASSWORD + "\n", env=env)
    assert r.exit_code == 0, r.output
    assert runner.invoke(cli_app, ["case", "add-member", "demo", "rev1"], env=env).exit_code == 0
    with sessions() as s:
        member = s.execute(select(Content.id, Content.sha256).join(
            Occurrence, Occurrence.content_id == Content.id).where(
            Occurrence.path.like("%whatsapp-export.zip!/chat/IMG-003.jpg"))).one()
    client = TestClient(create_app(settings, WebConfig(secret_key="x")), base_url="https://testserver")
    csrf = login(client, "rev1")
    full = client.get(f"/cases/demo/full/{member.id}")
    assert full.status_code == 200 and full.headers["content-type"] == "image/jpeg"
    assert hashlib.sha256(full.content).hexdigest() == member.sha256
    decided = client.post("/api/cases/demo/decisions", json={"items": {str(member.id): 0}, "category": "0"},
                          headers={"X-CSRF-Token": csrf})
    assert decided.status_code == 200
    exported = [r for r in records(sessions, "demo") if r["sha256"] == member.sha256]
    assert exported and all(r["category"] == "0" and r["reviewed_by"] == "rev1" and r["reviewed_at"]
                            for r in exported)
    with sessions() as s:
        actions = [e.action for e in s.scalars(select(AuditEvent).order_by(AuditEvent.seq))]
    assert actions[0] == "view-full" and "decide" in actions
    ok = runner.invoke(cli_app, ["audit", "verify", "demo"], env=env)
    assert ok.exit_code == 0 and "intact" in ok.output
    with sessions.begin() as s:
        case_id = get_case(s, "demo").id
        first = s.scalar(select(AuditEvent).where(AuditEvent.case_id == case_id, AuditEvent.seq == 1))
        assert first is not None
        tamper_with_audit(s, update(AuditEvent).where(AuditEvent.id == first.id)
                          .values(user="someone-else"))
    broken = runner.invoke(cli_app, ["audit", "verify", "demo"], env=env)
    assert broken.exit_code == 1 and f"row id {first.id}" in broken.output
