"""The broadcast profile on IRIS's own test videos (../shared/data/iris_reference; skipped
when absent): the verdicts agree with IRIS's on these full-screen clips."""

from __future__ import annotations

import pytest

from moviemotion.flash import analyze

pytestmark = pytest.mark.shared_data


@pytest.fixture(scope="module")
def videos(shared_data):
    d = shared_data / "iris_reference" / "TestVideos"
    if not d.is_dir():
        pytest.skip(f"{d} not found")
    return d


@pytest.mark.parametrize(("name", "verdict"), [
    ("gray.mp4", "pass"),
    ("GradualRedIncrease.mp4", "pass"),
    ("extendedFLONG.mp4", "pass"),
    ("intermitentEF.mp4", "pass"),
    ("3Hz_6s.mp4", "fail"),       # 7 transitions within 0.96 s (IRIS fails it too)
])
def test_verdicts_agree_with_iris(videos, name, verdict):
    assert analyze(videos / name).verdict == verdict


def test_flashing_stripes_fail_with_their_area(videos):
    # IRIS fails it too (12.5 flashes/s); per cell, the flashing area and place are measured
    r = analyze(videos / "flashStripes.mp4")
    assert r.verdict == "fail"
    (inc,) = r.incidents
    # 45 % of the pixels change by 0.1 or more at each flash; border cells count by their share
    assert inc.peak_flashes_per_second > 10 and inc.peak_area == pytest.approx(0.45, abs=0.03)
    assert inc.bbox is not None and inc.bbox[2] < 640


def test_extended_rule_on_2hz_for_6s(videos):
    path = videos / "2Hz_6s.mp4"
    assert analyze(path).verdict == "pass"  # 2 flashes/s: within the 3 flashes/s limit
    r = analyze(path, extended=True)
    assert [i.type for i in r.incidents] == ["extended_flash"]  # IRIS: ExtendedFail
