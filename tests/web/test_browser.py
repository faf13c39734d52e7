"""The review workspace in Debian's chromium, on benign demo data, like a reviewer uses it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from web_support import PASSWORD

from sichter.pipeline.ingest import ingest
from sichter.settings import Settings, load_settings
from sichter.store.cases import create_case, get_case
from sichter.store.crypto import load_master_key
from sichter.store.db import open_store
from sichter.web.services import accounts, audit, decisions

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(home: Path, demo_evidence: Path) -> Iterator[tuple[str, Settings]]:
    import uvicorn

    from sichter.web.app import create_app
    from sichter.web.config import WebConfig

    settings = load_settings(home, workers=2, user="tester")
    sessions = open_store(settings.effective_database_url)
    create_case(sessions, load_master_key(settings.home, settings.master_key), "demo", "Benign demo",
                "tester")
    ingest(settings, sessions, "demo", [demo_evidence])
    with sessions.begin() as s:
        accounts.add_user(s, "rev1", "reviewer", PASSWORD)
        accounts.add_member(s, "demo", "rev1", "tester")
    port = _free_port()
    app = create_app(settings, WebConfig(secret_key="browser-test", default_lang="en"))
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60  # generous: a loaded CI machine starts slowly
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", settings
    srv.should_exit = True
    thread.join(timeout=5)


def test_reviewer_logs_in_reviews_by_keyboard_undoes_decides_a_stack_and_switches_language(
        server: tuple[str, Settings]) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, settings = server
    sessions = open_store(settings.effective_database_url)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(base + "/cases/demo/grid")
        assert page.url.endswith("/login")
        page.fill("#name", "rev1")
        page.fill("#password", PASSWORD)
        page.click("#login")
        page.click("text=demo")
        page.click("#open-grid")
        tiles = page.locator(".tile")
        expect(tiles.first).to_have_class("tile current")
        # Blurred and greyscale by default; holding r reveals only the current tile.
        blurred = tiles.first.locator("img").evaluate("e => getComputedStyle(e).filter")
        assert "blur" in blurred and "grayscale" in blurred
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "review-grid.png"), full_page=True)
        page.keyboard.down("r")
        # The filter eases out over 50 ms (a CSS transition): wait for it (generously, for a
        # loaded machine).
        page.wait_for_function("e => getComputedStyle(e).filter === 'none'",
                               arg=tiles.first.locator("img").element_handle(), timeout=15000)
        page.keyboard.up("r")
        assert "blur" in tiles.first.locator("img").evaluate("e => getComputedStyle(e).filter")
        # Move right with l and the arrow key, categorise with a digit.
        page.keyboard.press("l")
        page.keyboard.press("ArrowRight")
        third = tiles.nth(2)
        expect(third).to_have_class("tile current")
        page.keyboard.press("2")
        expect(third.locator(".cat")).to_have_text("2")
        third_id = int(third.get_attribute("data-id") or 0)
        with sessions() as s:
            case_id = get_case(s, "demo").id
            assert decisions.current_decisions(s, case_id)[third_id].category == "2"
        # Undo.
        page.keyboard.press("u")
        expect(third.locator(".cat")).to_have_text("–")
        with sessions() as s:
            assert third_id not in decisions.current_decisions(s, case_id)
        # A stack: select it with space, decide the selection with shift+digit.
        stack = page.locator('.tile:not([data-stack="1"])').first
        stack_index = int(stack.evaluate("e => [...e.parentNode.children].indexOf(e)"))
        page.keyboard.press("h")
        page.keyboard.press("h")
        for _ in range(stack_index):
            page.keyboard.press("l")
        page.keyboard.press(" ")
        expect(stack).to_have_class("tile current selected")
        page.keyboard.press("Shift+Digit1")
        expect(stack.locator(".cat")).to_have_text("1")
        size = int(stack.get_attribute("data-stack") or 0)
        with sessions() as s:
            decided = [d for d in decisions.current_decisions(s, case_id).values() if d.category == "1"]
            assert len(decided) == size > 1
            assert audit.verify(s, case_id).ok
        # Help, then the language switch.
        page.keyboard.press("?")
        expect(page.locator("#help")).to_be_visible()
        page.keyboard.press("Escape")
        page.click("#lang-switch")
        expect(page.locator("#next-page, .keys-hint").first).to_contain_text("Tasten")
        page.click("#lang-switch")
        expect(page.locator(".keys-hint")).to_contain_text("Keys")
        browser.close()


def test_reviewer_opens_the_qa_sample_queue_and_decides_an_item(server: tuple[str, Settings]) -> None:
    from playwright.sync_api import expect, sync_playwright
    from sqlalchemy import select

    from sichter.learn import qa
    from sichter.store.review_models import ReviewDecision

    base, settings = server
    sessions = open_store(settings.effective_database_url)
    info = qa.draw(sessions, "demo", 3, "lead", seed=11, threshold=1.0)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(base + "/login")
        page.fill("#name", "rev1")
        page.fill("#password", PASSWORD)
        page.click("#login")
        page.goto(base + "/cases/demo")
        expect(page.locator("#qa-figures")).to_contain_text(str(info.seed))
        page.click("#open-qa")
        tiles = page.locator(".tile")
        expect(tiles).to_have_count(3)
        first = tiles.first
        expect(first).to_have_class("tile current")
        assert "blur" in first.locator("img").evaluate("e => getComputedStyle(e).filter")
        page.keyboard.press("2")
        expect(first.locator(".cat")).to_have_text("2")
        browser.close()
    with sessions() as s:
        rows = s.execute(select(ReviewDecision.content_id, ReviewDecision.source)).all()
    assert rows == [(info.content_ids[0], "qa")]


def test_changing_a_filter_updates_the_grid_without_loading_the_page(server: tuple[str, Settings]) -> None:
    import re

    from playwright.sync_api import expect, sync_playwright

    base, settings = server
    sessions = open_store(settings.effective_database_url)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        console: list[str] = []
        page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
        page.goto(base + "/login")
        page.fill("#name", "rev1")
        page.fill("#password", PASSWORD)
        page.click("#login")
        page.goto(base + "/cases/demo/grid")
        tiles = page.locator("#grid .tile")
        expect(tiles.first).to_have_class("tile current")
        page.keyboard.press("1")
        expect(tiles.first.locator(".cat")).to_have_text("1")
        first_id = tiles.first.get_attribute("data-id")
        page.evaluate("window.sichterSameDocument = true")  # gone if the page were loaded anew

        with page.expect_response(lambda r: "/cases/demo/grid?" in r.url
                                  and r.request.headers.get("hx-request") == "true") as answer:
            page.select_option('select[name="reviewed"]', "no")
        assert answer.value.status == 200 and "<html" not in answer.value.text()
        expect(page).to_have_url(re.compile(r"/cases/demo/grid\?.*reviewed=no"))
        expect(page.locator(f'#grid .tile[data-id="{first_id}"]')).to_have_count(0)
        assert page.evaluate("window.sichterSameDocument") is True
        # The keys act on the new tiles at once (not on the filter's select), CSRF token included.
        expect(tiles.first).to_have_class("tile current")
        second_id = int(tiles.first.get_attribute("data-id") or 0)
        page.keyboard.press("2")
        expect(tiles.first.locator(".cat")).to_have_text("2")
        expect(page.locator('select[name="reviewed"]')).to_have_value("no")
        with sessions() as s:
            case_id = get_case(s, "demo").id
            assert decisions.current_decisions(s, case_id)[second_id].category == "2"

        page.select_option('select[name="reviewed"]', "yes")
        expect(page).to_have_url(re.compile(r"reviewed=yes"))
        expect(page.locator(f'#grid .tile[data-id="{second_id}"]')).to_have_count(1)
        expect(page.locator("#grid .tile:not(.decided)")).to_have_count(0)
        assert page.evaluate("window.sichterSameDocument") is True
        # No page snapshots kept in the browser; going back loads the earlier filter afresh.
        assert page.evaluate("sessionStorage.getItem('htmx-history-cache')") is None
        page.go_back()
        expect(page).to_have_url(re.compile(r"reviewed=no"))
        expect(page.locator('select[name="reviewed"]')).to_have_value("no")
        expect(page.locator(f'#grid .tile[data-id="{second_id}"]')).to_have_count(0)
        # The reloaded page reacts to the filter once its deferred scripts have run (on a
        # loaded machine a change made before that went unnoticed).
        page.wait_for_load_state("load")
        page.wait_for_function("() => window.htmx !== undefined")
        # The language switch returns to the filtered grid the address bar shows.
        page.select_option('select[name="reviewed"]', "yes")
        expect(page).to_have_url(re.compile(r"reviewed=yes"))
        page.click("#lang-switch")
        expect(page).to_have_url(re.compile(r"reviewed=yes"))
        expect(page.locator('select[name="reviewed"]')).to_have_value("yes")
        browser.close()
    assert not [m for m in console if "Content Security Policy" in m], console
