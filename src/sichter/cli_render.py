"""Rich rendering for the CLI: the ingest progress bar and the summary table."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from sichter.pipeline.ingest import IngestSummary
    from sichter.pipeline.ingest import Progress as IngestProgress


@contextmanager
def ingest_progress(console: Console) -> Iterator[Callable[[IngestProgress], None]]:
    columns = (SpinnerColumn(), TextColumn("[bold]ingest[/bold]"), BarColumn(),
               TextColumn("{task.completed:,} files · {task.fields[mb]:,.1f} MB · "
                          "{task.fields[errors]} errors · {task.fields[rate]:,.1f} files/s"),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("ingest", total=None, mb=0.0, errors=0, rate=0.0)

        def update(p: IngestProgress) -> None:
            elapsed = bar.tasks[0].elapsed or 1e-9
            bar.update(task, completed=p.files, mb=p.bytes / 1e6, errors=p.errors,
                       rate=p.files / elapsed)

        yield update


def print_ingest_summary(console: Console, sessions: sessionmaker[Session],
                         summary: IngestSummary) -> None:
    from sichter.report.summary import summarise

    s = summarise(sessions, summary.case, error_samples=10)
    p = summary.progress
    table = Table(title=f"case {s.name}", show_header=False)
    table.add_row("this run", f"{p.files:,} files in {summary.seconds:,.1f} s "
                  f"({p.files / max(summary.seconds, 1e-9):,.1f} files/s), {p.new_contents:,} new contents, "
                  f"{p.errors:,} errors, {p.skipped:,} already recorded")
    table.add_row("occurrences", f"{s.occurrences:,}")
    table.add_row("distinct contents", f"{s.contents:,}")
    for k, v in sorted(s.by_media_type.items()):
        table.add_row(f"  {k}", f"{v:,}")
    table.add_row("with errors", f"{s.errors:,}")
    for src in summary.sources:
        state = "unchanged" if src["unchanged"] else "[red]CHANGED[/red]"
        table.add_row("source", f"{src['path']}\n{src['kind']} {src['sha256_before']} ({state})")
    console.print(table)
    for w in summary.warnings:
        console.print(f"[red]warning:[/red] {w}")
