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


def check_architecture(name, arch):
    """Builds for a small task of each input kind it takes, ``forward == forward_head o
    forward_features``, ``embed`` gives (N, C), ``class_maps`` average to the logits where
    the architecture claims exact CAMs, the recipe names every training option."""
    import torch

    from moviemotion.learn.archs import Architecture, build
    from moviemotion.learn.task import Task

    assert isinstance(arch, Architecture) and arch.name == name
    assert {"optimizer", "lr", "batch_size", "augment", "schedule", "epochs"} <= set(arch.recipe)
    shapes = [(3, 32, 40), (1, 48, 48)] if arch.inputs == "image" else [(6, 4), (12,)]
    for shape in shapes:
        torch.manual_seed(0)
        net = build(name, Task("check", shape, ("a", "b", "c"), mean=100.0, std=50.0)).eval()
        x = torch.rand(2, *shape) * 255
        with torch.no_grad():
            f = net.forward_features(x)
            out = net(x)
            assert out.shape == (2, 3), f"{name} {shape}: output {tuple(out.shape)}"
            assert torch.allclose(net.forward_head(f), out)
            e = net.embed(x)
            assert e.ndim == 2 and e.shape[0] == 2
            if net.cam_exact:
                maps = net.class_maps(f)
                assert maps.shape[:2] == (2, 3)
                assert torch.allclose(maps.mean(dim=(2, 3)), out, atol=1e-4)


CHECKS = {
    "architecture": check_architecture,
    "face detector": check_face_detector,
    "flash profile": check_flash_profile,
}
