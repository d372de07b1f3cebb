"""Poster genres: tables, images, both heads trained on the kit, baselines, the classifier."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from moviemotion.errors import InputError
from moviemotion.posters import data as pdata
from moviemotion.posters.training import baselines, color_histograms, load, make_task, ship


def test_genre_table_and_single_label_selection(posters_dir: Path):
    t = pdata.read_genre_table(posters_dir / "train.csv")
    assert t.genres == ("Action", "Comedy", "Drama", "Horror", "Romance")
    rows, y = pdata.single_label(t)
    four = t.columns(pdata.SINGLE_GENRES)
    assert (four[rows].sum(axis=1) == 1).all()
    assert len(rows) == int((four.sum(axis=1) == 1).sum())
    assert [pdata.SINGLE_GENRES[k] for k in y[:4]] == ["Action", "Comedy", "Horror", "Romance"]
    assert pdata.frequent_genres(t, 13) == ("Drama",)            # 12 posters per main genre
    assert pdata.frequent_genres(t, 12) == t.genres


def test_color_and_gray_posters_read_as_rgb(posters_dir: Path):
    gray = pdata.read_poster(posters_dir / "images" / "train0006.jpg")
    color = pdata.read_poster(posters_dir / "images" / "train0001.jpg")
    assert gray.ndim == color.ndim == 3 and gray.shape[2] == color.shape[2] == 3
    assert np.array_equal(gray[..., 0], gray[..., 2])
    r, g, b = color.reshape(-1, 3).mean(axis=0)
    assert r > 200 and g > 180 and b < 100                            # comedy yellow, as RGB


def test_poster_array_cache_is_reused(posters_dir: Path, tmp_path: Path):
    ids = ["train0000", "train0001"]
    cache = tmp_path / "c.npz"
    a = pdata.poster_arrays(posters_dir / "images", ids, (32, 24), cache)
    assert a.shape == (2, 3, 32, 24) and a.dtype == np.uint8 and cache.is_file()
    stamp = cache.stat().st_mtime_ns
    b = pdata.poster_arrays(posters_dir / "images", ids, (32, 24), cache)
    assert np.array_equal(a, b) and cache.stat().st_mtime_ns == stamp
    c = pdata.poster_arrays(posters_dir / "images", ids[::-1], (32, 24), cache)
    assert np.array_equal(c[0], a[1])                                  # other ids: rebuilt


def test_color_histograms_count_pixels():
    x = np.zeros((2, 3, 4, 4), np.uint8)
    x[1, 0] = 255                                                      # all red
    h = color_histograms(x, bins=2)
    assert h.shape == (2, 8) and np.allclose(h.sum(axis=1), 1)
    assert h[0, 0] == 1 and h[1, 4] == 1                               # code (r*2+g)*2+b


def test_baselines_are_measured_on_validation(posters_dir: Path, tmp_path: Path):
    names, tr, va = load(posters_dir, "multilabel", (32, 24), min_count=5, cache_dir=tmp_path)
    b = baselines(make_task("multilabel", names, tr[0]), tr, va)
    prevalence = va[1].mean(axis=0)
    assert b["label_prior"]["mAP"] == pytest.approx(prevalence.mean())  # AP of a constant
    assert b["color_histogram_logreg"]["mAP"] > b["label_prior"]["mAP"] + 0.2  # color decides


def test_both_heads_train_with_run_files(tiny_runs: dict[str, Path]):
    multi = json.loads((tiny_runs["multilabel"] / "evaluation.json").read_text())
    assert set(multi["ap"]) == set(multi["thresholds"]) == {"Action", "Comedy", "Drama", "Horror", "Romance"}
    assert np.isclose(multi["mAP"], np.mean(list(multi["ap"].values())))
    for key in ("micro_f1_tuned", "samples_f1_tuned", "baselines"):
        assert key in multi
    single = json.loads((tiny_runs["single"] / "evaluation.json").read_text())
    assert single["classes"] == list(pdata.SINGLE_GENRES)
    conf = np.array(single["full"]["confusion"])
    assert conf.shape == (4, 4) and conf.sum() == single["n"]
    for run in tiny_runs.values():
        for name in ("config.json", "metrics.csv", "model.onnx", "baselines.json", "best.pt"):
            assert (run / name).is_file(), name


def test_positive_weights_follow_genre_rarity(tiny_runs: dict[str, Path], posters_dir: Path):
    weights = json.loads((tiny_runs["multilabel"] / "pos_weight.json").read_text())
    t = pdata.read_genre_table(posters_dir / "train.csv")
    for genre, w in weights.items():
        pos = int(np.asarray(t.labels[:, t.genres.index(genre)]).sum())
        assert w == pytest.approx(min(10.0, max(1.0, ((len(t.labels) - pos) / pos) ** 0.5)), abs=1e-3)
    assert not (tiny_runs["single"] / "pos_weight.json").exists()


def test_ship_and_classify_any_size(tiny_runs: dict[str, Path], tmp_path: Path):
    from moviemotion.posters.classifier import PosterClassifier

    path = ship(tiny_runs["multilabel"], tmp_path / "genres.onnx")
    card = json.loads(path.with_suffix(".json").read_text())
    assert card["file"]["bytes"] == path.stat().st_size and card["thresholds"]
    assert "val, baseline label_prior" in card["metrics"] and path.with_suffix(".md").is_file()
    clf = PosterClassifier(path)
    rng = np.random.default_rng(0)
    imgs = [rng.integers(0, 255, (144, 97, 3), np.uint8), rng.integers(0, 255, (300, 200), np.uint8),
            rng.integers(0, 255, (50, 40, 4), np.uint8)]
    p = clf.predict(imgs)
    assert p.shape == (3, len(clf.genres)) and ((p >= 0) & (p <= 1)).all()
    assert len(clf.labels(p)) == 3
    single = PosterClassifier(ship(tiny_runs["single"], tmp_path / "g4.onnx"))
    q = single.predict(imgs)
    assert np.allclose(q.sum(axis=1), 1, atol=1e-5) and single.genres == pdata.SINGLE_GENRES


# ---- bad input -------------------------------------------------------------------------------

def test_missing_genre_columns_name_the_file(tmp_path: Path):
    p = tmp_path / "train.csv"
    p.write_text("Id,Genre,Drama\nx,[],1\n")
    with pytest.raises(InputError, match=r"train\.csv: missing genre column\(s\) Comedy, Horror"):
        pdata.read_genre_table(p, pdata.SINGLE_GENRES)


def test_bad_cells_and_no_id_column(tmp_path: Path):
    p = tmp_path / "t.csv"
    p.write_text("Id,Drama\nx,yes\n")
    with pytest.raises(InputError, match=r"t\.csv: line 2, genre Drama"):
        pdata.read_genre_table(p)
    p.write_text("Name,Drama\nx,1\n")
    with pytest.raises(InputError, match="needs an 'Id' column"):
        pdata.read_genre_table(p)


def test_genre_never_seen_is_refused(posters_dir: Path, tmp_path: Path):
    root = tmp_path / "p"
    root.mkdir()
    (root / "images").symlink_to(posters_dir / "images")
    for split in ("train", "val"):
        text = (posters_dir / f"{split}.csv").read_text().splitlines()
        rows = [text[0] + ",Western"] + [line + ",0" for line in text[1:]]
        (root / f"{split}.csv").write_text("\n".join(rows) + "\n")
    with pytest.raises(InputError, match=r"train\.csv: genre\(s\) never seen in training: Western"):
        load(root, "multilabel", (32, 24), genres=["Drama", "Western"], cache_dir=tmp_path)


def test_unreadable_poster_names_the_file(tmp_path: Path):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8 not really a jpeg")
    with pytest.raises(InputError, match=r"broken\.jpg: not a readable image"):
        pdata.read_poster(bad)


def test_an_ensemble_ships_as_one_model_scored_like_one(tiny_runs: dict[str, Path], posters_dir: Path,
                                                        tmp_path: Path):
    """Two runs -> one ONNX whose output is the mean of their mirror-averaged outputs; the
    card scores the ensemble and lists both members."""
    import json

    import torch

    from moviemotion.errors import ModelError
    from moviemotion.learn.onnx import Predictor, inference_model
    from moviemotion.learn.train import TrainConfig, load_checkpoint
    from moviemotion.posters.training import train_posters

    cfg = TrainConfig(data=str(posters_dir), arch="vgg", arch_args={"width": 4}, epochs=1,
                      batch_size=16, lr=0.01, seed=5, threads=1, command="tiny second")
    second = train_posters(posters_dir, tmp_path / "second", "multilabel", cfg, size=(32, 24),
                           min_count=5, quiet=True)
    first = tiny_runs["multilabel"]
    path = ship(first, tmp_path / "ens.onnx", members=[second])
    pred = Predictor(path)
    x = np.random.default_rng(0).integers(0, 256, (6, *pred.input_shape)).astype(np.float32)
    want = []
    for run in (first, second):
        net, _, task = load_checkpoint(run / "best.pt")
        with torch.no_grad():
            want.append(inference_model(net, task, mirror=True)(torch.from_numpy(x)).numpy())
    assert np.allclose(pred.predict(x), np.mean(want, axis=0), atol=1e-5)
    card = json.loads(path.with_suffix(".json").read_text())
    assert [m["command"] for m in card["members"]] == ["tiny multilabel", "tiny second"]
    assert card["mirror_averaged"] is True and 0.0 <= card["metrics"]["val"]["mAP"] <= 1.0
    assert len(card["thresholds"]) == len(pred.classes) and "member 2" in path.with_suffix(".md").read_text()
    with pytest.raises(ModelError, match="another poster task"):
        ship(first, tmp_path / "bad.onnx", members=[tiny_runs["single"]])


def test_a_stack_trains_one_ordinary_run_per_seed(posters_dir: Path, tmp_path: Path):
    """`train poster --stack 2`: two runs of seeds 3 and 4 in RUN/s3 and RUN/s4, each with the
    baselines, the positive weights, an evaluation and a model; the seeds start apart, so
    the members' best weights differ."""
    import subprocess
    import sys

    import torch

    run = tmp_path / "stacked"
    r = subprocess.run([sys.executable, "-m", "moviemotion", "train", "poster", "--data", str(posters_dir),
                        "--arch", "vgg", "-A", "width=4", "--height", "32", "--width", "24",
                        "--min-count", "5", "--epochs", "2", "--batch-size", "16", "--threads", "1",
                        "--seed", "3", "--stack", "2", "--pos-weight", "-q", "-o", str(run)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    states = []
    for index, seed in enumerate((3, 4)):
        member = run / f"s{seed}"
        for name in ("baselines.json", "pos_weight.json", "evaluation.json", "model.onnx", "metrics.csv"):
            assert (member / name).is_file(), (member, name)
        config = json.loads((member / "config.json").read_text())
        assert config["seed"] == seed and config["stack_index"] == index
        assert "--stack 2" in config["command"]
        assert len((member / "metrics.csv").read_text().splitlines()) == 3   # header + 2 epochs
        states.append(torch.load(member / "best.pt", weights_only=False)["model"])
    first = next(k for k, v in states[0].items() if v.dtype.is_floating_point and v.ndim == 4)
    assert not torch.equal(states[0][first], states[1][first])


def test_asymmetric_loss_is_an_option_of_the_multilabel_head(posters_dir: Path, tmp_path: Path):
    """`--loss asymmetric` trains the multilabel head end to end with that loss (the same
    seed with the logistic loss ends elsewhere; the loss itself is tested in
    tests/learn/test_kinds.py); the single-label head, --pos-weight with it and unknown
    losses are refused before any work."""
    import torch

    from moviemotion.learn.train import TrainConfig
    from moviemotion.posters.training import train_posters

    cfg = TrainConfig(data=str(posters_dir), arch="vgg", arch_args={"width": 4}, epochs=1,
                      batch_size=16, lr=0.01, seed=0, threads=1, command="tiny asymmetric")
    weights = {}
    for loss in ("asymmetric", "logistic"):
        run = train_posters(posters_dir, tmp_path / loss, "multilabel", cfg, size=(32, 24),
                            min_count=5, quiet=True, loss=loss)
        assert json.loads((run / "evaluation.json").read_text())["mAP"] > 0
        weights[loss] = torch.load(run / "best.pt", weights_only=False)["model"]
    shared = [k for k, v in weights["logistic"].items() if v.dtype.is_floating_point]
    assert any(not torch.equal(weights["asymmetric"][k], weights["logistic"][k]) for k in shared)
    for head, kw, match in (("single", {}, "multilabel head"),
                            ("multilabel", {"pos_weight": True}, "without --pos-weight"),
                            ("multilabel", {"loss": "hinge"}, "unknown loss")):
        kw = {"loss": "asymmetric", **kw}
        with pytest.raises(InputError, match=match):
            train_posters(posters_dir, tmp_path / f"bad-{head}", head, cfg, size=(32, 24), min_count=5,
                          quiet=True, **kw)
        assert not (tmp_path / f"bad-{head}").exists()
