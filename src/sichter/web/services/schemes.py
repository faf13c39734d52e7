"""Category schemes a reviewer decides in, with the digit key for each category."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    key: str  # the digit a reviewer presses
    code: str  # what is stored in review_decision.category and exported
    label_en: str
    label_de: str


SCHEMES: dict[str, tuple[Category, ...]] = {
    "vics-us": (
        Category("0", "0", "Non-pertinent", "Nicht relevant"),
        Category("1", "1", "Child abuse material", "Missbrauchsdarstellung (Kind)"),
        Category("2", "2", "Child exploitive / age difficult", "Ausbeuterisch / Alter unklar"),
        Category("3", "3", "CGI / animation", "CGI / Animation"),
        Category("4", "4", "Comparison (adult)", "Vergleich (erwachsen)"),
    ),
    "dhs": (
        Category("0", "0", "Uncategorized", "Nicht kategorisiert"),
        Category("1", "1", "Child exploitation (illegal)", "Kinderausbeutung (illegal)"),
        Category("2", "2", "Child exploitation (non-illegal / age difficult)",
                 "Kinderausbeutung (nicht illegal / Alter unklar)"),
        Category("3", "3", "CGI / animation", "CGI / Animation"),
        Category("4", "4", "Comparison", "Vergleich"),
        Category("5", "5", "Non-pertinent", "Nicht relevant"),
    ),
    "caid-uk": (
        Category("1", "A", "Category A", "Kategorie A"),
        Category("2", "B", "Category B", "Kategorie B"),
        Category("3", "C", "Category C", "Kategorie C"),
        Category("4", "non-indecent", "Non-indecent", "Nicht unsittlich"),
    ),
    "de": (
        Category("1", "184b", "§184b StGB (under 14)", "§184b StGB (unter 14)"),
        Category("2", "184c", "§184c StGB (14–17)", "§184c StGB (14–17)"),
        Category("3", "adult", "Adult pornography", "Erwachsenenpornografie"),
        Category("4", "not-relevant", "Not relevant", "Nicht relevant"),
        Category("5", "unclear", "Unclear / second opinion", "Unklar / Zweitmeinung"),
    ),
}


def categories(scheme: str) -> tuple[Category, ...]:
    return SCHEMES.get(scheme, SCHEMES["vics-us"])


def valid_codes(scheme: str) -> set[str]:
    return {c.code for c in categories(scheme)}


def label(scheme: str, code: str | None, lang: str) -> str:
    for c in categories(scheme):
        if c.code == code:
            return c.label_de if lang == "de" else c.label_en
    return "–" if code is None else code
