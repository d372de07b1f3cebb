"""Fixtures of the script tests."""

from __future__ import annotations

import pytest
from script_helpers import write_audience


@pytest.fixture
def audience_dir(tmp_path):
    """24 s: neutral, then happy 5-9, neutral, surprise 12-15, sad 15-19, happy 19-24."""
    plan = [(5, 9, "happy"), (12, 15, "surprise"), (15, 19, "sad"), (19, 24, "happy")]
    return write_audience(tmp_path / "aud", 24, plan, peaks=[(6.0, "happy"), (13.0, "surprise"),
                                                             (16.0, "sad")])
