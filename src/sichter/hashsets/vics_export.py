"""VICS 2.0 case export: one Case holding Media (per content, keyed by MD5) and MediaFiles
(per occurrence). Booleans are JSON booleans, MD5/SHA-1 uppercase, paths with Windows
separators as the public readers expect. Pre-categorised contents carry their category in the
case's scheme and ``IsPrecategorized: true``."""

from __future__ import annotations

import json
import ntpath
import uuid
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sichter import __version__
from sichter.matching.service import known_status
from sichter.store.cases import get_case
from sichter.store.models import Content, Occurrence

PROFILES = {"vics-us": "US", "caid-uk": "UK", "dhs": "CUSTOM", "de": "CUSTOM"}


def _iso(value: str | None) -> str | None:
    return value or None


def write_vics(sessions: sessionmaker[Session], case_name: str, out: TextIO) -> int:
    """Write the case as VICS 2.0 JSON; returns the number of Media written."""
    with sessions() as s:
        case = get_case(s, case_name)
        contents = list(s.scalars(select(Content).where(Content.case_id == case.id).order_by(Content.id)))
        occurrences: dict[int, list[Occurrence]] = {}
        for occ in s.scalars(select(Occurrence).where(Occurrence.case_id == case.id,
                                                      Occurrence.content_id.is_not(None))
                             .order_by(Occurrence.source, Occurrence.path)):
            occurrences.setdefault(occ.content_id or 0, []).append(occ)
        statuses = known_status(s, case.id, [c.id for c in contents])
        media: list[dict[str, Any]] = []
        for n, c in enumerate(contents, 1):
            st = statuses.get(c.id)
            precategorised = bool(st and st.status == "known" and st.scheme == case.scheme)
            item: dict[str, Any] = {"MediaID": n, "MD5": c.md5.upper(), "SHA1": c.sha1.upper(),
                                    "MediaSize": c.size, "MimeType": c.mime,
                                    "IsPrecategorized": precategorised,
                                    "VictimIdentified": False, "OffenderIdentified": False,
                                    "IsDistributed": False}
            if precategorised and st is not None and st.category is not None:
                item["Category"] = int(st.category)
                item["PrecategorizationSource"] = st.hashset
            if c.pdq:
                item["AlternativeHashes"] = [{"MD5": c.md5.upper(), "HashName": "PDQ", "HashValue": c.pdq}]
            item["MediaFiles"] = [_media_file(c, o) for o in occurrences.get(c.id, [])]
            media.append(item)
        doc = {
            "@odata.context": "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/"
                              f"{PROFILES.get(case.scheme, 'CUSTOM')}/$metadata#Cases",
            "value": [{
                "CaseID": str(uuid.uuid5(uuid.NAMESPACE_URL, f"sichter:{case.name}:{case.created_at}")),
                "CaseNumber": case.name, "ContactOrganization": "", "ContactName": case.created_by,
                "ContactPhone": "", "ContactEmail": "", "ContactTitle": "",
                "TotalMediaFiles": len(media),
                "TotalPrecategorized": sum(1 for m in media if m["IsPrecategorized"]),
                "SourceApplicationName": "Sichter", "SourceApplicationVersion": __version__,
                "Media": media,
            }],
        }
    json.dump(doc, out, ensure_ascii=False, indent=1)
    return len(media)


def _media_file(c: Content, o: Occurrence) -> dict[str, Any]:
    windows_path = o.path.replace("/", "\\")
    folder, name = ntpath.split(windows_path)
    item: dict[str, Any] = {"MD5": c.md5.upper(), "FileName": name, "FilePath": folder,
                            "Unallocated": False, "Deleted": bool(o.deleted), "SourceID": o.source}
    for key, value in (("Created", o.created), ("Written", o.modified), ("Accessed", o.accessed)):
        if value:
            item[key] = value
    return item
