"""Member names as the container records them, made unique within one container."""

from __future__ import annotations


class MemberNames:
    """Gives a second member of the same name the suffix ``;2`` (ISO 9660 style), and so on.

    Archives may legally hold two members with one name; both are evidence and both are kept.
    Names are never normalised: ``../../x.jpg`` stays ``../../x.jpg``.
    """

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def unique(self, name: str) -> str:
        n = self._seen.get(name, 0) + 1
        self._seen[name] = n
        return name if n == 1 else f"{name};{n}"
