"""The review workspace: a FastAPI app with server-rendered pages and a JSON API on the same services."""
