"""htmx in the review workspace: vendored, served by the app itself, and used for the grid's
filters and paging (a server-rendered partial for htmx, the full page for everything else)."""

from __future__ import annotations

import re
from pathlib import Path

from web_support import Web, login

import sichter.web

WEB = Path(sichter.web.__file__).parent
EXTERNAL = re.compile(r"""(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}""", re.IGNORECASE)


def test_htmx_is_served_by_the_app_and_pages_load_scripts_only_from_it(web: Web) -> None:
    c = web.client()
    login(c, "rev1")
    js = c.get("/static/htmx.min.js")
    assert js.status_code == 200 and js.text.startswith("var htmx=")
    for url in ("/", "/cases/c1", "/cases/c1/grid", f"/cases/c1/items/{web.store.content_ids[0]}"):
        html = c.get(url).text
        scripts = re.findall(r'<script[^>]*\bsrc="([^"]+)"', html)
        assert scripts == ["/static/htmx.min.js", "/static/app.js"], url
        links = re.findall(r'\b(?:src|href|hx-get|action)="([^"]*)"', html)
        assert links and all(u.startswith(("/", "?", "#")) and not u.startswith("//") for u in links), url


def test_templates_and_static_files_name_no_external_host() -> None:
    files = [*WEB.glob("templates/*.html"), *WEB.glob("static/*")]
    assert WEB / "static" / "htmx.min.js" in files
    for f in files:
        assert not EXTERNAL.search(f.read_text(encoding="utf-8")), f


HX = {"HX-Request": "true"}


def _tile_ids(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'class="tile[^"]*"[^>]*data-id="(\d+)"', html)]


def test_filter_answers_htmx_with_the_tiles_only_and_everything_else_with_the_page(web: Web) -> None:
    c = web.client()
    csrf = login(c, "rev1")
    a1, a2, b, lone = web.store.content_ids
    r = c.post("/api/cases/c1/decisions", json={"items": {str(b): 0}, "category": "2"},
               headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200
    params = {"reviewed": "no", "status": "", "path": ""}  # as the form sends them

    part = c.get("/cases/c1/grid", params=params, headers=HX)
    assert part.status_code == 200 and "HX-Request" in part.headers["vary"]
    assert _tile_ids(part.text) == [a1, lone]  # filtered: the decided b is gone
    assert "<html" not in part.text and 'id="filters"' not in part.text
    assert part.text.lstrip().startswith('<div id="grid"')
    # The language switch (outside the swapped part) learns the new address out of band.
    oob = re.search(r'<input[^>]*id="lang-next"[^>]*>', part.text)
    assert oob and 'hx-swap-oob="true"' in oob.group(0) and "reviewed=no" in oob.group(0)

    full = c.get("/cases/c1/grid", params=params)
    assert full.text.startswith("<!doctype html>") and 'id="filters"' in full.text
    assert _tile_ids(full.text) == [a1, lone]
    assert re.search(r'<form[^>]*id="filters"[^>]*hx-get="/cases/c1/grid"[^>]*hx-push-url="true"',
                     full.text.replace("\n", " "))
    # Going back to a pushed address htmx has no snapshot of: the whole page.
    restore = c.get("/cases/c1/grid", params=params, headers={**HX, "HX-History-Restore-Request": "true"})
    assert restore.text.startswith("<!doctype html>")


def test_next_page_link_fetches_the_next_tiles_through_htmx(web: Web) -> None:
    c = web.client(page_size=2)
    login(c, "rev1")
    a1, _, b, lone = web.store.content_ids
    first = c.get("/cases/c1/grid", params={"reviewed": "no"}, headers=HX)
    assert _tile_ids(first.text) == [a1, b]
    link = re.search(r'<a id="next-page" href="([^"]+)" hx-get="([^"]+)"[^>]*hx-push-url="true"', first.text)
    assert link and link.group(1) == link.group(2)
    url = link.group(1).replace("&amp;", "&")
    assert url.startswith("/cases/c1/grid?") and "reviewed=no" in url and "cursor=" in url
    second = c.get(url, headers=HX)
    assert _tile_ids(second.text) == [lone] and 'id="next-page"' not in second.text
    assert _tile_ids(c.get(url).text) == [lone]  # the same address without htmx: the whole page


def test_htmx_request_without_a_session_loads_the_login_page_as_a_whole(web: Web) -> None:
    r = web.client().get("/cases/c1/grid", headers=HX, follow_redirects=False)
    assert r.status_code == 401 and r.headers["HX-Redirect"] == "/login"


def test_overview_refreshes_its_qa_figures_through_htmx(web: Web) -> None:
    from sichter.learn import qa

    c = web.client()
    login(c, "rev1")
    page = c.get("/cases/c1").text
    assert 'hx-get="/cases/c1/qa-figures"' in page and 'id="qa-figures"' not in page  # none yet
    info = qa.draw(web.store.sessions, "c1", 2, "lead", seed=5, threshold=1.0)
    part = c.get("/cases/c1/qa-figures", headers=HX)
    assert part.text.lstrip().startswith('<div id="qa">') and "<html" not in part.text
    assert f"{info.n} / 5" in part.text and 'id="qa-refresh"' in part.text
    plain = c.get("/cases/c1/qa-figures", follow_redirects=False)
    assert plain.status_code == 303 and plain.headers["location"] == "/cases/c1"
