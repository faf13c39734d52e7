"""Services behind both the pages and the JSON API (and the CLI): no HTTP in here."""
