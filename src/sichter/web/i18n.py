"""German and English UI texts: gettext catalogues compiled from the .po files at start-up."""

from __future__ import annotations

import gettext
import io
from functools import cache
from pathlib import Path

LOCALE_DIR = Path(__file__).parent / "locale"
LANGS = ("de", "en")


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The catalogue for ``lang``, compiled in memory with Babel (no build step needed)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    po = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if not po.is_file():
        return gettext.NullTranslations()
    with po.open("rb") as f:
        catalog = read_po(f, locale=lang)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


def pick(requested: str | None, default: str) -> str:
    return requested if requested in LANGS else (default if default in LANGS else "en")
