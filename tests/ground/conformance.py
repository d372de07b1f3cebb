"""Conformance checks per registry kind (scikit-learn's ``check_estimator`` idea).

``tests/ground/test_registry.py`` runs the check of its kind over every registered entry.
A new registry kind adds its check here; a registry without a check fails that test.
"""

from __future__ import annotations

import numpy as np


def check_face_detector(name, cls):
    from moviemotion.faces import make_detector

    det = make_detector(name)
    assert isinstance(det, cls)
    blank = np.full((120, 160, 3), 128, np.uint8)
    found = det.detect(blank)
    assert len(found.boxes) == 0, f"{name} finds faces in a flat grey frame"
    assert found.boxes.shape[1:] == (4,) and found.scores.shape == (len(found.boxes),)


def check_flash_profile(name, profile):
    from moviemotion.flash.profiles import Profile, get_profile

    assert isinstance(profile, Profile) and profile.name == name
    assert 0 < profile.area_threshold < 1 and profile.max_transitions > 0
    assert get_profile(name, extended=True).extended


CHECKS = {
    "face detector": check_face_detector,
    "flash profile": check_flash_profile,
}
