"""Commands of the learning stage: ``sichter model ...``, ``sichter qa ...``, ``sichter report-pdf``.

Thin: parse, call a service in ``sichter.learn`` or ``sichter.report.pdf``, render with rich.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from sichter.cli import console, run

model_app = typer.Typer(no_args_is_help=True,
                        help="Relevance models trained on reviewer decisions: train, list, promote.")
qa_app = typer.Typer(no_args_is_help=True,
                     help="QA of the low-priority pile: random sample, elusion and recall bound.")


def _pct(v: Any) -> str:
    return "–" if v is None else f"{v:.1%}"


def _num(v: Any) -> str:
    return "–" if v is None else f"{v:.3f}"


@model_app.command("train")
def model_train(
    ctx: typer.Context,
    cases: Annotated[list[str] | None, typer.Option("--cases", "--case",
                                                    help="cases to learn from [default: all]")] = None,
    threshold: Annotated[float, typer.Option(help="operating threshold on the probability")] = 0.5,
) -> None:
    """Train a new model version on reviewer decisions; it is not used until promoted."""
    from sichter.learn import decisions, training

    def go() -> None:
        settings = ctx.obj.settings()
        names = [n for c in cases or [] for n in c.split(",") if n]
        r = training.train(ctx.obj.sessions(settings), settings.effective_user, names or None,
                           decisions.review_decisions, threshold)
        out = Console()
        out.print(f"trained [bold]{r.version}[/bold] on {r.items:,} decisions ({r.relevant:,} relevant) "
                  f"from {len(r.cases)} case(s): {', '.join(r.cases)}")
        out.print(f"training-set fingerprint {r.fingerprint}")
        if r.active_unloadable:
            out.print(f"[yellow]not compared with the active model: {escape(r.active_unloadable)}")
        out.print("cross-validation " + ("grouped by case (GroupKFold)" if r.grouped else
                                         "NOT grouped: one case only (stratified folds)"))
        columns = {"new (cross-validated)": r.metrics, "AI triage order": r.triage}
        if r.active is not None:
            columns[f"active {r.active['version']}"] = r.active
        table = Table("metric", *columns)
        rows = [("ROC-AUC", "roc_auc", _num), ("precision at threshold", "precision", _pct),
                ("recall at threshold", "recall", _pct), ("review effort at 95 % recall", "effort_95", _pct),
                ("review saved at 95 % recall", "saved_95", _pct),
                ("review effort at 99 % recall", "effort_99", _pct),
                ("review saved at 99 % recall", "saved_99", _pct)]
        for label, key, fmt in rows:
            table.add_row(label, *(fmt((m or {}).get(key)) for m in columns.values()))
        out.print(table)
        if r.category_accuracy is not None:
            out.print(f"category model accuracy (cross-validated): {r.category_accuracy:.1%}")
        out.print(f"promote with: sichter model promote {r.version}")

    run(go)


@model_app.command("list")
def model_list(ctx: typer.Context) -> None:
    """List trained model versions with their figures; * marks the active one."""
    from sichter.learn import registry

    def go() -> None:
        settings = ctx.obj.settings()
        table = Table("", "version", "cases", "items", "ROC-AUC", "saved at 95 %", "created", "promoted")
        with ctx.obj.sessions(settings)() as s:
            for m in registry.list_models(s):
                cv = m.metrics.get("cv") or {}
                table.add_row("*" if m.active else "", m.version, ", ".join(m.training_cases),
                              f"{m.n_items:,}", _num(cv.get("roc_auc")), _pct(cv.get("saved_95")),
                              f"{m.created_at:%Y-%m-%d %H:%M} {m.created_by}",
                              f"{m.promoted_at:%Y-%m-%d %H:%M} {m.promoted_by}" if m.promoted_at else "")
        Console().print(table)

    run(go)


@model_app.command("promote")
def model_promote(
    ctx: typer.Context,
    version: Annotated[str, typer.Argument(help="the model version to make active")],
    force: Annotated[bool, typer.Option(help="promote even when worse than the active one")] = False,
) -> None:
    """Make a trained model the active one ('sichter rescore' applies it)."""
    from sichter.learn import registry

    def go() -> None:
        settings = ctx.obj.settings()
        old = registry.promote(ctx.obj.sessions(settings), version, settings.effective_user, force)
        console.print(f"active model is now [bold]{version}[/bold]"
                      + (f" (was {old})" if old else ""))

    run(go)


@model_app.command("rerank")
def model_rerank(ctx: typer.Context, case: Annotated[str, typer.Argument()]) -> None:
    """Run one active-learning round for a case now (the web UI does this in the background)."""
    from sichter.learn import active_learning
    from sichter.store.cases import get_case
    from sichter.web.services.learning import refresh_after_round

    def go() -> None:
        settings = ctx.obj.settings()
        sessions = ctx.obj.sessions(settings)
        with sessions() as s:
            case_id = get_case(s, case).id
        r = active_learning.rerank(sessions, case_id)
        refresh_after_round(sessions, case_id)  # the review queue's order follows the new scores
        console.print(f"round {r.round}: {r.rescored:,} unreviewed items re-ranked from "
                      f"{r.decisions_used:,} decisions"
                      + ("" if r.trained else " (one class so far: initial order kept)"))

    run(go)


@qa_app.command("sample")
def qa_sample(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument()],
    n: Annotated[int, typer.Option("--n", help="items to draw")] = 300,
    seed: Annotated[int | None, typer.Option(help="random seed [default: random, recorded]")] = None,
    below: Annotated[float, typer.Option(help="ranking score (priority/100) below which items "
                                              "count as called irrelevant")] = 0.25,
) -> None:
    """Draw a uniform random sample of the unreviewed items the ranking calls irrelevant."""
    from sichter.learn import decisions, qa

    def go() -> None:
        settings = ctx.obj.settings()
        info = qa.draw(ctx.obj.sessions(settings), case, n, settings.effective_user, seed, below,
                       decisions.review_decisions)
        Console().print(f"QA sample {info.id} of case {case}: n = {info.n:,} of N = {info.population:,} "
                        f"unreviewed items ranked below {info.threshold}; seed = {info.seed}; "
                        f"drawn by {info.created_by} at {info.created_at:%Y-%m-%d %H:%M:%S %Z}")
        if info.n < info.requested:
            console.print(f"[yellow]the pile holds only {info.n:,} items: all of them are in the sample")
        console.print("review it in the web UI's QA queue, then run 'sichter qa result'")

    run(go)


@qa_app.command("result")
def qa_result(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument()],
    sample: Annotated[int | None, typer.Option(help="sample id [default: the newest]")] = None,
) -> None:
    """Elusion rate, the exact 95 % upper bound, missed files and the recall lower bound."""
    from sichter.learn import decisions, qa

    def go() -> None:
        settings = ctx.obj.settings()
        r = qa.result(ctx.obj.sessions(settings), case, sample, decisions.review_decisions)
        out = Console()
        for line in render_result(r):
            out.print(line)

    run(go)


def render_result(r: Any) -> list[str]:
    """The QA figures as text lines; n, seed and reviewers are always stated."""
    smp = r.sample
    lines = [f"QA sample {smp.id} of case {smp.case}: n = {smp.n:,} drawn (seed {smp.seed}) from "
             f"N = {smp.population:,} unreviewed items ranked below {smp.threshold}; "
             f"drawn by {smp.created_by} at {smp.created_at:%Y-%m-%d %H:%M}",
             f"reviewed {r.reviewed:,} of {smp.n:,} by {', '.join(r.reviewers) or 'nobody yet'}"]
    e = r.elusion
    if e is None:
        lines.append("no sample item has been reviewed yet: no estimate")
        return lines
    if r.reviewed < smp.n:
        lines.append("[yellow]partial: figures use the reviewed items only")
    lines += [
        f"relevant in the sample: k = {e.k} of n = {e.n}; elusion rate {e.rate:.2%}",
        f"exact one-sided {e.confidence:.0%} Clopper–Pearson upper bound on the rate: {e.rate_upper:.2%}",
        f"relevant files left unreviewed: estimate {e.missed_estimate:,.1f}, "
        f"upper bound {e.missed_upper:,.1f} (of N = {e.population:,})",
        f"relevant files found by review: {e.found:,}",
        f"recall: estimate {_pct(e.recall_estimate)}, {e.confidence:.0%} lower bound {_pct(e.recall_lower)}",
    ]
    return lines


def report_pdf(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument()],
    output: Annotated[Path, typer.Option("-o", "--output", help="PDF file to write")] = Path("case.pdf"),
    html: Annotated[Path | None, typer.Option(help="also write the report as HTML here")] = None,
) -> None:
    """Write the case report for the prosecutor as PDF (figures and provenance, never images)."""
    from sichter.report.pdf import write_case_report

    def go() -> None:
        settings = ctx.obj.settings()
        write_case_report(ctx.obj.sessions(settings), case, output, html)
        console.print(f"wrote {output}" + (f" and {html}" if html else ""))

    run(go)
