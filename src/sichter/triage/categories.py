"""Suggested categories: scheme-independent meanings and their codes in each case scheme.

Codes are text, as the matching stage reports known categories. VICS-US and DHS use their
public integer codes; the German legal view uses Sichter's codes (1 §184b, 2 §184c, 3 adult
comparison, 4 not relevant, 5 unclear). CAID's integer codes are not public and its A/B/C
severity needs a reviewer, so CAID cases get words (``indecent``, ``comparison``,
``non-indecent``). An empty string means "uncategorised".
"""

from __future__ import annotations

CHILD = "child_explicit"          # explicit, youngest confident face under 14
JUVENILE = "juvenile_explicit"    # explicit, youngest confident face 14-17
AGE_DIFFICULT = "age_difficult"   # explicit with uncertain or unseen age; suggestive minor
COMPARISON = "comparison"         # explicit, adults only
NON_PERTINENT = "non_pertinent"
UNCATEGORISED = "uncategorised"

_CODES: dict[str, dict[str, str]] = {
    "vics-us": {CHILD: "1", JUVENILE: "1", AGE_DIFFICULT: "2", COMPARISON: "4",
                NON_PERTINENT: "0", UNCATEGORISED: ""},
    "dhs": {CHILD: "1", JUVENILE: "1", AGE_DIFFICULT: "2", COMPARISON: "4",
            NON_PERTINENT: "5", UNCATEGORISED: ""},
    "de": {CHILD: "1", JUVENILE: "2", AGE_DIFFICULT: "5", COMPARISON: "3",
           NON_PERTINENT: "4", UNCATEGORISED: "5"},
    "caid-uk": {CHILD: "indecent", JUVENILE: "indecent", AGE_DIFFICULT: "indecent?",
                COMPARISON: "comparison", NON_PERTINENT: "non-indecent", UNCATEGORISED: ""},
}


def category_code(meaning: str, scheme: str) -> str:
    """The code of a meaning in a scheme (unknown schemes are treated as VICS-US)."""
    return _CODES.get(scheme, _CODES["vics-us"])[meaning]
