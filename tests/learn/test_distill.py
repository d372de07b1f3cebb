"""Regularization options of the trainer (mixup, CutMix, heavy erasing, EMA), ensembles and
distillation, on tiny synthetic data with known answers."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from learn_synth import one_block  # noqa: E402

from moviemotion.errors import InputError  # noqa: E402
from moviemotion.learn import Predictor, Task  # noqa: E402
from moviemotion.learn.augment import augment, mix  # noqa: E402
from moviemotion.learn.distill import (  # noqa: E402
    Distillation,
    distill,
    distillation_loss,
    soft_targets,
    soften,
    teacher_probabilities,
)
from moviemotion.learn.ensemble import Ensemble, average, greedy_selection  # noqa: E402
from moviemotion.learn.train import TrainConfig, load_checkpoint, train  # noqa: E402

TASK = Task("blocks", (1, 16, 16), ("a", "b", "c"), "multiclass", mean=60.0, std=70.0)


def _data(n=120, seed=0):
    x, y = one_block(n, k=3, channels=1, seed=seed)
    return x, y


def _cfg(**kw):
    base = dict(arch="vgg", arch_args={"width": 4}, epochs=2, batch_size=32, lr=0.05, seed=0,
                threads=1, augment="none")     # the classes are quadrants: no mirror images
    return TrainConfig(**{**base, **kw})


def _weights(path, key="model"):
    ckpt = torch.load(path, map_location="cpu", weights_only=False)
    return {k: v.clone() for k, v in ckpt[key].items()}


def _same(a, b):
    return all(torch.equal(a[k], b[k]) for k in a)


def test_mix_is_seeded_and_weights_sum_to_one():
    x = torch.arange(4 * 1 * 8 * 8, dtype=torch.float32).reshape(4, 1, 8, 8)
    a = mix(x, torch.Generator().manual_seed(3), mixup=0.4)
    b = mix(x, torch.Generator().manual_seed(3), mixup=0.4)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1]) and a[2] == b[2]
    xm, perm, lam = a
    assert 0 < lam < 1 and torch.allclose(xm, lam * x + (1 - lam) * x[perm])
    xc, perm, lam = mix(x, torch.Generator().manual_seed(5), cutmix=1.0)
    pasted = (xc != x).float().mean().item()       # the pasted box has area share 1 - lam
    changed = (x != x[perm]).float().mean().item()
    assert abs(pasted - (1 - lam) * changed) < 1e-6


def test_heavy_policy_erases_more_than_strong():
    x = torch.full((400, 1, 16, 16), 100.0)
    g = torch.Generator()
    erased = {p: ((augment(x, p, g.manual_seed(0)) - 100).abs() > 1).float().mean().item()
              for p in ("strong", "heavy")}
    assert erased["heavy"] > 1.5 * erased["strong"] > 0


@pytest.mark.parametrize("option", [{"mixup": 0.4}, {"cutmix": 1.0}, {"augment": "heavy"}])
def test_regularizer_changes_the_result_deterministically(tmp_path, option):
    x, y = _data()
    data, val = (x[:90], y[:90]), (x[90:], y[90:])
    plain = train(TASK, _cfg(), tmp_path / "plain", data, val, quiet=True)
    a = train(TASK, _cfg(**option), tmp_path / "a", data, val, quiet=True)
    b = train(TASK, _cfg(**option), tmp_path / "b", data, val, quiet=True)
    wa, wb = _weights(a / "last.pt"), _weights(b / "last.pt")
    assert _same(wa, wb)                               # same seed, same weights
    assert not _same(wa, _weights(plain / "last.pt"))  # the option did something


def test_ema_weights_are_validated_kept_and_exported(tmp_path):
    x, y = _data()
    run = train(TASK, _cfg(ema=0.9, epochs=2), tmp_path / "ema", (x[:90], y[:90]),
                (x[90:], y[90:]), quiet=True)
    last = torch.load(run / "last.pt", map_location="cpu", weights_only=False)
    raw = last["model"]
    averaged = {k.removeprefix("module."): v for k, v in last["ema"].items()
                if k.startswith("module.")}
    best = _weights(run / "best.pt")
    assert not _same(averaged, raw)                    # the average differs from the raw weights
    if last["best_epoch"] == 2:
        assert _same(best, averaged)
    net, _, _ = load_checkpoint(run / "best.pt")       # what model.onnx holds
    from moviemotion.learn.train import predict_torch
    want = predict_torch(net, x[90:], TASK)
    got = Predictor(run / "model.onnx").predict(x[90:].astype(np.float32))
    assert np.allclose(got, want, atol=1e-5)


def test_ema_run_resumes_to_the_same_weights(tmp_path):
    x, y = _data()
    d, v = (x[:90], y[:90]), (x[90:], y[90:])
    cfg = {"ema": 0.9, "schedule": "constant"}       # the schedule does not depend on epochs
    full = train(TASK, _cfg(**cfg, epochs=3), tmp_path / "full", d, v, quiet=True)
    part = train(TASK, _cfg(**cfg, epochs=2), tmp_path / "part", d, v, quiet=True)
    train(TASK, _cfg(**cfg, epochs=3), part, d, v, quiet=True, resume=True)
    assert _same(_weights(full / "last.pt", "ema"), _weights(part / "last.pt", "ema"))


@pytest.mark.parametrize("bad", [{"mixup": -1.0}, {"ema": 1.0}, {"cutmix": float("nan")}])
def test_bad_regularizer_options_are_one_line(bad):
    with pytest.raises(InputError):
        _cfg(**bad).resolved(TASK)


def test_soften_and_targets():
    p = np.array([[0.7, 0.2, 0.1]])
    assert np.allclose(soften(p, 1.0), p, atol=1e-6)
    flat = soften(p, 4.0)
    assert flat[0, 0] < 0.7 and flat[0, 2] > 0.1 and np.isclose(flat.sum(), 1)
    t = soft_targets(np.array([2]), p, 1.0)
    assert t.shape == (1, 4) and t[0, 0] == 2
    loss = distillation_loss(alpha=0.0, temperature=1.0)
    logits = torch.log(torch.tensor(p, dtype=torch.float32))
    assert float(loss(logits, torch.tensor(t))) == pytest.approx(0.0, abs=1e-5)   # student == teacher


def _export(run_dir, name, mirror=True):
    from moviemotion.learn.onnx import export_onnx
    net, _, task = load_checkpoint(run_dir / "best.pt")
    return export_onnx(net, run_dir / name, task, mirror=mirror)


def test_ensemble_is_the_mean_and_checks_members(tmp_path):
    x, y = _data()
    d, v = (x[:90], y[:90]), (x[90:], y[90:])
    runs = [train(TASK, _cfg(seed=s, epochs=1), tmp_path / f"r{s}", d, v, quiet=True) for s in (0, 1)]
    files = [_export(r, "m.onnx") for r in runs]
    ens = Ensemble(files)
    xv = x[90:].astype(np.float32)
    want = (Predictor(files[0]).predict(xv) + Predictor(files[1]).predict(xv)) / 2
    assert np.allclose(ens.predict(xv), want, atol=1e-6)
    assert np.allclose(average([want, want * 0], [1, 0]), want)
    other = Task("other", (1, 16, 16), ("a", "b"), "multiclass")
    odd = train(other, _cfg(epochs=1), tmp_path / "odd", (x[:90], y[:90] % 2), (x[90:], y[90:] % 2),
                quiet=True)
    from moviemotion.errors import ModelError
    with pytest.raises(ModelError):
        Ensemble([files[0], odd / "model.onnx"])
    # .pt teachers run the same mirror-averaged graph in torch
    probs = teacher_probabilities([r / "best.pt" for r in runs], xv)
    assert np.allclose(probs, want, atol=1e-5)


def test_teacher_probabilities_are_cached(tmp_path):
    x, y = _data()
    run = train(TASK, _cfg(epochs=1), tmp_path / "t", (x[:90], y[:90]), (x[90:], y[90:]), quiet=True)
    f = _export(run, "m.onnx")
    cache = tmp_path / "cache.npz"
    a = teacher_probabilities([f], x, cache)
    mtime = cache.stat().st_mtime_ns
    b = teacher_probabilities([f], x, cache)
    assert np.array_equal(a, b) and cache.stat().st_mtime_ns == mtime      # read, not rewritten
    teacher_probabilities([f], x[:50], cache)                              # other inputs: recomputed
    assert cache.stat().st_mtime_ns != mtime


def _last_row(run_dir):
    import csv
    with open(run_dir / "metrics.csv") as fh:
        return list(csv.DictReader(fh))[-1]


def _noisy_task(seed=0):
    """Three classes (a block in one of three quadrants), but 60% of the training labels are
    replaced by random ones: a teacher trained on clean labels knows better than the labels."""
    x, y = one_block(600, k=3, channels=1, seed=seed)
    rng = np.random.default_rng(seed)
    noisy = y.copy()
    flip = rng.random(len(y)) < 0.6
    noisy[flip] = rng.integers(0, 3, flip.sum())
    return x, y, noisy


def test_distilled_student_beats_hard_labels_and_is_reproducible(tmp_path):
    x, clean, noisy = _noisy_task()
    tr, va = slice(0, 450), slice(450, 600)
    teacher = train(TASK, _cfg(epochs=4, arch_args={"width": 8}), tmp_path / "teacher",
                    (x[tr], clean[tr]), (x[va], clean[va]), quiet=True)
    t_file = _export(teacher, "teacher.onnx", mirror=False)
    student_cfg = _cfg(epochs=3, lr=0.02, arch_args={"width": 4})
    hard = train(TASK, student_cfg, tmp_path / "hard", (x[tr], noisy[tr]), (x[va], clean[va]),
                 quiet=True)
    d = Distillation((str(t_file),), alpha=0.0, temperature=2.0)
    soft = distill(TASK, student_cfg, tmp_path / "soft", (x[tr], noisy[tr]), (x[va], clean[va]), d)
    acc = {n: json.loads((r / "evaluation.json").read_text())["accuracy"]
           for n, r in (("hard", hard), ("soft", soft))}
    loss = {n: float(_last_row(r)["val_loss"]) for n, r in (("hard", hard), ("soft", soft))}
    assert acc["soft"] >= acc["hard"], acc           # at least as accurate ...
    assert loss["soft"] < 0.7 * loss["hard"], loss  # ... and far better calibrated on clean labels
    again = distill(TASK, student_cfg, tmp_path / "again", (x[tr], noisy[tr]), (x[va], clean[va]), d)
    assert _same(_weights(soft / "last.pt"), _weights(again / "last.pt"))
    rec = json.loads((soft / "distill.json").read_text())
    assert rec["alpha"] == 0.0 and rec["members"][0]["name"] == "teacher.onnx"
    assert (soft / "teacher_probs.npz").is_file()
    with pytest.raises(InputError):
        distill(TASK, student_cfg, tmp_path / "x", (x[tr], noisy[tr]), (x[va], clean[va]),
                Distillation((str(tmp_path / "missing.onnx"),)))


# ---- the emotion side: CLI options, ensembles in `evaluate emotion`, the GPU recipe's dry run ----

def _faces(per_class, seed):
    """Separable 48x48 "faces": class k is a bright block at a place of its own."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(7), per_class)
    x = rng.integers(40, 90, (len(y), 48, 48)).astype(np.uint8)
    for k in range(7):
        r, c = divmod(k, 3)
        x[y == k, 4 + 14 * r:16 + 14 * r, 4 + 14 * c:16 + 14 * c] = 220
    return x, y


