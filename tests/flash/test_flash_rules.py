"""Building blocks of the standard analyzer: luminance, cells, transitions, windows, area."""

from __future__ import annotations

import numpy as np
import pytest

from moviemotion.flash.area import AreaMeter
from moviemotion.flash.cells import CellGrid, cell_means, linearize, luminance_and_red
from moviemotion.flash.luminance import (
    luma_to_linear,
    relative_luminance,
    srgb_to_linear_lut,
)
from moviemotion.flash.profiles import PROFILES, get_profile
from moviemotion.flash.transitions import TransitionTracker
from moviemotion.flash.windows import SlidingCounts, SustainedTime
from moviemotion.video.reader import LIMITED_TO_FULL_LUMA


def test_srgb_lut_and_relative_luminance():
    lut = srgb_to_linear_lut(np.float64)
    assert lut[0] == 0 and lut[255] == 1
    assert lut[10] == pytest.approx(10 / 255 / 12.92)  # linear toe below 0.04045
    assert lut[128] == pytest.approx(((128 / 255 + 0.055) / 1.055) ** 2.4)
    rgb = np.array([[255, 0, 0], [0, 255, 0], [0, 0, 255], [128, 128, 128]], np.uint8)
    np.testing.assert_allclose(relative_luminance(rgb), [0.2126, 0.7152, 0.0722, lut[128]],
                               rtol=1e-6)
    # limited range: 16 is black, 235 is white
    assert LIMITED_TO_FULL_LUMA[16] == 0 and LIMITED_TO_FULL_LUMA[235] == 255
    np.testing.assert_allclose(luma_to_linear(np.array([16, 235], np.uint8), limited_range=True),
                               [0.0, 1.0])


def test_grid_is_adaptive_and_cells_average_linear_light():
    assert (CellGrid.for_frame(1920, 1080).cols, CellGrid.for_frame(1920, 1080).rows) == (120, 68)
    assert CellGrid.for_frame(3840, 2160).cell_size == (32.0, pytest.approx(2160 / 68))
    assert CellGrid.for_frame(160, 90).cell_size[0] == 16  # never under 16 px
    grid = CellGrid.for_frame(64, 32)
    img = np.zeros((32, 64, 3), np.uint8)
    img[:, :32:2] = 255  # left half: 1-px stripes, half white
    lum, red = luminance_and_red(cell_means(linearize(img), grid))
    # mean of linear light is 0.5 (not the linear value of the mean code, ~0.21)
    np.testing.assert_allclose(lum[:, :2], 0.5, atol=1e-6)
    np.testing.assert_allclose(lum[:, 2:], 0.0, atol=1e-6)
    assert not red.any()
    assert grid.bbox(np.array([[False, True, True, False], [False, False, True, False]])) == \
        (16, 0, 32, 32)


def test_red_value_needs_saturated_red():
    means = np.array([[1.0, 0.0, 0.0], [0.5, 0.2, 0.2], [0.8, 0.1, 0.09]], np.float32)
    _, red = luminance_and_red(means)
    assert red[0] == pytest.approx(320.0)
    assert red[1] == 0.0  # R/(R+G+B) = 0.56 < 0.8
    assert red[2] == pytest.approx((0.8 - 0.19) * 320, rel=1e-5)


def run_tracker(values, **kw):
    tr = TransitionTracker((1,), **kw)
    return [int(tr.update(np.array([v], np.float32))[0]) for v in values]


def test_transitions_need_the_delta_and_a_dark_state():
    assert run_tracker([0.0, 0.1, 0.0, 0.1], delta=0.1, darker_max=0.8) == [0, 1, -1, 1]
    assert run_tracker([0.0, 0.09, 0.0, 0.09], delta=0.1, darker_max=0.8) == [0, 0, 0, 0]
    # slow ramp: one transition, counted when the change reaches the delta
    assert run_tracker([0.0, 0.04, 0.08, 0.12, 0.2], delta=0.1, darker_max=0.8) == [0, 0, 0, 1, 0]
    # both states bright (darker state 0.807 >= 0.8): never a transition
    assert run_tracker([0.807, 1.0, 0.807, 1.0], delta=0.1, darker_max=0.8) == [0, 0, 0, 0]
    assert run_tracker([0.799, 1.0, 0.799, 1.0], delta=0.1, darker_max=0.8) == [0, 1, -1, 1]
    # red: strictly more than 20
    assert run_tracker([0, 20, 0, 20.5, 0], delta=20, strict=True) == [0, 0, 0, 1, -1]


def test_windows_are_half_open_in_presentation_time():
    w = SlidingCounts((1,), window=1.0)
    # events exactly 1 s apart are never in the same window
    counts = [int(w.push(t, np.array([True]))[0]) for t in (0.2, 0.7, 1.2, 1.7, 2.2)]
    assert counts == [1, 2, 2, 2, 2]
    assert w.first_event_time(np.array([True])) == pytest.approx(1.7)
    s = SustainedTime(window=5.0)
    totals = [s.push(t, 1.0, holds) for t, holds in
              ((1, True), (2, True), (3, False), (4, True), (5, True), (6, True), (7, True))]
    assert totals == [1, 2, 2, 3, 4, 4, 4]


def test_area_meter_broadcast_and_wcag_field():
    grid = CellGrid(width=1200, height=600, cols=12, rows=6)
    counts = np.zeros(grid.shape, np.int16)
    counts[:, :2] = 10  # a strip: 2/12 = 16.7 % of the screen
    level, area = AreaMeter(grid, PROFILES["broadcast"]).measure(counts)
    assert (level, round(area, 3)) == (0, 0.167)
    wcag = AreaMeter(grid, PROFILES["wcag"])
    assert wcag.field == (4, 3)  # W/3 wide, 3/4 of that high
    level, area = wcag.measure(counts)
    assert (level, area) == (10, 0.5)  # the strip fills half of a 10-degree field
    counts[:, 2:4] = 7
    level, area = AreaMeter(grid, PROFILES["broadcast"]).measure(counts)
    assert (level, round(area, 3)) == (7, 0.333)


def test_profiles():
    assert get_profile("broadcast", extended=True).extended
    assert not get_profile("wcag").extended
    with pytest.raises(Exception, match="unknown flash profile"):
        get_profile("nope")
