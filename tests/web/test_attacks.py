"""The review workspace attacked through HTTP: evidence strings that try to become markup,
ids and case names of a foreign case, forged and missing CSRF tokens, redirects off-site,
stolen or planted cookies, traversal in route parameters, and the headers every answer needs."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from sqlalchemy import func, select, update
from web_support import PASSWORD, Web, add_scored_contents, login

from sichter.learn import qa
from sichter.store.cases import create_case
from sichter.store.crypto import load_master_key
from sichter.store.hashset_models import HashMatch, HashSet
from sichter.store.models import Case, Content, Occurrence
from sichter.store.review_models import Account, ReviewDecision
from sichter.web.services import accounts, decisions

# What a suspect can put into file names, EXIF fields, hash-set or series names; a planted
# name reaches the web pages, their htmx fragments, the JSON the pages embed and the reports.
EVIL = "\"'><img src=x onerror=alert(1)></script><script>alert(2)</script>javascript:alert(3)"
# Any of these in an answer means EVIL left its text node or attribute value unescaped.
MARKUP = re.compile(r"<img src=x|<script>alert|</script><script>|\"'>")


def _planted_case(web: Web) -> tuple[int, int]:
    """Case "evil" (rev1 a member): every string an attacker controls holds EVIL."""
    st = web.store
    case = create_case(st.sessions, load_master_key(st.settings.home, st.settings.master_key),
                       "evil", EVIL, "tester")
    ids = add_scored_contents(st.sessions, case.id, [(90, 0.9)] + [(5, 0.05)] * 6)
    with st.sessions.begin() as s:
        for i, cid in enumerate(ids):
            path = f"DCIM/{EVIL}{i}.jpg"
            s.add(Occurrence(case_id=case.id, content_id=cid, source=f"/evidence/{EVIL}",
                             path=path, path_key=f"{i:064d}", origin=[["file", path]], size=1000,
                             error=EVIL if i == 1 else None))
        s.execute(update(Content).where(Content.id == ids[0]).values(
            exif={"Make": EVIL, "Model": EVIL, EVIL: 1},
            analysis={"ai": {"explicit": 0.9, "faces": [{"box": [0.1, 0.1, 0.2, 0.2], "label": EVIL,
                                                        "age": EVIL}]}}))
        hs = HashSet(name=EVIL, role="known_bad", format="csv", scheme="vics-us", file_name=EVIL,
                     file_sha256="f" * 64, imported_at=datetime.now(UTC), imported_by="tester")
        s.add(hs)
        s.flush()
        s.add(HashMatch(case_id=case.id, content_id=ids[0], hash_set_id=hs.id, kind="md5",
                        category=1, set_scheme="vics-us", series=EVIL, matched_at=datetime.now(UTC),
                        matched_by="tester"))
        accounts.add_member(s, "evil", "rev1", "admin")
        # a decision recorded under an odd name (a trusted CLI caller passes a bare string)
        decisions.decide(s, s.get(Case, case.id), EVIL, {ids[0]: 0}, "1")  # type: ignore[arg-type]
    return case.id, ids[0]


def test_planted_strings_stay_text_in_every_page_fragment_api_and_report(web: Web) -> None:
    _, first = _planted_case(web)
    st = web.store
    qa.draw(st.sessions, "evil", 3, EVIL, seed=1)
    client = web.client()
    login(client, "rev1")
    hx = {"HX-Request": "true"}
    pages = {
        "cases": client.get("/"),
        "overview": client.get("/cases/evil"),
        "grid": client.get("/cases/evil/grid", params={"path": EVIL}),
        "grid fragment": client.get("/cases/evil/grid", params={"path": "DCIM"}, headers=hx),
        "qa": client.get("/cases/evil/qa"),
        "qa figures": client.get("/cases/evil/qa-figures", headers=hx),
        "item": client.get(f"/cases/evil/items/{first}"),
    }
    for name, r in pages.items():
        assert r.status_code == 200, name
        assert not MARKUP.search(r.text), name
        # no script but base.html's two, both from our origin (fragments have none)
        assert re.findall(r"<script[^>]*>", r.text) in ([], [
            '<script src="/static/htmx.min.js" defer>', '<script src="/static/app.js" defer>']), name
    assert "DCIM/" in pages["item"].text and "&lt;img src=x" in pages["item"].text  # shown, as text
    for url in (f"/api/cases/evil/items/{first}", "/api/cases/evil/grid", "/api/cases/evil/qa",
                "/api/cases/evil/overview"):
        r = client.get(url)
        assert r.status_code == 200 and r.headers["content-type"] == "application/json", url

    from sichter.report.html import render_report
    from sichter.report.pdf import render_case_report

    for html in (render_report(st.sessions, "evil"), render_case_report(st.sessions, "evil")):
        assert not MARKUP.search(html)
        assert "<script" not in html


def _decisions(web: Web) -> int:
    with web.store.sessions() as s:
        return s.scalar(select(func.count()).select_from(ReviewDecision)) or 0


def test_a_member_of_c1_reaches_nothing_of_c2_by_its_name_or_its_ids(web: Web) -> None:
    client = web.client()
    csrf = login(client, "rev1")
    mine, theirs = web.store.content_ids[2], web.other_ids[0]
    h = {"X-CSRF-Token": csrf}
    for url in ("/cases/c2", "/cases/c2/grid", "/cases/c2/qa", "/cases/c2/qa-figures",
                f"/cases/c2/items/{theirs}", f"/cases/c2/thumbs/{theirs}", f"/cases/c2/full/{theirs}",
                "/api/cases/c2/overview", "/api/cases/c2/grid", "/api/cases/c2/qa",
                "/api/cases/c2/audit/verify", f"/api/cases/c2/items/{theirs}"):
        assert client.get(url).status_code == 404, url
    # c2's ids through c1's URLs
    for url in (f"/cases/c1/items/{theirs}", f"/cases/c1/thumbs/{theirs}",
                f"/cases/c1/thumbs/{theirs}?kind=contact_sheet", f"/cases/c1/full/{theirs}",
                f"/api/cases/c1/items/{theirs}"):
        assert client.get(url).status_code == 404, url
    assert client.post("/api/cases/c2/decisions", headers=h,
                       json={"items": {str(theirs): 0}, "category": "1"}).status_code == 404
    assert client.post("/api/cases/c2/undo", headers=h).status_code == 404
    # a foreign id smuggled into a batch of one's own: nothing is written, not even one's own
    r = client.post("/api/cases/c1/decisions", headers=h,
                    json={"items": {str(mine): 0, str(theirs): 0}, "category": "1"})
    assert r.status_code == 400
    assert _decisions(web) == 0


def _state_changing_routes() -> list[tuple[str, str]]:
    from fastapi.routing import APIRoute

    from sichter.web.routes_api import router as api
    from sichter.web.routes_pages import router as pages

    return [(m, r.path) for router in (api, pages) for r in router.routes if isinstance(r, APIRoute)
            for m in r.methods if m not in ("GET", "HEAD")]


def test_every_state_changing_route_refuses_a_missing_or_foreign_csrf_token(web: Web) -> None:
    client, other = web.client(), web.client()
    login(client, "rev1")
    foreign = login(other, "rev2")  # a valid token, but of another session
    cid = web.store.content_ids[2]
    body = {"items": {str(cid): 0}, "category": "1", "lang": "en", "blur": 0, "tile": 80,
            "break_minutes": 5, "name": "rev1", "password": PASSWORD, "next": "/"}
    routes = _state_changing_routes()
    assert {p for _, p in routes} >= {"/login", "/logout", "/lang", "/settings",
                                      "/api/cases/{case}/decisions", "/api/cases/{case}/undo",
                                      "/api/me/preferences"}
    for method, path in routes:
        url = path.replace("{case}", "c1")
        for token in (None, "forged", foreign):
            headers = {} if token is None else {"X-CSRF-Token": token}
            form = {k: str(v) for k, v in body.items() if k not in ("items",)}
            if token is not None:
                form["csrf_token"] = token
            as_json = client.request(method, url, json=body, headers=headers)
            as_form = client.request(method, url, data=form, headers=headers)
            # a form route may refuse a JSON body as malformed (422) before it looks at the token
            assert as_json.status_code in ((403,) if url.startswith("/api/") else (403, 422)), \
                (method, url, token)
            assert as_form.status_code == 403, (method, url, token)
        # and the same route asked for with GET (a link, an <img>) changes nothing either
        assert client.get(url, params={k: str(v) for k, v in body.items()},
                          follow_redirects=False).status_code in (200, 404, 405), url
    assert _decisions(web) == 0
    assert client.get("/api/cases").status_code == 200  # still logged in: /logout refused too
    with web.store.sessions() as s:
        prefs = s.scalar(select(Account.preferences).where(Account.name == "rev1"))
    assert not prefs or prefs.get("blur") != 0


@pytest.mark.parametrize("target", [
    "//evil.example/", "https://evil.example/", "/\\evil.example", "/\t/evil.example",
    "\\/evil.example", "/%2F%2Fevil.example", "javascript:alert(1)", "/\r\nSet-Cookie: a=b",
    " //evil.example",
])
def test_the_language_switch_never_redirects_off_site_nor_injects_headers(web: Web, target: str) -> None:
    client = web.client()
    page = client.get("/login").text
    csrf = page.split('name="csrf-token" content="')[1].split('"')[0]
    r = client.post("/lang", data={"lang": "en", "next": target, "csrf_token": csrf},
                    follow_redirects=False)
    assert r.status_code == 303
    location = r.headers["location"]
    # what a browser does with it: tabs and newlines dropped, a backslash read as a slash
    as_browser = re.sub(r"[\t\r\n]", "", location).replace("\\", "/")
    assert urlsplit(urljoin("https://testserver/lang", as_browser)).netloc == "testserver", location
    assert "set-cookie: a" not in str(r.headers).lower()


def test_the_login_page_language_switch_works_before_logging_in(web: Web) -> None:
    client = web.client(default_lang="de")
    page = client.get("/login").text
    csrf = page.split('name="csrf-token" content="')[1].split('"')[0]
    r = client.post("/lang", data={"lang": "en", "next": "/login", "csrf_token": csrf},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert 'lang="en"' in client.get("/login").text


def test_login_ignores_a_next_parameter(web: Web) -> None:
    client = web.client()
    page = client.get("/login", params={"next": "https://evil.example/"}).text
    csrf = page.split('name="csrf-token" content="')[1].split('"')[0]
    r = client.post("/login?next=https://evil.example/", follow_redirects=False,
                    data={"name": "rev1", "password": PASSWORD, "csrf_token": csrf,
                          "next": "https://evil.example/"})
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_an_investigator_cannot_decide_the_qa_sample(web: Web) -> None:
    st = web.store
    case = create_case(st.sessions, load_master_key(st.settings.home, st.settings.master_key),
                       "pile", None, "tester")
    add_scored_contents(st.sessions, case.id, [(90, 0.9)] + [(5, 0.05)] * 8)
    with st.sessions.begin() as s:
        accounts.add_user(s, "inv", "investigator", PASSWORD)
        accounts.add_member(s, "pile", "inv", "admin")
    info = qa.draw(st.sessions, "pile", 3, "lead", seed=3)
    client = web.client()
    csrf = login(client, "inv")
    assert client.get("/cases/pile/qa").status_code == 200  # may look
    r = client.post("/api/cases/pile/decisions", headers={"X-CSRF-Token": csrf},
                    json={"items": {str(info.content_ids[0]): 0}, "category": "1", "source": "qa",
                          "expand_stacks": False})
    assert r.status_code == 403
    assert _decisions(web) == 0


def test_a_deactivated_user_is_logged_out_at_the_next_request(web: Web) -> None:
    client = web.client()
    login(client, "rev1")
    assert client.get("/api/cases").status_code == 200
    with web.store.sessions.begin() as s:
        s.execute(update(Account).where(Account.name == "rev1").values(active=False))
    assert client.get("/api/cases").status_code == 401
    assert client.get("/cases/c1", follow_redirects=False).headers["location"] == "/login"
    page = client.get("/login").text
    csrf = page.split('name="csrf-token" content="')[1].split('"')[0]
    r = client.post("/login", data={"name": "rev1", "password": PASSWORD, "csrf_token": csrf})
    assert r.status_code == 401


def test_a_cookie_planted_before_login_neither_logs_in_nor_keeps_its_csrf_token(web: Web) -> None:
    browser = web.client()  # the victim's browser, holding a session cookie the attacker knows
    page = browser.get("/login").text
    planted = browser.cookies.get("sichter_session")
    planted_csrf = page.split('name="csrf-token" content="')[1].split('"')[0]
    new_csrf = login(browser, "rev1")
    assert new_csrf != planted_csrf
    assert browser.cookies.get("sichter_session") != planted
    cid = web.store.content_ids[2]
    forged = browser.post("/api/cases/c1/decisions", headers={"X-CSRF-Token": planted_csrf},
                          json={"items": {str(cid): 0}, "category": "1"})
    assert forged.status_code == 403
    attacker = web.client()
    attacker.cookies = {"sichter_session": planted}  # type: ignore[assignment]
    assert attacker.get("/api/cases").status_code == 401  # the planted copy is not logged in
    assert _decisions(web) == 0


@pytest.mark.parametrize("url", [
    "/static/../web.secret", "/static/%2e%2e/web.secret", "/static/..%2Fapp.py",
    "/static/%2e%2e%2f%2e%2e%2fweb.secret", "/cases/..%2Fc2/grid", "/cases/c1%2F..%2Fc2/grid",
    "/cases/c2%00/grid",
"/cases/c1/thumbs/1%2F..%2F..%2F1", "/cases/c1/items/-1",
    "/cases/c1/items/99999999999999999999999", "/cases/c1/full/1e3", "/cases/c1%0d%0aX-A:%20b/grid",
])
def test_traversal_and_header_injection_in_route_parameters_find_nothing(web: Web, url: str) -> None:
    client = web.client()
    login(client, "outsider")  # member of c2 only
    r = client.get(url)
    assert r.status_code in (400, 404, 422), (url, r.status_code)
    assert "x-a" not in r.headers
    assert "test-secret" not in r.text


@pytest.mark.parametrize("field", ["path", "suggested", "decided", "band", "status", "media"])
def test_a_nul_byte_in_a_filter_is_a_bad_request_not_a_server_error(web: Web, field: str) -> None:
    client = web.client()
    login(client, "rev1")
    for url in ("/cases/c1/grid", "/api/cases/c1/grid"):
        assert client.get(url, params={field: "a\x00b"}).status_code == 400, url


def test_a_nul_byte_in_the_login_name_is_a_wrong_login_not_a_server_error(web: Web) -> None:
    client = web.client()
    page = client.get("/login").text
    csrf = page.split('name="csrf-token" content="')[1].split('"')[0]
    r = client.post("/login", data={"name": "rev1\x00", "password": PASSWORD, "csrf_token": csrf})
    assert r.status_code == 401


def test_a_non_media_original_is_a_download_never_rendered_in_the_workspace(
        web: Web, tmp_path: Path) -> None:
    planted = tmp_path / "invoice.pdf"
    planted.write_bytes(b"%PDF-1.4\n% a benign stand-in for a document with active content\n")
    with web.store.sessions.begin() as s:
        c1 = s.scalar(select(Case).where(Case.name == "c1"))
        assert c1 is not None
        doc = Content(case_id=c1.id, sha256=hashlib.sha256(planted.read_bytes()).hexdigest(),
                      sha1="0" * 40, md5="0" * 32, size=planted.stat().st_size, media_type="other",
                      mime="application/pdf", analysed_at=datetime.now(UTC), analysis={})
        s.add(doc)
        s.flush()
        s.add(Occurrence(case_id=c1.id, content_id=doc.id, source=str(planted), path="invoice.pdf",
                         path_key="p" * 64, origin=[["file", "invoice.pdf"]], size=doc.size))
        doc_id = doc.id
    client = web.client()
    login(client, "rev1")
    r = client.get(f"/cases/c1/full/{doc_id}")
    assert r.status_code == 200 and r.content == planted.read_bytes()
    assert r.headers["content-type"] == "application/octet-stream"
    assert r.headers["content-disposition"] == "attachment"


def test_an_unknown_thumbnail_kind_finds_no_other_file(web: Web) -> None:
    client = web.client()
    login(client, "rev1")
    cid = web.store.content_ids[0]
    for kind in ("../../web.secret", "thumbnail' OR '1'='1", "%"):
        assert client.get(f"/cases/c1/thumbs/{cid}", params={"kind": kind}).status_code == 404


CSP_DIRECTIVES = ("default-src 'self'", "script-src 'self'", "frame-ancestors 'none'",
                  "form-action 'self'")


def _assert_hardened(r: object, what: str) -> None:
    headers = r.headers  # type: ignore[attr-defined]
    csp = headers.get("content-security-policy", "")
    assert all(d in csp for d in CSP_DIRECTIVES), (what, csp)
    assert "unsafe-eval" not in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert headers.get("x-content-type-options") == "nosniff", what
    assert headers.get("referrer-policy") == "no-referrer", what
    assert "no-store" in headers.get("cache-control", ""), what


def test_every_answer_carries_the_security_headers_even_refusals(web: Web) -> None:
    anonymous = web.client()
    for url, kwargs in (("/login", {}), ("/cases/c1", {}), ("/api/cases", {}),
                        ("/cases/c1/grid", {"headers": {"HX-Request": "true"}})):
        _assert_hardened(anonymous.get(url, follow_redirects=False, **kwargs), url)
    _assert_hardened(anonymous.post("/api/cases/c1/undo"), "anonymous POST")
    client = web.client()
    login(client, "rev1")
    _assert_hardened(client.post("/api/cases/c1/undo"), "POST without CSRF token")
    cid = web.store.content_ids[0]
    for url, kwargs in (("/", {}), ("/cases/c1", {}), ("/cases/c1/grid", {}),
                        ("/cases/c1/grid", {"headers": {"HX-Request": "true"}}),
                        (f"/cases/c1/items/{cid}", {}), ("/api/cases", {}), ("/cases/c2", {}),
                        (f"/cases/c1/thumbs/{cid}", {}), ("/static/app.js", {})):
        _assert_hardened(client.get(url, **kwargs), url)
