"""The audience report: self-contained, the expected plots and tables, renders in Chromium."""

from __future__ import annotations

import re

import pytest
from audience_helpers import BrightnessClassifier

from moviemotion.audience import collect_recordings
from moviemotion.jobs.audience import run_audience


@pytest.fixture(scope="module")
def report(screening, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    recs = collect_recordings([screening["manifest"].parent / "seats"], manifest=screening["manifest"])
    run_audience(recs, out, movie=screening["movie"], factory=BrightnessClassifier, show_progress=False)
    return out / "report.html"


def test_report_has_every_section_offline(report):
    page = report.read_text()
    assert not re.search(r"<script[^>]+src=.https?:", page)  # nothing fetched from the internet
    for anchor in ("timeline", "peaks", "viewers", "coverage", "run"):
        assert f'id="{anchor}"' in page
    assert page.count("Plotly.newPlot") == 4
    assert "seat01-v1" in page and "seat02-v1" in page
    # The only pictures are movie thumbnails at peaks: never a face.
    imgs = re.findall(r"<img src='([^']{0,40})[^>]*alt='([^']*)'", page)
    assert all(src.startswith("data:image/jpeg") and alt.startswith("movie at") for src, alt in imgs)


@pytest.mark.browser
def test_report_renders_in_chromium(report, browser):
    dom, errors = browser.load(report)
    assert errors == []
    assert dom.count('class="main-svg"') >= 4, "plotly did not draw all figures"
    assert "Audience timeline" in dom and "seat02-v1" in dom
