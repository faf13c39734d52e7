"""Which reviewer categories count as relevant, per category scheme. Pure.

"Relevant" is what the ranking must put first and what the QA sample hunts for: material a
prosecutor needs. Per scheme (codes as the review workspace stores them):

- vics-us: 1 CAM, 2 exploitive/age difficult, 3 CGI relevant; 0 non-pertinent, 4 adult
  comparison not relevant.
- dhs: 1, 2, 3 relevant; 4 comparison, 5 non-pertinent not relevant; 0 uncategorised = no label.
- caid-uk: A, B, C relevant; non-indecent not relevant.
- de: 184b, 184c relevant, and "unclear" too (it needs a second look: counting it as relevant
  errs on the side of recall); adult and not-relevant not relevant.

An unknown code or no category is no label (``None``): it neither trains nor counts.
"""

from __future__ import annotations

_RELEVANT: dict[str, frozenset[str]] = {
    "vics-us": frozenset({"1", "2", "3"}),
    "dhs": frozenset({"1", "2", "3"}),
    "caid-uk": frozenset({"a", "b", "c"}),
    "de": frozenset({"184b", "184c", "unclear"}),
}
_NOT_RELEVANT: dict[str, frozenset[str]] = {
    "vics-us": frozenset({"0", "4"}),
    "dhs": frozenset({"4", "5"}),
    "caid-uk": frozenset({"non-indecent"}),
    "de": frozenset({"adult", "not-relevant"}),
}


def is_relevant(category: str | None, scheme: str) -> bool | None:
    """True/False for a decided category of ``scheme``; None when it carries no label."""
    if category is None or scheme not in _RELEVANT:
        return None
    code = category.strip().lower()
    if code in _RELEVANT[scheme]:
        return True
    if code in _NOT_RELEVANT[scheme]:
        return False
    return None
