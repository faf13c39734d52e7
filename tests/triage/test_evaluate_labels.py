"""The labels file of ``sichter evaluate``: what an agency's CSV may hold, and the one-line
errors for what it must not."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sichter.classify.evaluation import read_labels
from sichter.errors import UsageError

HEADER = "sha256,explicit,age,category\n"
SHA = "ab" * 32


def labels(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "labels.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    return path


@pytest.mark.parametrize("age", ["nan", "inf", "-inf", "-5", "131", "1e9"])
def test_impossible_ages_are_refused_with_the_line(tmp_path: Path, age: str) -> None:
    with pytest.raises(UsageError, match=r"labels.csv:2: age must be 0 to 130"):
        read_labels(labels(tmp_path, f"{SHA},1,{age},\n"))


def test_one_file_labelled_two_ways_is_refused_naming_both_lines(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"labels.csv:3: .* labelled differently on line 2"):
        read_labels(labels(tmp_path, f"{SHA},1,10,\n{SHA.upper()},0,40,\n"))


def test_the_same_label_twice_is_one_label(tmp_path: Path) -> None:
    assert read_labels(labels(tmp_path, f"{SHA},1,10,4\n{SHA},yes,10.0,4\n")) == {
        SHA: (True, 10.0, "4")}


@given(st.lists(st.tuples(st.binary(min_size=32, max_size=32),
                          st.sampled_from(["0", "1", "true", "no", ""]),
                          st.one_of(st.none(), st.floats(0, 130)),
                          st.sampled_from(["", "1", "4", "CAT-2"])), max_size=20))
def test_written_labels_read_back(rows: list[tuple[bytes, str, float | None, str]]) -> None:
    import tempfile

    unique = {sha.hex(): (explicit, age, category) for sha, explicit, age, category in rows}
    body = "".join(f"{sha},{e},{'' if a is None else repr(a)},{c}\n"
                   for sha, (e, a, c) in unique.items())
    with tempfile.TemporaryDirectory() as tmp:
        read = read_labels(labels(Path(tmp), body))
    assert set(read) == set(unique)
    for sha, (explicit, age, category) in unique.items():
        assert read[sha] == ({"1": True, "true": True, "0": False, "no": False, "": None}[explicit],
                             age, category or None)
