"""``sichter serve``, ``sichter user add``, ``sichter case add-member``, ``sichter audit verify``."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console

from sichter.cli import console, run

user_app = typer.Typer(no_args_is_help=True, help="People who may log in to the review workspace.")
audit_app = typer.Typer(no_args_is_help=True, help="The tamper-evident record of decisions and views.")


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8400,
) -> None:
    """Run the review workspace in the browser (FastAPI; put TLS in front for other hosts)."""
    import uvicorn

    from sichter.web.app import create_app
    from sichter.web.config import load_web_config

    def go() -> None:
        settings = ctx.obj.settings()
        app = create_app(settings, load_web_config(settings.home))
        console.print(f"Sichter review workspace on http://{host}:{port}/")
        uvicorn.run(app, host=host, port=port, log_level="warning")

    run(go)


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="login name")],
    role: Annotated[str, typer.Option(help="investigator, reviewer or admin")] = "reviewer",
) -> None:
    """Add a user; the password is prompted for, or read from the first line of stdin."""
    from sichter.web.services import accounts

    def go() -> None:
        if sys.stdin.isatty():
            password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
        else:
            password = sys.stdin.readline().rstrip("\r\n")
        settings = ctx.obj.settings()
        with ctx.obj.sessions(settings).begin() as s:
            user = accounts.add_user(s, name, role, password)
        console.print(f"added user [bold]{user.name}[/bold] ({user.role})")

    run(go)


def case_add_member(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument()],
    user: Annotated[str, typer.Argument()],
) -> None:
    """Let a user see and review a case."""
    from sichter.web.services import accounts

    def go() -> None:
        settings = ctx.obj.settings()
        with ctx.obj.sessions(settings).begin() as s:
            accounts.add_member(s, case, user, settings.effective_user)
        console.print(f"{user} is now a member of {case}")

    run(go)


@audit_app.command("verify")
def audit_verify(ctx: typer.Context, case: Annotated[str, typer.Argument()]) -> None:
    """Check the case's audit chain; exit 1 and name the first broken row if it does not hold."""
    from sichter.store.cases import get_case
    from sichter.web.services import audit

    def go() -> None:
        settings = ctx.obj.settings()
        with ctx.obj.sessions(settings)() as s:
            report = audit.verify(s, get_case(s, case).id)
        if report.ok:
            Console().print(f"audit chain of {case}: intact, {report.rows} rows")
            return
        Console().print(f"audit chain of {case}: BROKEN at row id {report.first_broken_id} "
                        f"(seq {report.first_broken_seq}): {report.reason}")
        raise typer.Exit(1)

    run(go)


def register(app: typer.Typer, case_app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.add_typer(user_app, name="user")
    app.add_typer(audit_app, name="audit")
    case_app.command("add-member")(case_add_member)
