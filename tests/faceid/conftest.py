"""Fixtures of the face-verification tests (the face set is built in faceid_synth)."""

from __future__ import annotations

from pathlib import Path

import pytest
from faceid_synth import make_faces


@pytest.fixture(scope="session")
def faces_dir(tmp_path_factory) -> Path:
    return make_faces(tmp_path_factory.mktemp("faces"))
