"""Fixtures of the emotion tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from emotion_synth import write_npz


@pytest.fixture
def tiny_npz(tmp_path: Path) -> Path:
    return write_npz(tmp_path / "tiny.npz")
