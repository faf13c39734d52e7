"""Commands of AI triage: ``rescore``, ``evaluate`` and ``models``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from sichter.cli import Context, console, run


def rescore_cmd(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(help="case name")],
    explicit_threshold: Annotated[float | None, typer.Option(
        help="explicit score that counts as explicit [default: from settings]")] = None,
    age_margin: Annotated[float | None, typer.Option(
        help="years added to each side of an age interval [default: from settings]")] = None,
) -> None:
    """Recompute priorities and suggested categories from stored scores (models do not run)."""
    obj: Context = ctx.obj

    def go() -> None:
        from sichter.classify.triage_run import compute_triage
        from sichter.store.cases import get_case

        settings = obj.settings()
        changes = {k: v for k, v in {"explicit_threshold": explicit_threshold,
                                      "age_margin": age_margin}.items() if v is not None}
        if changes:  # validated like the settings file (model_copy would skip the limits)
            from sichter.triage.config import TriageSettings

            settings = settings.model_copy(update={"triage": TriageSettings.model_validate(
                {**settings.triage.model_dump(), **changes})})
        sessions = obj.sessions(settings)
        with sessions() as s:
            case_id = get_case(s, case).id
        summary = compute_triage(settings, sessions, case_id, "rescore")
        from sichter.web.services.queue import refresh_queue  # the grid follows the new order

        with sessions.begin() as s:
            refresh_queue(s, case_id)
        console.print(f"rescored {summary.contents} contents of {case}: "
                      + ", ".join(f"{k} {v}" for k, v in sorted(summary.tiers.items())))
        from rich.markup import escape

        if summary.precision:
            p = summary.precision
            console.print(f"int8 detector checked against fp32 on {p.checked} images: explicit "
                          f"score difference up to {p.explicit_diff_max:.3f} (mean "
                          f"{p.explicit_diff_mean:.4f})")
        for warning in summary.warnings():
            console.print(f"[yellow]{escape(warning)}")
        from sichter.web.services.learning import apply_promoted_model, queue_order

        applied = apply_promoted_model(sessions, case_id)  # a promoted learned model, if any
        if applied.model_version:
            console.print(f"applied learned model {applied.model_version} to {applied.items} contents")
        if applied.error:
            console.print(f"[yellow]learned model not applied: {escape(applied.error)}")
        with sessions() as s:
            order = queue_order(s, case_id)
        console.print("review queue ordered by: "
                      + (", ".join(f"{k} ({v})" for k, v in order.items()) or "nothing to review"))

    run(go)


def evaluate_cmd(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(help="case name")],
    labels: Annotated[Path, typer.Option("--labels", help="CSV: sha256,explicit,age,category")],
    threshold: Annotated[float | None, typer.Option(
        help="explicit threshold [default: from settings]")] = None,
) -> None:
    """Accuracy on your own labelled data: ROC-AUC, precision/recall, age MAE, bands, effort."""
    obj: Context = ctx.obj

    def go() -> None:
        from sichter.classify.evaluation import evaluate_case

        settings = obj.settings()
        report = evaluate_case(obj.sessions(settings), case, labels,
                               settings.triage.explicit_threshold if threshold is None
                               else threshold)
        typer.echo(json.dumps(report, indent=2))

    run(go)


def models_cmd(ctx: typer.Context) -> None:
    """The bundled and plug-in models: name, version, SHA-256."""
    obj: Context = ctx.obj

    def go() -> None:
        from sichter.classify import plugins
        from sichter.classify.models import ModelUnavailable, builtin_models
        from sichter.classify.plugins import load_plugins
        from sichter.errors import UsageError

        settings = obj.settings()
        for i in builtin_models().values():
            typer.echo(f"{i.name}\t{i.version}\t{i.sha256}")
        plugin_dir = settings.triage.plugin_dir
        try:
            for plugin in load_plugins(str(plugin_dir) if plugin_dir else None):
                plugins._session(plugin.info.path)  # listed only if onnxruntime can load it
                i = plugin.info
                typer.echo(f"{i.name}\t{i.version}\t{i.sha256}")
        except ModelUnavailable as exc:  # the agency's configuration, not a run failure
            raise UsageError(str(exc)) from exc
        if settings.triage.detector_precision == "int8":
            from sichter.classify import nudenet_int8, nudenet_onnx

            if nudenet_int8.made(settings.models_dir):
                i = nudenet_int8.info(settings.models_dir)
                typer.echo(f"{i.name}\t{i.version}\t{i.sha256}\t(in use: detector_precision int8)")
            else:
                typer.echo(f"{nudenet_onnx.NAME}\t(int8 copy not made yet: the next ingest makes "
                           f"it in {settings.models_dir})\t-")

    run(go)


def register(app: typer.Typer) -> None:
    """Adds ``rescore``, ``evaluate`` and ``models`` to the main command line."""
    app.command("rescore")(rescore_cmd)
    app.command("evaluate")(evaluate_cmd)
    app.command("models")(models_cmd)
