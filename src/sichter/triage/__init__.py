"""Pure scoring: age bands, the explicit score, priority and suggested category, and the
evaluation statistics. No I/O here; the classify stage and the CLI call these functions."""