def _fer_npz(path, per_class=(10, 4), webp=False):
    (xa, ya), (xb, yb) = _faces(per_class[0], 1), _faces(per_class[1], 2)
    x, y = np.concatenate([xa, xb]), np.concatenate([ya, yb]).astype(np.uint8)
    split = np.r_[np.zeros(len(ya)), np.ones(len(yb))].astype(np.uint8)
    if not webp:
        np.savez(path, x=x, y=y, split=split)
        return path
    import cv2
    blobs = [cv2.imencode(".webp", f, [cv2.IMWRITE_WEBP_QUALITY, 101])[1].ravel() for f in x]
    offsets = np.r_[0, np.cumsum([len(b) for b in blobs])].astype(np.int64)
    np.savez(path, blob=np.concatenate(blobs), offsets=offsets, y=y, split=split,
             classes=np.array(["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]))
    return path


def _cli(argv):
    from moviemotion.cli import main
    try:
        main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def test_emotion_cli_regularizers_ensemble_and_distillation(tmp_path, capsys):
    data = _fer_npz(tmp_path / "faces.npz")
    common = ["--data", str(data), "--arch", "vgg", "-A", "width=4", "--epochs", "2",
              "--batch-size", "16", "--augment", "heavy", "--threads", "1", "-q"]
    for seed, extra in ((0, ["--mixup", "0.2", "--ema", "0.9"]), (1, ["--cutmix", "1.0"])):
        assert 0 == _cli(["train", "emotion", *common, *extra, "--seed", str(seed),
                          "-o", str(tmp_path / f"t{seed}")])
    cfg = json.loads((tmp_path / "t0" / "config.json").read_text())
    assert cfg["mixup"] == 0.2 and cfg["ema"] == 0.9 and "--mixup 0.2" in cfg["command"]
    models = [str(tmp_path / f"t{s}" / "model.onnx") for s in (0, 1)]
    capsys.readouterr()
    assert 0 == _cli(["evaluate", "emotion", "--data", str(data), "--model", models[0],
                      "--model", models[1], "--json"])
    result = json.loads(capsys.readouterr().out)
    from moviemotion.emotion.data import load
    test = load(data, "PublicTest")
    probs = (Predictor(models[0]).predict(test.x) + Predictor(models[1]).predict(test.x)) / 2
    assert result["members"] == models
    assert result["full"]["accuracy"] == pytest.approx(float((probs.argmax(1) == test.y).mean()))
    student = tmp_path / "student"
    assert 0 == _cli(["train", "emotion", *common, "--teacher", models[0], "--teacher", models[1],
                      "--alpha", "0.2", "--temperature", "3", "-o", str(student)])
    rec = json.loads((student / "distill.json").read_text())
    assert rec["alpha"] == 0.2 and rec["temperature"] == 3 and len(rec["members"]) == 2
    assert "--teacher" in json.loads((student / "config.json").read_text())["command"]
    # a resumed distilled run finds its teachers in distill.json
    assert 0 == _cli(["train", "emotion", "--data", str(data), "--epochs", "3", "-q",
                      "-o", str(student), "--resume"])
    assert len(_rows(student)) == 3
    assert _cli(["train", "emotion", *common, "--teacher", models[0], "--alpha", "2",
                 "-o", str(tmp_path / "bad")]) == 2
    # --init: the same classes, so the whole network (head too) starts from t0's best epoch
    warm = tmp_path / "warm"
    assert 0 == _cli(["train", "emotion", *common[:-1], "--lr", "1e-9", "--augment", "none",
                      "--init", str(tmp_path / "t0" / "best.pt"), "-q", "-o", str(warm)])
    assert "--init" in json.loads((warm / "config.json").read_text())["command"]
    from moviemotion.learn.train import load_checkpoint
    a, _, _ = load_checkpoint(warm / "best.pt")
    b, _, _ = load_checkpoint(tmp_path / "t0" / "best.pt")
    for k, v in a.state_dict().items():
        if k.endswith("weight"):
            assert torch.allclose(v, b.state_dict()[k], atol=1e-6), k


def _rows(run_dir):
    import csv
    with open(run_dir / "metrics.csv") as fh:
        return list(csv.DictReader(fh))


def test_gpu_recipe_smoke_run(tmp_path):
    """The prepared GPU script's dry run: WebP faces in two parts, two teachers in parallel
    processes, their ensemble, a distilled student shipped mirror-averaged, everything in OUT."""
    from moviemotion.emotion.recipe import main, split_webp_npz
    src = _fer_npz(tmp_path / "faces.webp.npz", per_class=(12, 6), webp=True)
    parts = split_webp_npz(src, tmp_path / "parts")
    out = tmp_path / "out"
    assert main(["--data", *map(str, parts), "--out", str(out), "--work", str(tmp_path / "work"),
                 "--smoke", "--budget", "200"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["teachers"]) == {"teacher0", "warm"}      # the student starts from "warm"
    assert all("mirror" in t for t in summary["teachers"].values())
    assert {"full", "dedup"} <= set(summary["ensemble"]) and "mirror" in summary["student"]
    card = json.loads((out / "emotion-student.json").read_text())
    assert card["mirror_averaged"] and card["distillation"]["temperature"] == 4.0
    assert "--teacher" in card["command"] and "--epochs 1" in card["command"]
    assert "--init" in card["command"] and "warm/best.pt" in card["command"]
    p = Predictor(out / "emotion-student.onnx")
    assert p.metadata["mirror_averaged"] == "true"
    assert (out / "runs.tar.gz").stat().st_size > 0 and len(list(out.iterdir())) <= 8
    import tarfile
    with tarfile.open(out / "checkpoints-1.tar") as tar:          # for a later call to start from
        names = tar.getnames()
    assert names[0] == "student/best.pt" and {"teacher0/best.pt", "warm/best.pt"} <= set(names)
    probe = list(csv.DictReader(open(tmp_path / "work" / "warm-probe" / "metrics.csv")))
    assert len(probe) == 2                     # timed by the faster of two epochs (warm device)


def test_greedy_selection_adds_members_only_while_they_help() -> None:
    """Three members sure on different parts of the labels and one always wrong, scored by
    the log-likelihood: the selection takes the best single one, then the members whose mean
    scores better, and never the wrong one (it would lower the score)."""
    y = np.arange(12) % 3
    eye = np.eye(3)

    def member(right: np.ndarray, confidence: float) -> np.ndarray:
        p = np.full((12, 3), (1 - confidence) / 2)
        p[right, y[right]] = confidence
        wrong = ~right
        p[wrong] = (1 - confidence) / 2
        p[wrong, (y[wrong] + 1) % 3] = confidence
        return p

    idx = np.arange(12)
    good = member(idx < 8, 0.6)                  # right on 8 of 12
    second = member(idx >= 4, 0.7)               # right on 8 of 12, other ones, more sure
    third = member((idx < 4) | (idx >= 8), 0.5)
    bad = eye[(y + 2) % 3]                       # always wrong, fully sure
    def loglik(p: np.ndarray) -> float:
        return float(np.log(np.clip(p[np.arange(12), y], 1e-6, 1)).mean())

    members = [bad, good, second, third]
    chosen, history = greedy_selection(members, loglik, max_members=4)
    assert chosen[0] == int(np.argmax([loglik(m) for m in members])) == 2
    assert len(chosen) >= 2 and 0 not in chosen
    assert all(b > a for a, b in zip(history, history[1:], strict=False))
    assert history[-1] == pytest.approx(loglik(np.mean([members[i] for i in chosen], axis=0)))
    one, _ = greedy_selection(members, loglik, max_members=1)
    assert one == [2]
    with pytest.raises(InputError):
        greedy_selection([], loglik, 3)


def test_precomputed_teacher_probabilities_are_used_as_given(tmp_path):
    """``prepare(probs=...)``: the targets are those probabilities (the teacher file is
    recorded, not run); probabilities for other images are refused."""
    from moviemotion.learn.distill import prepare

    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 20)
    probs = rng.dirichlet(np.ones(3), 20).astype(np.float32)
    teacher = tmp_path / "teacher.npz"
    np.savez(teacher, probs=probs)
    targets, _, d = prepare(tmp_path / "run", Distillation((str(teacher),), 0.2, 2.0),
                            np.zeros((20, 1, 4, 4)), y, probs=probs)
    assert np.allclose(targets, soft_targets(y, probs, 2.0)) and d.alpha == 0.2
    record = json.loads((tmp_path / "run" / "distill.json").read_text())
    assert record["teacher_train_accuracy"] == pytest.approx((probs.argmax(1) == y).mean())
    assert not (tmp_path / "run" / "teacher_probs.npz").exists()
    with pytest.raises(InputError, match="do not match 19"):
        prepare(tmp_path / "run2", Distillation((str(teacher),)), np.zeros((19, 1, 4, 4)),
                y[:19], probs=probs)
