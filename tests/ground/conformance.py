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


def check_movie_analyzer(name, cls):
    """Settings recorded, unknown settings refused, and one pass over a small clip gives the
    analyzer's own per-second table: its declared columns and units, one row per second."""
    import json
    import tempfile
    import warnings
    from pathlib import Path

    import pytest

    from moviemotion.content.base import MovieAnalyzer, build, is_derived, n_seconds, resolve
    from moviemotion.errors import InputError, MovieMotionError
    from moviemotion.samples import clips
    from moviemotion.video.source import analyze_movie, open_source

    assert issubclass(cls, MovieAnalyzer) and cls.name == name and cls.columns
    with pytest.raises(InputError, match=name):
        cls(no_such_setting=1)
    try:
        json.dumps(cls().settings())
    except MovieMotionError as exc:  # needs a file not shipped here (a trained model)
        assert "\n" not in exc.message and exc.exit_code in (2, 4), exc.message
        assert not cls.default or cls.applies, f"{name}: on by default but cannot be built"
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = clips.write_video(Path(tmp) / "clip.mp4", clips.render(
            clips.scene_cuts((160, 96), [1.0, 2.0], seed=1), 25, 3.0), fps=25)
        chosen = build(resolve([name]))
        with warnings.catch_warnings(), open_source(path) as src:
            warnings.simplefilter("ignore")
            why = cls.applies(src.info, False)
            if why:  # e.g. no trained model shipped: a default run leaves it out, says why
                assert isinstance(why, str) and "\n" not in why
                return
            result = analyze_movie(src, [a for a in chosen if not is_derived(type(a))])
            for a in chosen:
                if is_derived(type(a)):
                    parts = [s for v in result.tables.values() for s in v
                             if s.kind == "seconds" and s.source in result.tables]
                    seconds = parts[0].join(*parts[1:], prefix=False)
                    result.tables[a.name] = a.derive(result.tables, seconds, result.run)
    own = [s for s in result.tables[name] if s.kind == "seconds" and s.source == name]
    assert len(own) == 1, f"{name}: needs exactly one per-second table named {name!r}"
    table = own[0]
    assert table.columns == ["time", *cls.columns], (name, table.columns)
    assert dict(table.units) == dict(cls.columns)
    assert len(table) == n_seconds(result.run) == 3
    assert table.time.tolist() == [0.0, 1.0, 2.0]


CHECKS = {
    "movie analyzer": check_movie_analyzer,
    "architecture": check_architecture,
    "face detector": check_face_detector,
    "flash profile": check_flash_profile,
}
