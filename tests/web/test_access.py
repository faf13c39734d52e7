"""Access control: sessions, membership, CSRF, idle timeout, conflicts; through HTTP like a browser."""

from __future__ import annotations

import time

from sqlalchemy import select
from web_support import PASSWORD, Web, login

from sichter.store.review_models import Account


def test_without_session_thumbnails_api_and_full_images_are_refused_pages_ask_to_log_in(web: Web) -> None:
    c = web.client()
    cid = web.store.content_ids[0]
    assert c.get(f"/cases/c1/thumbs/{cid}").status_code == 401
    assert c.get(f"/cases/c1/full/{cid}").status_code == 401
    assert c.get("/api/cases").status_code == 401
    r = c.get("/cases/c1/grid", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"


def test_wrong_password_is_refused(web: Web) -> None:
    c = web.client()
    c.get("/login")
    token = c.cookies.get("sichter_session")
    assert token
    page = c.get("/login").text
    csrf = page.split('name="csrf-token" content="')[1].split('"')[0]
    r = c.post("/login", data={"name": "rev1", "password": "wrong password!", "csrf_token": csrf})
    assert r.status_code == 401
    assert c.get("/api/cases").status_code == 401


def test_session_cookie_is_httponly_samesite_strict_and_secure(web: Web) -> None:
    c = web.client()
    r = c.get("/login")
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" in cookie


def test_passwords_are_stored_as_argon2id_hashes(web: Web) -> None:
    with web.store.sessions() as s:
        stored = s.scalar(select(Account.password_hash).where(Account.name == "rev1"))
    assert stored is not None and stored.startswith("$argon2id$")


def test_a_user_sees_only_member_cases_and_another_case_item_answers_404(web: Web) -> None:
    c = web.client()
    login(c, "outsider")
    assert [x["name"] for x in c.get("/api/cases").json()] == ["c2"]
    cid = web.store.content_ids[0]
    for url in (f"/cases/c1/items/{cid}", f"/cases/c1/thumbs/{cid}", f"/cases/c1/full/{cid}",
                f"/api/cases/c1/items/{cid}", "/cases/c1", "/cases/nonexistent"):
        assert c.get(url).status_code == 404, url
    # An item of c1 asked for under the user's own case is not found either.
    assert c.get(f"/api/cases/c2/items/{cid}").status_code == 404


def test_state_change_without_csrf_token_is_refused(web: Web) -> None:
    c = web.client()
    csrf = login(c, "rev1")
    a1 = web.store.content_ids[0]
    body = {"items": {str(a1): 0}, "category": "1"}
    assert c.post("/api/cases/c1/decisions", json=body).status_code == 403
    assert c.post("/api/cases/c1/decisions", json=body,
                  headers={"X-CSRF-Token": "forged"}).status_code == 403
    r = c.post("/api/cases/c1/decisions", json=body, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200
    assert {d["content_id"] for d in r.json()["decisions"]} == set(web.store.content_ids[:2])
    assert c.post("/logout", data={}).status_code == 403  # forms need the token too


def test_second_reviewer_gets_409_with_the_current_state(web: Web) -> None:
    first, second = web.client(), web.client()
    t1, t2 = login(first, "rev1"), login(second, "rev2")
    b = web.store.content_ids[2]
    assert first.post("/api/cases/c1/decisions", json={"items": {str(b): 0}, "category": "2"},
                      headers={"X-CSRF-Token": t1}).status_code == 200
    r = second.post("/api/cases/c1/decisions", json={"items": {str(b): 0}, "category": "0"},
                    headers={"X-CSRF-Token": t2})
    assert r.status_code == 409
    assert r.json()["current"][0]["category"] == "2" and r.json()["current"][0]["reviewed_by"] == "rev1"


def test_session_expires_after_the_idle_timeout(web: Web) -> None:
    c = web.client(idle_minutes=1)
    now = [time.time()]
    c.app.state.web.codec.clock = lambda: now[0]  # type: ignore[attr-defined]
    login(c, "rev1")
    assert c.get("/api/cases").status_code == 200
    # Each request within the idle time keeps the session alive past its first minute ...
    for _ in range(3):
        now[0] += 50
        assert c.get("/api/cases").status_code == 200
    # ... and a minute and more without one ends it.
    now[0] += 62
    assert c.get("/api/cases").status_code == 401


def test_api_is_described_by_openapi(web: Web) -> None:
    c = web.client()
    login(c, "rev1")
    # No Swagger page: it would load scripts from a CDN, a request to a foreign host.
    assert c.get("/api/docs").status_code == 404
    paths = c.get("/api/openapi.json").json()["paths"]
    assert "/api/cases/{case}/decisions" in paths and "/api/cases/{case}/grid" in paths
    assert "409" in paths["/api/cases/{case}/decisions"]["post"]["responses"]


def test_grid_shows_one_tile_per_stack_with_its_count_and_pages_by_cursor(web: Web) -> None:
    c = web.client()
    login(c, "rev1")
    page1 = c.get("/api/cases/c1/grid", params={"limit": 2}).json()
    page2 = c.get("/api/cases/c1/grid", params={"limit": 2, "cursor": page1["next_cursor"]}).json()
    tiles = page1["tiles"] + page2["tiles"]
    a1, _, b, lone = web.store.content_ids
    assert [(t["content_id"], t["stack_size"]) for t in tiles] == [(a1, 2), (b, 1), (lone, 1)]
    assert page2["next_cursor"] is None


def test_a_request_answered_after_a_language_switch_cannot_undo_it(web: Web) -> None:
    # A grid page fetches dozens of thumbnails at once; one sent with the cookie from before the
    # switch may be answered after it. Its answer must not carry that old cookie back.
    c = web.client()
    token = login(c, "rev1")
    before = c.cookies.get("sichter_session")
    r = c.post("/lang", data={"lang": "de", "next": "/", "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert 'lang="de"' in c.get("/").text
    tab = web.client()  # the same browser, one request still carrying the old cookie
    tab.cookies.set("sichter_session", before or "")
    late = tab.get("/api/cases")
    assert late.status_code == 200 and "set-cookie" not in late.headers
    c.cookies.set("sichter_session", before)  # even a browser that kept the old cookie
    assert 'lang="de"' in c.get("/").text
    r = c.post("/lang", data={"lang": "en", "next": "/", "csrf_token": token}, follow_redirects=False)
    assert 'lang="en"' in c.get("/").text


def test_the_language_chosen_on_the_login_page_stays_after_logging_in(web: Web) -> None:
    c = web.client()
    page = c.get("/login").text
    csrf = page.split('name="csrf-token" content="')[1].split('"')[0]
    c.post("/lang", data={"lang": "de", "next": "/login", "csrf_token": csrf})
    assert 'lang="de"' in c.get("/login").text
    login(c, "rev1")
    assert 'lang="de"' in c.get("/").text
    other = web.client()  # the choice is the user's, on any browser
    login(other, "rev1")
    assert 'lang="de"' in other.get("/").text


def test_a_session_in_use_outlives_the_idle_timeout(web: Web) -> None:
    c = web.client(idle_minutes=1)
    now = [time.time()]
    c.app.state.web.codec.clock = lambda: now[0]  # type: ignore[attr-defined]
    login(c, "rev1")
    for _ in range(30):  # 5 minutes of use, a request every 10 s (some within one cookie's
        now[0] += 10     # re-issue interval, some after it)
        assert c.get("/api/cases").status_code == 200


def test_a_path_that_merely_starts_like_a_public_or_form_route_still_needs_login_and_csrf(
        web: Web) -> None:
    c = web.client()
    assert c.get("/loginx", follow_redirects=False).status_code == 303  # to the login page
    assert c.post("/langx", data={"lang": "de"}).status_code == 401
    token = login(c, "rev1")
    assert token
    assert c.post("/settingsx", data={"blur": "1"}).status_code == 403  # no CSRF header


def test_logins_for_a_name_pause_after_five_wrong_passwords_even_with_the_right_one(web: Web) -> None:
    c = web.client(login_max_failures=5, login_pause_minutes=15, default_lang="en")
    page = c.get("/login").text
    csrf = page.split('name="csrf-token" content="')[1].split('"')[0]

    def attempt(name: str, password: str) -> int:
        r = c.post("/login", data={"name": name, "password": password, "csrf_token": csrf},
                   follow_redirects=False)
        return r.status_code

    assert [attempt("rev1", f"wrong guess {i}") for i in range(5)] == [401] * 5
    paused = c.post("/login", data={"name": "rev1", "password": PASSWORD, "csrf_token": csrf})
    assert paused.status_code == 429 and "Try again in 15 minutes" in paused.text
    assert c.get("/api/cases").status_code == 401  # not logged in
    other = web.client(login_max_failures=5, login_pause_minutes=15)
    assert login(other, "rev2")  # another name is not affected


def test_a_right_password_clears_the_wrong_ones_before_it(web: Web) -> None:
    c = web.client(login_max_failures=3)
    page = c.get("/login").text
    csrf = page.split('name="csrf-token" content="')[1].split('"')[0]
    for _ in range(2):
        c.post("/login", data={"name": "rev1", "password": "wrong!", "csrf_token": csrf})
    assert login(c, "rev1")
    c.post("/logout", data={"csrf_token": c.get("/").text.split('name="csrf-token" content="')[1]
                            .split('"')[0]})
    page = c.get("/login").text
    csrf = page.split('name="csrf-token" content="')[1].split('"')[0]
    for _ in range(2):
        c.post("/login", data={"name": "rev1", "password": "wrong!", "csrf_token": csrf})
    assert login(c, "rev1")
