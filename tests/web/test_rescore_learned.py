"""``sichter rescore`` applies a promoted learned relevance model and the grid follows it."""

from __future__ import annotations

import random

from typer.testing import CliRunner
from web_support import Store, add_scored_contents

from sichter.cli import app
from sichter.learn import registry, training
from sichter.settings import Settings
from sichter.store.cases import create_case, get_case
from sichter.store.crypto import load_master_key
from sichter.web.services import decisions, grid


def _case(store: Store, name: str, rows: list[tuple[int, float]]) -> list[int]:
    key = load_master_key(store.settings.home, store.settings.master_key)
    return add_scored_contents(store.sessions, create_case(store.sessions, key, name, None, "t").id, rows)


def _rescore(settings: Settings, case: str) -> str:
    result = CliRunner().invoke(app, ["--home", str(settings.home), "--db", settings.effective_database_url,
                                      "rescore", case], env={"SICHTER_USER": "tester"})
    assert result.exit_code == 0, result.output
    return result.output


def test_rescore_orders_the_queue_by_the_promoted_model(settings: Settings, store: Store) -> None:
    rng = random.Random(3)
    for name in ("t1", "t2", "t3"):  # reviewed cases: explicit items were the relevant ones
        rows = [(rng.randint(0, 100), rng.uniform(0.6, 1.0) if i % 3 == 0 else rng.uniform(0, 0.4))
                for i in range(30)]
        ids = _case(store, name, rows)
        with store.sessions.begin() as s:
            case = get_case(s, name)
            for cid, (_, explicit) in zip(ids, rows, strict=True):
                decisions.decide(s, case, "rev1", {cid: 0}, "1" if explicit >= 0.6 else "0",
                                 expand_stacks=False)
    fresh = _case(store, "fresh", [(50, 0.05), (50, 0.95), (50, 0.1)])
    out = _rescore(settings, "fresh")
    assert "triage" in out and "model" not in out  # no learned model promoted yet

    version = training.train(store.sessions, "lead").version
    registry.promote(store.sessions, version, "boss")
    out = _rescore(settings, "fresh")
    assert f"applied learned model {version}" in out
    assert f"review queue ordered by: model {version} (3)" in " ".join(out.split())
    with store.sessions() as s:
        tiles = grid.page(s, get_case(s, "fresh").id, grid.GridFilter()).tiles
    assert tiles[0].content_id == fresh[1]  # the explicit one, by the learned model
    assert {t.order_source for t in tiles} == {f"model {version}"}
