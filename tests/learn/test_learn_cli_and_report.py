"""End to end through the command line with decisions made by the review workspace's own
service: QA sample and result, model training and promotion, and the PDF case report."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from learn_helpers import add_contents, review
from typer.testing import CliRunner

from sichter.cli import app
from sichter.learn import qa
from sichter.settings import Settings


def _cli(settings: Settings, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["--home", str(settings.home), "--db",
                                      settings.effective_database_url, *args])
    return result.exit_code, result.output


@pytest.fixture
def reviewed_case(settings, store, new_case) -> dict[str, list[int]]:
    case_id = new_case("k1")
    high = add_contents(store, case_id, [{"priority": 90} for _ in range(30)])
    low = add_contents(store, case_id, [{"priority": 5} for _ in range(400)])
    review(store, "k1", {cid: "1" for cid in high}, user="anna")
    return {"high": high, "low": low}


def test_qa_sample_and_result_on_the_command_line(settings, store, reviewed_case) -> None:
    code, out = _cli(settings, "qa", "sample", "k1", "--n", "300", "--seed", "11")
    assert code == 0, out
    assert "n = 300" in out and "N = 400" in out and "seed = 11" in out
    with store() as s:
        from sichter.store.cases import get_case

        sample = qa.latest_sample(s, get_case(s, "k1").id, "k1")
    assert sample is not None and set(sample.content_ids) <= set(reviewed_case["low"])
    code, out = _cli(settings, "qa", "result", "k1")
    assert code == 0 and "nobody yet" in out and "no estimate" in out
    review(store, "k1", {cid: "0" for cid in sample.content_ids}, user="ben")
    code, out = _cli(settings, "qa", "result", "k1")
    assert code == 0, out
    flat = " ".join(out.split())
    assert "k = 0 of n = 300" in flat and "seed 11" in flat and "by ben" in flat
    assert "upper bound on the rate: 0.99%" in flat
    assert "upper bound 4.0 (of N = 400)" in flat  # 0.9937 % of 400 = 3.97
    assert "lower bound 88.3%" in flat               # 30 / (30 + 3.97)


def test_qa_result_without_a_sample_exits_2(settings, reviewed_case) -> None:
    code, out = _cli(settings, "qa", "result", "k1")
    assert code == 2 and "no QA sample" in out


def test_model_train_and_promote_on_the_command_line(settings, store, new_case) -> None:
    for name in ("m1", "m2"):
        case_id = new_case(name)
        rel = add_contents(store, case_id, [{"priority": 60 + i % 40, "analysis": {"ai": {"explicit": 0.9}}}
                                            for i in range(12)])
        irr = add_contents(store, case_id, [{"priority": i % 70, "analysis": {"ai": {"explicit": 0.1}}}
                                            for i in range(30)])
        review(store, name, {**{c: "1" for c in rel}, **{c: "0" for c in irr}}, user="anna")
    code, out = _cli(settings, "model", "train", "--cases", "m1,m2")
    assert code == 0, out
    assert "grouped by case" in out and "ROC-AUC" in out and "AI triage order" in out
    assert "review saved at 95 % recall" in out and "fingerprint" in out
    version = next(w for w in out.split() if w.startswith("rel-"))
    code, out = _cli(settings, "model", "promote", version)
    assert code == 0 and version in out
    code, out = _cli(settings, "model", "list")
    assert code == 0 and "*" in out
    code, out = _cli(settings, "model", "promote", "rel-nope")
    assert code == 2


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (Makefile APT_PACKAGES)")
def test_pdf_case_report_states_qa_figures_reviewers_and_models(settings, store, reviewed_case,
                                                              tmp_path: Path) -> None:
    info = qa.draw(store, "k1", n=300, user="lead", seed=5)
    review(store, "k1", {cid: "0" for cid in info.content_ids}, user="ben")
    assert _cli(settings, "model", "rerank", "k1")[0] == 0  # an active-learning round is reported
    pdf, html = tmp_path / "case.pdf", tmp_path / "case.html"
    code, out = _cli(settings, "report-pdf", "k1", "-o", str(pdf), "--html", str(html))
    assert code == 0, out
    assert pdf.read_bytes().startswith(b"%PDF")
    assert "<img" not in html.read_text()  # figures and provenance only, never an image
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    flat = " ".join(text.split())
    assert "Case report: k1" in flat
    assert "300, seed 5" in flat and "0.99 %" in flat and "by ben" in flat
    assert "anna" in flat and "ben" in flat                       # reviewer statistics
    assert "nudenet" in flat and "explicit" in flat                # model versions and thresholds
    assert "Continuous active learning in this case: round 1 from 330 decisions" in flat
    pages = subprocess.run(["pdftoppm", "-r", "30", "-png", "-f", "1", "-l", "1", str(pdf),
                            str(tmp_path / "page")], capture_output=True, check=True)
    assert pages.returncode == 0 and any(tmp_path.glob("page*.png"))
