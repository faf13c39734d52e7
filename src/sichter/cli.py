"""The ``sichter`` command line: parse, call a service, render with rich. Nothing else here.

Exit codes: 0 the run completed (unreadable files are recorded, not fatal), 2 usage error,
1 the run itself failed.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from sichter.settings import Settings

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="Sichter: triage seized media. The software ranks; a human decides.")
case_app = typer.Typer(no_args_is_help=True, help="Create and list cases.")
app.add_typer(case_app, name="case")
demo_app = typer.Typer(no_args_is_help=True, help="Benign demonstration data.")
app.add_typer(demo_app, name="demo")

console = Console(stderr=True)
T = TypeVar("T")


@dataclass
class Context:
    home: Path | None
    db: str | None
    workers: int | None = None

    def settings(self, **overrides: Any) -> Settings:
        from sichter.settings import load_settings

        return load_settings(self.home, database_url=self.db, **overrides)

    def sessions(self, settings: Settings) -> sessionmaker[Session]:
        from sichter.store.db import open_store

        return open_store(settings.effective_database_url)


@contextmanager
def errors_as_exit_codes() -> Iterator[None]:
    from sichter.errors import SichterError, UsageError

    try:
        yield
    except UsageError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    except SichterError as exc:
        console.print(f"[red]failed:[/red] {exc}")
        raise typer.Exit(1) from exc
    except Exception as exc:
        from pydantic import ValidationError  # here: --help must not import it
        from rich.markup import escape

        if not isinstance(exc, ValidationError):
            raise
        # A setting out of range (sichter.toml, SICHTER_*, an option): one line, exit 2.
        said = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                         for e in exc.errors())
        console.print(f"[red]error:[/red] invalid setting: {escape(said)}")
        raise typer.Exit(2) from exc


def run(fn: Callable[[], T]) -> T:
    with errors_as_exit_codes():
        return fn()


@app.callback()
def main(
    ctx: typer.Context,
    home: Annotated[Path | None, typer.Option(
        "--home", envvar="SICHTER_HOME", help="Sichter's data folder [default: ./sichter-data]")] = None,
    db: Annotated[str | None, typer.Option(
        "--db", envvar="SICHTER_DATABASE_URL",
        help="SQLAlchemy URL of the case store [default: SQLite inside the home]")] = None,
) -> None:
    ctx.obj = Context(home, db)


@case_app.command("create")
def case_create(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(help="short case name, e.g. 2026-0815")],
    title: Annotated[str | None, typer.Option(help="a longer description")] = None,
    scheme: Annotated[str, typer.Option(help="category scheme: vics-us, dhs, caid-uk, de")] = "vics-us",
) -> None:
    """Create a case with its own encryption key."""
    from sichter.store import cases
    from sichter.store.crypto import load_master_key

    def go() -> None:
        settings = ctx.obj.settings()
        sessions = ctx.obj.sessions(settings)
        info = cases.create_case(sessions, load_master_key(settings.home, settings.master_key),
                                 case, title, settings.effective_user, scheme)
        console.print(f"created case [bold]{info.name}[/bold] (scheme {info.scheme})")

    run(go)


@case_app.command("list")
def case_list(ctx: typer.Context) -> None:
    """List the cases in the store."""
    from rich.table import Table

    from sichter.store import cases

    def go() -> None:
        settings = ctx.obj.settings()
        table = Table("case", "title", "scheme", "created", "by", "occurrences", "contents")
        for c in cases.list_cases(ctx.obj.sessions(settings)):
            table.add_row(c.name, c.title or "", c.scheme, c.created_at.strftime("%Y-%m-%d %H:%M"),
                          c.created_by, f"{c.occurrences:,}", f"{c.contents:,}")
        Console().print(table)

    run(go)


@app.command()
def ingest(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(help="the case to add evidence to")],
    paths: Annotated[list[Path], typer.Argument(help="files, folders or archives")],
    workers: Annotated[int | None, typer.Option(help="analysis processes [default: cores]")] = None,
    carve: Annotated[bool, typer.Option(
        "--carve", help="disk images: also carve JPEG/PNG from unallocated space")] = False,
) -> None:
    """Add evidence to a case. Running it again after an interruption continues the work."""
    from sichter.cli_render import ingest_progress, print_ingest_summary
    from sichter.pipeline.ingest import ingest as run_ingest

    def go() -> None:
        settings = ctx.obj.settings(workers=workers)
        if carve:
            settings.limits.carve = True
        sessions = ctx.obj.sessions(settings)
        with ingest_progress(console) as on_progress:
            summary = run_ingest(settings, sessions, case, paths, on_progress)
        print_ingest_summary(Console(), sessions, summary)

    run(go)


@app.command()
def export(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument()],
    format: Annotated[str, typer.Option("--format", "-f", help="jsonl, csv or vics")] = "jsonl",
    output: Annotated[str, typer.Option("-o", "--output", help="file, or - for stdout")] = "-",
) -> None:
    """One record per file occurrence (the export contract)."""
    from sichter.errors import UsageError
    from sichter.report import export as exp

    def go() -> None:
        writers = {"jsonl": exp.write_jsonl, "csv": exp.write_csv}
        if format not in (*writers, "vics"):
            raise UsageError(f"unknown export format {format!r}; choose jsonl, csv or vics")
        settings = ctx.obj.settings()
        if format == "vics":  # VICS 2.0 case export (issue 4)
            from sichter.hashsets.vics_export import write_vics

            if output == "-":
                n = write_vics(ctx.obj.sessions(settings), case, sys.stdout)
            else:
                with open(output, "w", encoding="utf-8") as out:
                    n = write_vics(ctx.obj.sessions(settings), case, out)
            console.print(f"exported {n:,} media (VICS 2.0)")
            return
        rows = exp.records(ctx.obj.sessions(settings), case)
        if output == "-":
            n = writers[format](rows, sys.stdout)
            sys.stdout.flush()
        else:
            with open(output, "w", encoding="utf-8", newline="") as out:
                n = writers[format](rows, out)
        console.print(f"exported {n:,} records")

    run(go)


@app.command()
def report(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument()],
    output: Annotated[Path, typer.Option("-o", "--output", help="HTML file to write")] = Path("report.html"),
) -> None:
    """Write the case report (HTML). It holds figures and provenance, never images."""
    from sichter.report.html import write_report

    def go() -> None:
        settings = ctx.obj.settings()
        write_report(ctx.obj.sessions(settings), case, output)
        console.print(f"wrote {output}")

    run(go)


@demo_app.command("generate")
def demo_generate(
    target: Annotated[Path, typer.Argument(help="folder to create the benign demo evidence in")],
) -> None:
    """Generate benign demo evidence: scikit-image sample photos, archives, broken files."""
    from sichter.demo import generate

    def go() -> None:
        n = generate(target)
        console.print(f"generated {n} demo files under {target}")

    run(go)


# --- command groups of later stages, registered on the importable module's app ---


def _register_command_groups() -> None:
    from sichter.cli_ai import register as register_ai
    from sichter.cli_hashset import hashset_app, match_cmd
    from sichter.cli_learn import model_app, qa_app, report_pdf
    from sichter.cli_web import register as register_web

    register_ai(app)
    register_web(app, case_app)
    app.add_typer(hashset_app, name="hashset")
    app.command("match")(match_cmd)
    app.add_typer(model_app, name="model")
    app.add_typer(qa_app, name="qa")
    app.command("report-pdf")(report_pdf)


if __name__ == "__main__":
    # Run as ``python -m sichter.cli``: the command modules import ``sichter.cli``, so use
    # that module's app rather than this ``__main__`` copy of it.
    from sichter.cli import app as _app

    _app()
elif __name__ == "sichter.cli":  # not when multiprocessing re-runs this file as __mp_main__
    _register_command_groups()
