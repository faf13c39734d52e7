"""Roles are enforced per action for pages and API alike; logging out ends the session on
the server, so a copied cookie stops working."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from web_support import PASSWORD, Web, login

from sichter.store.review_models import ReviewDecision
from sichter.web.services import accounts


def _member(web: Web, name: str, role: str) -> None:
    with web.store.sessions.begin() as s:
        accounts.add_user(s, name, role, PASSWORD)
        accounts.add_member(s, "c1", name, "admin")


def test_investigator_may_view_and_search_but_not_decide(web: Web) -> None:
    _member(web, "inv", "investigator")
    client = web.client()
    csrf = login(client, "inv")
    cid = web.store.content_ids[2]
    assert client.get("/cases/c1").status_code == 200
    assert client.get("/cases/c1/grid", params={"reviewed": "no", "path": "x"}).status_code == 200
    assert client.get("/api/cases/c1/grid").json()["tiles"]
    assert client.get(f"/api/cases/c1/items/{cid}").status_code == 200
    r = client.post("/api/cases/c1/decisions", headers={"X-CSRF-Token": csrf},
                    json={"items": {str(cid): 0}, "category": "1"})
    assert r.status_code == 403
    assert "investigator" in r.json()["detail"] and "decisions" in r.json()["detail"]
    assert client.post("/api/cases/c1/undo", headers={"X-CSRF-Token": csrf}).status_code == 403
    with web.store.sessions() as s:
        assert s.scalar(select(func.count()).select_from(ReviewDecision)) == 0


def test_reviewer_and_admin_may_decide(web: Web) -> None:
    _member(web, "boss", "admin")
    for name, cid in (("rev1", web.store.content_ids[2]), ("boss", web.store.content_ids[3])):
        client = web.client()
        csrf = login(client, name)
        r = client.post("/api/cases/c1/decisions", headers={"X-CSRF-Token": csrf},
                        json={"items": {str(cid): 0}, "category": "1"})
        assert r.status_code == 200, r.text
        assert r.json()["decisions"][0]["reviewed_by"] == name


def test_membership_still_comes_first_for_every_role(web: Web) -> None:
    with web.store.sessions.begin() as s:
        accounts.add_user(s, "boss2", "admin", PASSWORD)
    client = web.client()
    login(client, "boss2")
    assert client.get("/api/cases/c1/grid").status_code == 404


def test_logout_invalidates_a_copied_cookie(web: Web) -> None:
    client = web.client()
    login(client, "rev1")
    copied = client.cookies.get("sichter_session")
    thief = web.client()
    thief.cookies = {"sichter_session": copied}  # type: ignore[assignment]
    assert thief.get("/api/cases").status_code == 200  # the copy works while the session lives
    page = client.get("/")
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    assert client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert thief.get("/api/cases").status_code == 401
    assert thief.get("/cases/c1", follow_redirects=False).status_code == 303  # to the login page
    # logging in again starts a new session; the old copy stays dead
    login(client, "rev1")
    assert client.get("/api/cases").status_code == 200
    assert thief.get("/api/cases").status_code == 401
