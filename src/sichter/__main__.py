"""``python -m sichter`` runs the command line."""

from sichter.cli import app

app()
