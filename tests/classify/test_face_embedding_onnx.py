"""Face embeddings through onnxruntime equal dlib's own compute_face_descriptor (the network
is converted in memory from the installed wheel's .dat file), and bad files are refused."""

from __future__ import annotations

import dlib
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from sichter.classify import face_embedding_onnx as fe
from sichter.classify import faces
from sichter.demo.photos import sample


def rgb(name: str) -> np.ndarray:
    im = sample(name).convert("RGB")
    im.thumbnail((512, 512))
    return np.ascontiguousarray(np.asarray(im))


@pytest.fixture(scope="module")
def session() -> object:
    return fe.session(str(faces._embedding_file()))


@pytest.mark.parametrize(("name", "box"), [
    ("astronaut", (170, 30, 300, 200)),  # a real face
    ("chelsea", (120, 40, 300, 220)),    # any pixels: the network is a function of the chip
    ("coffee", (200, 100, 360, 260)),
])
def test_onnx_descriptor_equals_dlibs(session: object, name: str, box: tuple[int, ...]) -> None:
    pixels = rgb(name)
    m = faces._models()
    shape = m.predictor(pixels, dlib.rectangle(*box))
    theirs = np.asarray(faces.dlib_recogniser().compute_face_descriptor(pixels, shape), dtype=np.float32)
    chip = np.asarray(dlib.extract_image_chip(
        pixels, dlib.get_face_chip_details(shape, fe.CHIP, fe.CHIP_PADDING)))
    ours = fe.descriptors(session, [chip])[0]
    assert ours.shape == (128,)
    assert np.abs(ours - theirs).max() <= 1e-5


def test_analyse_faces_uses_onnx_and_records_it() -> None:
    pixels = rgb("astronaut")
    found = faces.analyse_faces(Image.fromarray(pixels), [((0.33, 0.06, 0.25, 0.33), 0.9, "t")],
                                1.0, 0.8, True)
    m = faces._models()
    shape = m.predictor(pixels, dlib.rectangle(168, 30, 296, 199))
    theirs = np.asarray(faces.dlib_recogniser().compute_face_descriptor(pixels, shape), dtype=np.float32)
    assert found[0].embedding is not None
    assert np.abs(found[0].embedding - theirs).max() <= 1e-5
    assert faces.embedding_runtime() == "onnxruntime"
    info = faces.embedding_info("onnxruntime")
    assert info.version.endswith("+" + fe.CONVERTER) and info.settings["runtime"] == "onnxruntime"
    assert faces.embedding_info("dlib").version != info.version
    assert len(info.version) <= 100  # ai_model.version's column width


def test_a_truncated_or_foreign_file_is_refused() -> None:
    data = faces._embedding_file().read_bytes()
    with pytest.raises(fe.FormatError):
        fe.parse(data[: len(data) // 2])
    with pytest.raises(fe.FormatError):
        fe.parse(b"\x01\x05con_4" + bytes(64))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_give_format_error_only(data: bytes) -> None:
    with pytest.raises(fe.FormatError):
        fe.parse(b"\x01\x05con_4" + data)


def test_without_the_onnx_conversion_dlib_computes_the_same_embeddings(
        monkeypatch: pytest.MonkeyPatch) -> None:
    pixels = rgb("astronaut")
    box = [((0.33, 0.06, 0.25, 0.33), 0.9, "t")]
    fast = faces.analyse_faces(Image.fromarray(pixels), box, 1.0, 0.8, True)
    monkeypatch.setattr(faces, "_onnx_embedder", lambda: None)
    slow = faces.analyse_faces(Image.fromarray(pixels), box, 1.0, 0.8, True)
    assert faces.embedding_runtime() == "dlib"
    assert slow[0].embedding is not None and fast[0].embedding is not None
    assert np.abs(slow[0].embedding - fast[0].embedding).max() <= 1e-5


def test_dlibs_face_detector_finds_the_astronaut_when_configured() -> None:
    from sichter.classify.stage import score_image
    from sichter.pipeline.analyse import AnalysisSettings

    im = Image.fromarray(rgb("astronaut"))
    settings = AnalysisSettings(case_id=1, data_key=b"\0" * 32,
                                options={"triage": {"face_detector": "dlib"}})
    result = score_image(im, settings)
    assert [f["source"] for f in result["faces"]] == ["dlib"]
    assert result["youngest_band"] == "adult" and "dlib_hog" in result["models"]
