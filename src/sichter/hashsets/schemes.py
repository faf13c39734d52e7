"""Category schemes and what their integer codes mean.

The same integer means different things in different schemes (VICS-US 0 is non-pertinent,
DHS 0 is uncategorised), so a category is never read without its scheme. Codes are mapped
between schemes only through a shared meaning; where no meaning is shared (CAID's integer
codes are not public; German legal categories depend on an age only a reviewer decides),
there is no mapping and the set's own scheme is reported.
"""

from __future__ import annotations

from dataclasses import dataclass

SCHEMES = ("vics-us", "dhs", "caid-uk", "de")


@dataclass(frozen=True)
class Meaning:
    key: str  # scheme-independent meaning, e.g. "non_pertinent"
    label: str  # the scheme's own wording


# key: scheme -> code -> meaning (codes are the integers a hash-set file carries)
_TABLES: dict[str, dict[int, Meaning]] = {
    "vics-us": {
        0: Meaning("non_pertinent", "Non-Pertinent"),
        1: Meaning("cam", "Child Abuse Material (CAM)"),
        2: Meaning("age_difficult", "Child Exploitive (Non-CAM) / Age Difficult"),
        3: Meaning("cgi", "CGI/Animation - Child Exploitive"),
        4: Meaning("comparison", "Comparison Images"),
    },
    "dhs": {
        0: Meaning("uncategorised", "CAT-0 Uncategorized"),
        1: Meaning("cam", "CAT-1 Child Exploitation (Illegal)"),
        2: Meaning("age_difficult", "CAT-2 Child Exploitation (Non-Illegal/Age Difficult)"),
        3: Meaning("cgi", "CAT-3 CGI/Animation (Child Exploitive)"),
        4: Meaning("comparison", "CAT-4 Exemplar/Comparison"),
        5: Meaning("non_pertinent", "CAT-5 Non-pertinent"),
    },
    # The UK profile's integer codes are not public: every code stays "unmapped".
    "caid-uk": {},
    # Sichter's codes for the German legal view (§184b child, §184c juvenile).
    "de": {
        1: Meaning("de_184b", "§184b StGB (child, under 14)"),
        2: Meaning("de_184c", "§184c StGB (juvenile, 14-17)"),
        3: Meaning("comparison", "adult pornography (comparison)"),
        4: Meaning("non_pertinent", "not relevant"),
        5: Meaning("unclear", "unclear / needs second opinion"),
    },
}


def meaning(scheme: str | None, code: int | None) -> Meaning | None:
    """What ``code`` means in ``scheme``; None for absent codes and unknown (scheme, code)."""
    if code is None or scheme is None:
        return None
    return _TABLES.get(scheme, {}).get(code)


def is_categorised(scheme: str | None, code: int | None) -> bool:
    """True when the code carries a verdict (null, and DHS CAT-0, are uncategorised)."""
    if code is None:
        return False
    m = meaning(scheme, code)
    return m is None or m.key != "uncategorised"


def label(scheme: str | None, code: int | None) -> str | None:
    """A human label: the scheme's wording, or the raw code marked as unmapped."""
    if code is None:
        return None
    m = meaning(scheme, code)
    return m.label if m else f"{scheme or 'unknown scheme'} code {code} (unmapped)"


def translate(code: int | None, from_scheme: str | None, to_scheme: str) -> int | None:
    """The code in ``to_scheme`` with the same meaning, or None when there is none."""
    m = meaning(from_scheme, code)
    if m is None:
        return None
    if from_scheme == to_scheme:
        return code
    for other, om in _TABLES.get(to_scheme, {}).items():
        if om.key == m.key:
            return other
    return None
