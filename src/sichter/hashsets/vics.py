"""Project VIC VICS JSON, 1.x (``odata.metadata``) and 2.0 (``@odata.context``): hash sets
(a flat Media array) and case exports (Cases holding Media). Tolerant as the public readers
are: booleans and numbers as strings, hex in any case, Category absent or null = uncategorised,
PhotoDNA and other AlternativeHashes kept but not matched, a PDQ among them used."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sichter.hashsets.jsonstream import JsonStream, JsonStreamError, elements, top_level
from sichter.hashsets.model import (
    BadRecord,
    BadValue,
    Record,
    SetFacts,
    bool_or_none,
    hex_hash,
    int_or_none,
)

CONTEXT_KEYS = ("@odata.context", "odata.metadata")
FLAGS = ("VictimIdentified", "OffenderIdentified", "IsDistributed", "IsPrecategorized", "IsSuspected")
PROFILE_SCHEMES = {"us": "vics-us", "default": "vics-us", "uk": "caid-uk"}
_MODEL = re.compile(r"DataModels/(?P<version>\d+\.\d+)\.xml(?:/(?P<profile>[^/]+)/)?", re.I)


def scheme_of_context(context: str) -> tuple[str | None, str | None, str | None]:
    """(version, profile, scheme) from a context URL; VICS-US for 2.0 Default/US and for 1.x."""
    m = _MODEL.search(context)
    if not m:
        return None, None, None
    version, profile = m.group("version"), m.group("profile")
    if profile:
        return version, profile, PROFILE_SCHEMES.get(profile.lower())
    return version, None, "vics-us"


class VicsReader:
    name = "vics"
    role = "reference"

    def sniff(self, head: bytes, path: Path) -> bool:
        text = _head_text(head)
        return text.lstrip().startswith("{") and any(k in text for k in CONTEXT_KEYS + ('"value"',))

    def read(self, path: Path, facts: SetFacts) -> Iterator[Record | BadRecord]:
        number = 0
        with open(path, "rb") as raw:
            try:
                stream = JsonStream(raw)
                for key, value in top_level(stream):
                    if key in CONTEXT_KEYS and isinstance(value, str):
                        version, profile, scheme = scheme_of_context(value)
                        facts.version, facts.scheme = version, scheme
                        facts.details.update({"context": value, "profile": profile})
                    elif key == "value" and value is None:
                        for element in elements(stream):
                            for media in _media_of(element):
                                number += 1
                                yield _record(number, media)
                    elif value is None:  # another array: skip it
                        for _ in elements(stream):
                            pass
            except JsonStreamError as exc:
                yield BadRecord(exc.line, "line", f"{exc} (after record {number}; "
                                "the rest of the file was not read)")


def _head_text(head: bytes) -> str:
    for enc, bom in (("utf-8-sig", b"\xef\xbb\xbf"), ("utf-16", b"\xff\xfe")):
        if head.startswith(bom):
            return head.decode(enc, errors="ignore")
    return head.decode("utf-8", errors="ignore")


def _media_of(element: Any) -> Iterator[Any]:
    """A Media object, or the Media of a Case object."""
    if isinstance(element, dict) and isinstance(element.get("Media"), list):
        yield from element["Media"]
    else:
        yield element


def _record(number: int, media: Any) -> Record | BadRecord:
    if not isinstance(media, dict):
        return BadRecord(number, "record", f"a Media entry must be an object, got {type(media).__name__}")
    # Keys match case-insensitively, except Category (as IPED does); OData annotations are noise.
    lower = {k.lower(): v for k, v in media.items() if not (k.startswith("odata.") or "@odata." in k)}
    try:
        extra: dict[str, Any] = {}
        pdq = None
        for alt in lower.get("alternativehashes") or []:
            if not isinstance(alt, dict):
                raise BadValue("an AlternativeHashes entry is not an object")
            alt_l = {k.lower(): v for k, v in alt.items()}
            hash_name, hash_value = alt_l.get("hashname"), alt_l.get("hashvalue")
            if isinstance(hash_name, str) and hash_name.upper() == "PDQ":
                pdq = hex_hash("pdq", hash_value)
            else:
                extra.setdefault("alternative_hashes", []).append({"name": hash_name, "value": hash_value})
        if lower.get("photodna"):
            extra["photodna"] = lower["photodna"]
        md5 = hex_hash("md5", lower.get("md5"))
        sha1 = hex_hash("sha1", lower.get("sha1"))
        if not (md5 or sha1 or pdq):
            raise BadValue("no MD5, SHA1 or PDQ")
        for flag in FLAGS:
            flag_value = bool_or_none(flag, lower.get(flag.lower()))
            if flag_value is not None:
                extra[flag] = flag_value
        size = int_or_none("MediaSize", lower.get("mediasize"))
        if size is not None:
            extra["size"] = size
        media_id = lower.get("mediaid")
        if media_id not in (None, ""):
            extra["media_id"] = media_id
        series = lower.get("series")
        if isinstance(series, list):
            series = ",".join(str(s) for s in series)
        name = None
        files = lower.get("mediafiles")
        if isinstance(files, list) and files and isinstance(files[0], dict):
            name = files[0].get("FileName")
        return Record(md5=md5, sha1=sha1, pdq=pdq,
                      category=int_or_none("Category", media.get("Category")),
                      series=str(series) if series not in (None, "") else None,
                      name=name if isinstance(name, str) else None, extra=extra or None)
    except BadValue as exc:
        return BadRecord(number, "record", str(exc))
