"""Fixtures of the audience tests: a small synthetic screening rendered once per session."""

from __future__ import annotations

import pytest

from moviemotion.samples.screening import make_screening


@pytest.fixture(scope="session")
def screening(tmp_path_factory):
    """2 seats, 8 s movie, seats at 6 fps (offsets -2 and 0)."""
    return make_screening(tmp_path_factory.mktemp("screening"), seats=2, duration=8.0, fps=6)
