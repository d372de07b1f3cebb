"""External check: iris-compat against IRIS's own test videos and expected per-frame logs.

The data (``<shared>/iris_reference``, see ../shared/data/README.md) is not part of the
repository; every test here skips when it is absent.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from moviemotion.flash.iris import IRIS_COLUMNS, IRIS_INT_COLUMNS, analyze_iris, write_iris_csv

pytestmark = pytest.mark.shared_data

#: video -> IRIS's overall result, as stated in the data's README.
EXPECTED = {
    "2Hz_5s": "pass with warning",
    "2Hz_6s": "extended fail",
    "3Hz_6s": "fail",
    "GradualRedIncrease": "pass",
    "extendedFLONG": "pass",
    "intermitentEF": "pass",
    "gray": "pass",
    "flashStripes": "fail",
}
VERDICT = {"pass": "pass", "pass with warning": "warning", "extended fail": "fail", "fail": "fail"}
#: Logs written by the IRIS version whose CSV format iris-compat writes, at full precision.
FULL_PRECISION = ("GradualRedIncrease", "extendedFLONG", "intermitentEF", "gray")


@pytest.fixture(scope="module")
def iris_dir(shared_data: Path) -> Path:
    d = shared_data / "iris_reference"
    if not (d / "TestVideos").is_dir() or not (d / "ExpectedVideoLogFiles").is_dir():
        pytest.skip(f"IRIS reference data not found at {d}")
    return d


def _clean(cell: str) -> str:
    return cell.strip().rstrip("\x00").strip()  # IRIS ends each row with a NUL byte


def _expected_log(iris_dir: Path, name: str) -> list[dict[str, str]]:
    with open(iris_dir / "ExpectedVideoLogFiles" / f"{name}_RELATIVE.csv", newline="") as fh:
        return [{k: _clean(v) for k, v in row.items()} for row in csv.DictReader(fh)]


@pytest.fixture(scope="module")
def results(iris_dir: Path):
    cache = {}

    def get(name: str):
        if name not in cache:
            cache[name] = analyze_iris(iris_dir / "TestVideos" / f"{name}.mp4")
        return cache[name]

    return get


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_overall_result_matches_iris(results, name):
    r = results(name)
    assert r.profile == "iris-compat"
    assert r.extras["iris_summary"] == EXPECTED[name]
    assert r.verdict == VERDICT[EXPECTED[name]]
    assert r.extras["iris_result"] == {"pass": "Pass", "warning": "PassWithWarning",
                                       "fail": "Fail"}[r.verdict]
    if r.verdict == "pass":
        assert r.incidents == []
    else:
        assert r.incidents and all(i.end > i.start for i in r.incidents)
    if EXPECTED[name] == "extended fail":
        assert {i.type for i in r.incidents if i.severity == "fail"} == {"extended_flash"}


@pytest.mark.parametrize("name", sorted(n for n in EXPECTED if n != "flashStripes"))
def test_per_frame_log_matches_iris(results, iris_dir, name):
    rows = _expected_log(iris_dir, name)
    assert tuple(rows[0]) == IRIS_COLUMNS
    r = results(name)
    assert r.n_frames == len(rows)
    assert list(r.frames["Frame"]) == [int(x["Frame"]) for x in rows]
    for col in IRIS_INT_COLUMNS:  # transition counts, extended-fail counts, result codes
        expected = np.array([int(x[col]) for x in rows])
        got = np.asarray(r.frames[col])
        bad = np.flatnonzero(expected != got)
        assert bad.size == 0, f"{name} {col}: frames {bad[:10] + 1} differ"
    for col in IRIS_COLUMNS[2:11]:  # the float columns agree to IRIS's printed precision
        expected = np.array([float(x[col]) for x in rows])
        np.testing.assert_allclose(np.asarray(r.frames[col], float), expected, atol=2e-6,
                                   err_msg=f"{name} {col}")


def test_flash_stripes_old_format_log_matches(results, iris_dir):
    """flashStripes' log is from an older IRIS: no warnings, code 2 meant 'flash fail'."""
    rows = _expected_log(iris_dir, "flashStripes")
    r = results("flashStripes")
    assert r.n_frames == len(rows)
    lum = np.asarray(r.frames["LuminanceTransitions"])
    red = np.asarray(r.frames["RedTransitions"])
    np.testing.assert_array_equal(lum, [int(x["LuminanceTransitions"]) for x in rows])
    np.testing.assert_array_equal(red, [int(x["RedTransitions"]) for x in rows])
    np.testing.assert_array_equal(lum + red, [int(x["TotalTransitions"]) for x in rows])
    old_codes = np.where(np.asarray(r.frames["FlashLuminanceFailedFrame"]) == 3, 2, 0)
    np.testing.assert_array_equal(old_codes, [int(x["FlashFailedFrames"]) for x in rows])


@pytest.mark.parametrize("name", FULL_PRECISION)
def test_written_csv_is_byte_identical_to_iris_log(results, iris_dir, name, tmp_path):
    out = write_iris_csv(results(name), tmp_path / f"{name}.csv")
    expected = (iris_dir / "ExpectedVideoLogFiles" / f"{name}_RELATIVE.csv").read_text()
    expected_lines = [line.rstrip(" \x00") for line in expected.splitlines()]
    assert out.read_text().splitlines() == expected_lines
