"""``sichter hashset import|list|remove`` and ``sichter match CASE``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

hashset_app = typer.Typer(no_args_is_help=True, help="Known material: import, list and remove hash sets.")
console = Console(stderr=True)


@hashset_app.command("import")
def hashset_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="VICS JSON, NSRL RDSv3 SQLite, hash list or PDQ list")],
    name: Annotated[str | None, typer.Option(help="name of the set [default: file name]")] = None,
    format: Annotated[str, typer.Option(
        "--format", help="auto, vics, nsrl, md5, sha1, sha256, pdq or vpdq")] = "auto",
    scheme: Annotated[str | None, typer.Option(
        help="category scheme of the file: vics-us, dhs, caid-uk, de [default: from the file, "
             "else vics-us]")] = None,
    strict: Annotated[bool, typer.Option(help="import nothing if any record is bad")] = False,
    known_good: Annotated[bool, typer.Option(
        "--known-good", help="treat matches as known-good (NSRL sets are always)")] = False,
    category: Annotated[int | None, typer.Option(
        help="category code (in --scheme) for records without one, e.g. a vPDQ file")] = None,
    series: Annotated[str | None, typer.Option(help="series for records without one")] = None,
) -> None:
    """Import a hash-set file. The same file twice adds nothing."""
    from sichter.cli import run
    from sichter.hashsets.importer import import_file

    def go() -> None:
        settings = ctx.obj.settings()
        sessions = ctx.obj.sessions(settings)
        result = import_file(sessions, file, settings.effective_user, name=name, fmt=format,
                             scheme=scheme, strict=strict, known_good=known_good,
                             category=category, series=series)
        if result.already_imported:
            console.print(f"{file.name} is already imported as [bold]{result.name}[/bold]; nothing added")
            return
        for bad in result.bad:
            console.print(f"[yellow]bad record[/yellow] {file.name} {bad}")
        if result.bad_count > len(result.bad):
            console.print(f"... and {result.bad_count - len(result.bad):,} more bad records")
        console.print(f"imported [bold]{result.name}[/bold] ({result.format}, scheme {result.scheme}): "
                      f"{result.entries:,} entries, {result.bad_count:,} bad records skipped")

    run(go)


@hashset_app.command("from-case")
def hashset_from_case(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(help="the case whose reviewer decisions become known")],
    name: Annotated[str | None, typer.Option(help="the set to create or extend [default: "
                                                  "case-CASE]")] = None,
    categories: Annotated[list[str] | None, typer.Option(
        "--categories", help="only these category codes of the case's scheme (repeat or "
                             "comma-separate) [default: every decision]")] = None,
) -> None:
    """Create or extend a hash set from a case's reviewer decisions (hashes, PDQ, robust
    features sealed under the hash-set key, vPDQ). Running it again adds nothing new."""
    from sichter.cli import run
    from sichter.hashsets.from_case import set_from_case
    from sichter.store.crypto import load_master_key

    def go() -> None:
        settings = ctx.obj.settings()
        sessions = ctx.obj.sessions(settings)
        wanted = [c.strip() for item in categories or [] for c in item.split(",") if c.strip()]
        result = set_from_case(sessions, load_master_key(settings.home, settings.master_key),
                               case, settings.effective_user, name=name, categories=wanted or None)
        for reason in result.skipped[:20]:
            console.print(f"[yellow]skipped[/yellow] {reason}")
        console.print(f"[bold]{result.name}[/bold] (scheme {result.scheme}) from {result.decisions:,} "
                      f"decision(s) of {case}: {result.added:,} added, {result.updated:,} updated, "
                      f"{result.unchanged:,} already known; robust features {result.robust:,}, "
                      f"vPDQ {result.vpdq:,}")

    run(go)


@hashset_app.command("list")
def hashset_list(ctx: typer.Context) -> None:
    """List the imported hash sets with their provenance."""
    from rich.table import Table

    from sichter.cli import run
    from sichter.hashsets.importer import list_sets

    def go() -> None:
        settings = ctx.obj.settings()
        table = Table("name", "role", "format", "scheme", "entries", "bad", "file", "sha256", "imported",
                      "by")
        for h in list_sets(ctx.obj.sessions(settings)):
            table.add_row(h.name, h.role, h.format, h.scheme or "", f"{h.entries:,}", f"{h.bad_records:,}",
                          h.file_name, h.file_sha256[:16], h.imported_at.strftime("%Y-%m-%d %H:%M"),
                          h.imported_by)
        Console().print(table)

    run(go)


@hashset_app.command("remove")
def hashset_remove(ctx: typer.Context, name: Annotated[str, typer.Argument()]) -> None:
    """Remove a hash set and the matches it gave."""
    from sichter.cli import run
    from sichter.hashsets.importer import remove_set

    def go() -> None:
        settings = ctx.obj.settings()
        n = remove_set(ctx.obj.sessions(settings), name)
        console.print(f"removed {name} ({n:,} entries)")

    run(go)


def match_cmd(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(help="the case to match against every hash set")],
    pdq_threshold: Annotated[int, typer.Option(help="largest PDQ Hamming distance")] = 31,
    pdq_min_quality: Annotated[int, typer.Option(help="smallest PDQ quality of a query")] = 50,
) -> None:
    """Match a case against the hash sets (again, e.g. after importing new sets)."""
    from sichter.cli import run
    from sichter.matching.engine import MatchOptions, match_case
    from sichter.store.cases import get_case

    def go() -> None:
        settings = ctx.obj.settings()
        sessions = ctx.obj.sessions(settings)
        with sessions() as s:
            case_id = get_case(s, case).id
        summary = match_case(sessions, case_id, settings.effective_user,
                             MatchOptions(pdq_threshold, pdq_min_quality), settings)
        kinds = ", ".join(f"{k} {n:,}" for k, n in sorted(summary.matches_by_kind.items())) or "none"
        console.print(f"{summary.matched_contents:,} of {summary.contents:,} contents matched "
                      f"(matches: {kinds})")

    run(go)
