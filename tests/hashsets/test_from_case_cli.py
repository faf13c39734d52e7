"""``sichter hashset from-case`` as a user runs it: the category filter, a second run that adds
nothing, a bad category (exit 2), and refusing to extend a set imported from a file."""

from __future__ import annotations

from pathlib import Path

from click.testing import Result
from sqlalchemy import select
from typer.testing import CliRunner

from sichter.cli import app
from sichter.demo.photos import encode, sample
from sichter.hashsets.importer import entries_of, list_sets
from sichter.pipeline.ingest import ingest
from sichter.settings import Settings, load_settings
from sichter.store.cases import create_case, get_case
from sichter.store.crypto import load_master_key
from sichter.store.db import open_store
from sichter.store.models import Content, Occurrence
from sichter.web.services.decisions import decide


def test_from_case_cli(sqlite_settings: Settings, tmp_path: Path) -> None:
    settings = sqlite_settings.model_copy(update={"skip_stages": ["ai", "pdq_dihedral"],
                                                  "workers": 1})
    sessions = open_store(settings.effective_database_url)
    create_case(sessions, load_master_key(settings.home, settings.master_key), "c1", None, "tester")
    evidence = tmp_path / "ev"
    evidence.mkdir()
    for name in ("coffee", "chelsea"):
        (evidence / f"{name}.jpg").write_bytes(encode(sample(name), "JPEG"))
    ingest(settings, sessions, "c1", [evidence])
    with sessions.begin() as s:
        case = get_case(s, "c1")
        ids = {Path(p).stem: c for p, c in s.execute(
            select(Occurrence.path, Occurrence.content_id).where(Occurrence.case_id == case.id))}
        decide(s, case, "reviewer", {ids["coffee"]: 0}, "1", expand_stacks=False)
        decide(s, case, "reviewer", {ids["chelsea"]: 0}, "0", expand_stacks=False)

    home = ["--home", str(settings.home)]
    runner = CliRunner()
    only_1 = runner.invoke(app, [*home, "hashset", "from-case", "c1", "--name", "known",
                                 "--categories", "1"])
    assert only_1.exit_code == 0, only_1.output
    assert "known (scheme vics-us) from 1 decision(s) of c1: 1 added" in _text(only_1)
    assert "robust features 1" in _text(only_1)
    with sessions() as s:
        coffee_sha = s.get(Content, ids["coffee"]).sha256
    assert [e.sha256 for e in entries_of(sessions, "known")] == [coffee_sha]

    both = runner.invoke(app, [*home, "hashset", "from-case", "c1", "--name", "known"])
    assert "from 2 decision(s) of c1: 1 added, 0 updated, 1 already known" in _text(both)
    again = runner.invoke(app, [*home, "hashset", "from-case", "c1", "--name", "known"])
    assert "0 added, 0 updated, 2 already known" in _text(again)
    [info] = [h for h in list_sets(sessions) if h.name == "known"]
    cli_user = load_settings(settings.home).effective_user
    assert (info.entries, info.format, info.imported_by) == (2, "case", cli_user)

    bad = runner.invoke(app, [*home, "hashset", "from-case", "c1", "--categories", "9"])
    assert bad.exit_code == 2 and "not categories of the case's vics-us scheme" in _text(bad)

    listed = tmp_path / "list.md5"
    listed.write_text("0" * 32 + "\n")
    assert runner.invoke(app, [*home, "hashset", "import", str(listed), "--name", "md5s"]).exit_code == 0
    clash = runner.invoke(app, [*home, "hashset", "from-case", "c1", "--name", "md5s"])
    assert clash.exit_code == 2 and "needs its own name" in _text(clash)



def _text(result: Result) -> str:
    """The command's output as one line (rich wraps at the terminal width)."""
    return " ".join(result.output.split())


def test_a_decision_becomes_the_code_its_scheme_gives_hash_sets() -> None:
    from sichter.hashsets import schemes
    from sichter.hashsets.from_case import decision_code

    assert decision_code("vics-us", "0") == 0
    assert decision_code("dhs", "5") == 5
    assert schemes.meaning("de", decision_code("de", "184b")).key == "de_184b"  # type: ignore[union-attr]
    assert decision_code("caid-uk", "A") == 1  # CAID's codes are not public: kept as the set's own
    assert decision_code("vics-us", "9") is None
    # a VICS-US "non-pertinent" decision lands in a DHS set as CAT-5, not CAT-0
    assert schemes.translate(decision_code("vics-us", "0"), "vics-us", "dhs") == 5
