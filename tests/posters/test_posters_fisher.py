"""The Fisher-vector member of the multi-label poster model: fit, save, ship, fuse."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from moviemotion.errors import InputError, ModelError
from moviemotion.posters import data as pdata
from moviemotion.posters.fisher import PosterFisher, fuse, logit
from moviemotion.posters.training import load, ship, ship_fisher, train_fisher

SMALL = {"components": 4, "fit_images": 40, "fit_descriptors": 20}


def test_fuse_is_the_mean_of_the_logits():
    p = np.array([[0.1, 0.5, 0.9]])
    np.testing.assert_allclose(fuse([p, p]), p, rtol=1e-6)
    np.testing.assert_allclose(fuse([p, 1 - p]), 0.5, rtol=1e-6)
    q = np.array([[0.8, 0.3, 0.2]])
    np.testing.assert_allclose(logit(fuse([p, q], [0.25, 0.75])),
                               0.25 * logit(p) + 0.75 * logit(q), rtol=1e-5)


@pytest.fixture(scope="module")
def member_run(tiny_runs: dict[str, Path], posters_dir: Path, tmp_path_factory) -> dict:
    """The tiny multilabel CNN shipped into a folder, and a Fisher member fitted against it."""
    home = tmp_path_factory.mktemp("fisher")
    cnn = ship(tiny_runs["multilabel"], home / "weights" / "genres.onnx")
    result = train_fisher(posters_dir, home / "run", cnn=cnn, quiet=True, **SMALL)
    return {"cnn": cnn, "run": home / "run", "result": result}


def test_member_learns_the_colour_genres_and_keeps_its_files(member_run: dict, posters_dir: Path):
    run, result = member_run["run"], member_run["result"]
    assert {p.name for p in run.iterdir()} >= {"config.json", "evaluation.json", "fisher.npz"}
    assert json.loads((run / "evaluation.json").read_text())["mAP"] == result["mAP"]
    # the synthetic genres are colours: the colour channel ranks them almost perfectly
    ap = result["ap"]
    assert result["color_mAP"] > 0.9 and min(ap[g] for g in ("Action", "Comedy", "Horror")) > 0.9
    assert set(result["thresholds"]) == set(ap) and 0 < result["n"]
    member = PosterFisher.load(run / "fisher.npz")
    assert member.info["thresholds"] == list(result["thresholds"].values())
    assert member.info["command"] == "" and len(member.info["cnn_sha256"]) == 64
    # the loaded member predicts what the fitted one scored
    _, _, (x, y) = load(posters_dir, "multilabel", member.size, genres=member.genres)
    from moviemotion.learn.metrics import mean_average_precision

    assert mean_average_precision(y, member.predict(x)) == pytest.approx(result["fisher_mAP"], abs=1e-6)


def test_shipped_member_fuses_with_the_cnn(member_run: dict):
    from moviemotion.posters.classifier import PosterClassifier

    dest = ship_fisher(member_run["run"], member_run["cnn"].with_name("genres_fisher.npz"))
    card = json.loads(dest.with_suffix(".json").read_text())
    assert card["file"]["bytes"] == dest.stat().st_size and card["metrics"]["val"]["mAP"] > 0
    assert "fused with the CNN" in dest.with_suffix(".md").read_text()
    both = PosterClassifier(member_run["cnn"], fisher=dest)
    cnn = PosterClassifier(member_run["cnn"], fisher=False)
    rng = np.random.default_rng(0)
    imgs = [rng.integers(0, 255, (144, 97, 3), np.uint8), rng.integers(0, 255, (60, 40), np.uint8)]
    x = np.stack([pdata.resize(pdata.to_rgb(i), both.fisher.size) for i in imgs])
    np.testing.assert_allclose(both.predict(imgs), fuse([cnn.predict(imgs), both.fisher.predict(x)]),
                               rtol=1e-5, atol=1e-6)
    assert both.thresholds.tolist() == pytest.approx(both.fisher.info["thresholds"])
    assert cnn.fisher is None


def test_member_of_another_cnn_or_other_genres_is_refused(member_run: dict, tmp_path: Path):
    from moviemotion.posters.classifier import PosterClassifier

    (tmp_path / "genres.onnx").write_bytes(b"another model")
    with pytest.raises(ModelError, match="another CNN"):
        ship_fisher(member_run["run"], tmp_path / "genres_fisher.npz")
    member = PosterFisher.load(member_run["run"] / "fisher.npz")
    member.genres = member.genres[::-1]
    other = member.save(tmp_path / "other.npz")
    with pytest.raises(ModelError, match="other genres"):
        PosterClassifier(member_run["cnn"], fisher=other)


def test_bad_member_input_is_one_clear_error(tmp_path: Path):
    np.savez(tmp_path / "foreign.npz", meta=np.array(json.dumps({"format": "else"})))
    with pytest.raises(ModelError, match="not a poster Fisher member"):
        PosterFisher.load(tmp_path / "foreign.npz")
    (tmp_path / "broken.npz").write_bytes(b"no zip")
    with pytest.raises(ModelError, match="broken.npz"):
        PosterFisher.load(tmp_path / "broken.npz")
    member = PosterFisher(["A", "B"], (32, 24), **SMALL)
    with pytest.raises(InputError, match="expected uint8 posters"):
        member.describe(np.zeros((2, 3, 30, 24), np.uint8))
    with pytest.raises(InputError, match="labels"):
        member.fit(np.zeros((2, 3, 32, 24), np.uint8), np.zeros((2, 3)))
    with pytest.raises(ModelError, match="not fitted"):
        member.predict(np.zeros((1, 3, 32, 24), np.uint8))
    with pytest.raises(InputError, match="unknown"):
        PosterFisher(["A"], bogus=1)
