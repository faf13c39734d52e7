"""The robust stage during ingest: each new image's local features are stored encrypted as a
derivative, the JSON facts say only how many keypoints there are, and the stored features
match a cropped, watermarked copy of the photo. SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select

from sichter.demo.photos import TRANSFORMS, encode, sample
from sichter.errors import CryptoError
from sichter.matching.robust import DERIVATIVE_KIND, MIME, extract, known_variants
from sichter.matching.robust_index import RobustIndex
from sichter.matching.robust_stage import features_from_derivative
from sichter.pipeline.ingest import ingest
from sichter.pipeline.stages import registry
from sichter.settings import load_settings
from sichter.store.cases import create_case, data_key, get_case
from sichter.store.crypto import load_master_key
from sichter.store.db import open_store
from sichter.store.models import Content, Derivative


def test_ingest_stores_sealed_local_features_that_match_a_cropped_copy(
        tmp_path: Path, home: Path, db_url: str) -> None:
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    (evidence / "coffee.png").write_bytes(encode(sample("coffee"), "PNG"))
    (evidence / "flat.png").write_bytes(encode(Image.new("RGB", (64, 48), (40, 90, 160)), "PNG"))
    others = [name for name in registry().image if name != "orb_ransac"]
    settings = load_settings(home, database_url=db_url, workers=1, user="tester",
                             skip_stages=others)
    sessions = open_store(db_url)
    master = load_master_key(settings.home, settings.master_key)
    create_case(sessions, master, "robust", None, "tester")
    ingest(settings, sessions, "robust", [evidence])

    with sessions() as s:
        case = get_case(s, "robust")
        key = data_key(case, master)
        contents = {c.width: c for c in s.scalars(select(Content).where(Content.case_id == case.id))}
        coffee, flat = contents[600], contents[64]
        derivatives = {(d.content_id, d.kind): d for d in s.scalars(select(Derivative))}
        stored = derivatives[(coffee.id, DERIVATIVE_KIND)]
        assert stored.mime == MIME
        assert coffee.analysis["orb_ransac"] == {"keypoints": 1000, "extractor": "orb_ransac/v1"}
        assert flat.analysis["orb_ransac"]["keypoints"] == 0
        assert (flat.id, DERIVATIVE_KIND) not in derivatives
        features = features_from_derivative(key, case.id, coffee.sha256, stored.data)
        # encrypted at rest: the descriptors never appear in the stored bytes
        assert features.descriptors[:4].tobytes() not in stored.data
        with pytest.raises(CryptoError):
            features_from_derivative(key, case.id, flat.sha256, stored.data)

    # The stored features are the known side: a cropped, watermarked copy finds the photo.
    index = RobustIndex.build([("coffee", features)])
    copy = TRANSFORMS["watermark"](TRANSFORMS["crop5"](sample("coffee")))
    assert [m.key for m in index.query(extract(np.asarray(copy)))] == ["coffee"]
    # and the query side works the same way round: index a photo, query the stored features
    reverse = RobustIndex.build(("coffee-original", f) for f in known_variants(
        np.asarray(TRANSFORMS["mirror"](sample("coffee")))))
    assert [m.key for m in reverse.query(features)] == ["coffee-original"]
