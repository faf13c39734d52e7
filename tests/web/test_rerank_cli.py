"""`sichter model rerank CASE` on the command line reorders the review grid like a round the
web UI runs in the background."""

from __future__ import annotations

import re

from typer.testing import CliRunner
from web_support import Web, cal_case, login

from sichter.cli import app


def test_model_rerank_on_the_command_line_reorders_the_review_grid(web: Web) -> None:
    st = web.store
    rel, irr = cal_case(web)  # the explicit items are the relevant ones, triage ranked them last
    client = web.client()
    csrf = login(client, "rev1")
    for cid, category in [*((c, "1") for c in rel[:3]), *((c, "0") for c in irr[:6])]:
        r = client.post("/api/cases/cal/decisions", json={"items": {str(cid): 0}, "category": category},
                        headers={"X-CSRF-Token": csrf})
        assert r.status_code == 200, r.text

    def unreviewed() -> list[dict]:
        r = client.get("/api/cases/cal/grid", params={"reviewed": "false", "limit": 100})
        assert r.status_code == 200, r.text
        return r.json()["tiles"]

    assert {t["content_id"] for t in unreviewed()[:24]} == set(irr[6:])  # triage's order

    result = CliRunner().invoke(app, ["--home", str(st.settings.home), "--db",
                                      st.settings.effective_database_url, "model", "rerank", "cal"])
    assert result.exit_code == 0, result.output
    assert "round 1: 31 unreviewed items re-ranked from 9 decisions" in result.output

    tiles = unreviewed()
    assert {t["content_id"] for t in tiles[:7]} == set(rel[3:])  # learned: like the relevant ones
    assert all(t["order_source"] == "cal round 1" for t in tiles)
    priorities = [t["priority"] for t in tiles]
    assert priorities == sorted(priorities, reverse=True)
    page = client.get("/cases/cal/grid", params={"reviewed": "no"}).text  # the page, too
    shown = [int(x) for x in re.findall(r'class="tile[^"]*"[^>]*data-id="(\d+)"', page)]
    assert shown == [t["content_id"] for t in tiles]
