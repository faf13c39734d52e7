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
