"""The QA sample of the low-priority pile as its own queue in the review workspace."""

from __future__ import annotations

import re

from web_support import Web, add_scored_contents, login

from sichter.learn import qa
from sichter.store.cases import create_case
from sichter.store.crypto import load_master_key
from sichter.web.services import accounts


def _qa_case(web: Web, n: int = 12) -> qa.SampleInfo:
    st = web.store
    case = create_case(st.sessions, load_master_key(st.settings.home, st.settings.master_key),
                       "pile", None, "tester")
    add_scored_contents(st.sessions, case.id, [(90, 0.9)] + [(5 + i % 10, 0.05) for i in range(30)])
    with st.sessions.begin() as s:
        accounts.add_member(s, "pile", "rev1", "admin")
    return qa.draw(st.sessions, "pile", n, "lead", seed=7)


def test_overview_links_the_qa_queue_and_states_its_figures(web: Web) -> None:
    info = _qa_case(web)
    client = web.client()
    csrf = login(client, "rev1")
    page = client.get("/cases/pile")
    assert 'href="/cases/pile/qa"' in page.text
    figures = page.text[page.text.index('id="qa-figures"'):]
    assert f"{info.n} / 7" in figures and f">{info.population}<" in figures  # n / seed, N

    queue = client.get("/cases/pile/qa")
    assert queue.status_code == 200 and 'data-source="qa"' in queue.text
    shown = [int(x) for x in re.findall(r'class="tile[^"]*"[^>]*data-id="(\d+)"', queue.text)]
    assert shown == info.content_ids  # draw order
    assert "--blur: 18px" in queue.text  # blurred by default, like the grid

    first = info.content_ids[0]
    r = client.post("/api/cases/pile/decisions", headers={"X-CSRF-Token": csrf},
                    json={"items": {str(first): 0}, "category": "0", "source": "qa",
                          "expand_stacks": False})
    assert r.status_code == 200 and [d["content_id"] for d in r.json()["decisions"]] == [first]

    api = client.get("/api/cases/pile/qa").json()
    assert [t["content_id"] for t in api["tiles"]] == info.content_ids[1:]
    assert api["sample"]["seed"] == 7 and api["sample"]["population"] == info.population
    e = api["result"]["elusion"]
    assert (e["n"], e["k"], e["rate"]) == (1, 0, 0.0) and 0.9 < e["rate_upper"] < 1.0
    assert api["result"]["reviewers"] == ["rev1"]
    overview = client.get("/cases/pile").text
    assert "Elusion" in overview or "Elusionsrate" in overview
    assert f"{len(info.content_ids) - 1} " in overview  # still to review


def test_qa_decisions_are_recorded_with_source_qa(web: Web) -> None:
    info = _qa_case(web, n=3)
    client = web.client()
    csrf = login(client, "rev1")
    for cid in info.content_ids:
        client.post("/api/cases/pile/decisions", headers={"X-CSRF-Token": csrf},
                    json={"items": {str(cid): 0}, "category": "0", "source": "qa",
                          "expand_stacks": False}).raise_for_status()
    from sqlalchemy import select

    from sichter.store.review_models import ReviewDecision

    with web.store.sessions() as s:
        sources = set(s.scalars(select(ReviewDecision.source).where(
            ReviewDecision.content_id.in_(info.content_ids))))
    assert sources == {"qa"}
    assert "Nothing left" in client.get("/cases/pile/qa", headers={"Accept-Language": "en"}).text \
        or "nichts mehr" in client.get("/cases/pile/qa").text
    result = qa.result(web.store.sessions, "pile")
    assert result.reviewed == 3 and result.elusion is not None and result.elusion.k == 0
