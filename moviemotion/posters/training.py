"""Training the poster genre models on the kit (:mod:`moviemotion.learn`), with baselines.

Two heads, two runs of the one trainer:

* ``multilabel``: every genre with at least ``min_count`` training posters; sigmoid per genre,
  the mean of the per-genre logistic losses; per-genre thresholds chosen on validation (F1-best,
  stored in the model); scored by per-genre AP, macro mAP, micro-F1 and sample-F1.
* ``single``: posters with exactly one of comedy, horror, action, romance; softmax +
  cross-entropy; accuracy and the confusion matrix.

The same run measures two baselines on the same validation posters and writes them to
``baselines.json``: the label prior (every poster scored by the genre's training frequency)
and a color-histogram logistic regression (8x8x8 RGB histogram, one-vs-rest).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from moviemotion.errors import InputError
from moviemotion.io import atomic_write_json
from moviemotion.learn.task import Task
from moviemotion.posters import data as pdata

HEADS = ("multilabel", "single")
#: Losses of the multilabel head.
LOSSES = ("logistic", "asymmetric")


def load(data_dir: str | Path, head: str, size: tuple[int, int] = pdata.INPUT_SIZE,
         min_count: int = 50, genres: Sequence[str] | None = None, limit: int | None = None,
         cache_dir: str | Path | None = None) -> tuple[tuple[str, ...], tuple, tuple]:
    """(genres, (x_train, y_train), (x_val, y_val)) for ``head``; ``limit`` keeps the first
    posters of each split (a quick test of the pipeline)."""
    if head not in HEADS:
        raise InputError(f"unknown head {head!r}; choose one of {', '.join(HEADS)}")
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise InputError(f"{data_dir}: poster data folder not found")
    want = pdata.SINGLE_GENRES if head == "single" else genres
    train = pdata.read_genre_table(data_dir / "train.csv", want)
    val = pdata.read_genre_table(data_dir / "val.csv", want or train.genres)
    if head == "single":
        names = pdata.SINGLE_GENRES
    else:
        names = tuple(genres) if genres else pdata.frequent_genres(train, min_count)
        if not names:
            raise InputError(f"{train.path}: no genre has {min_count} or more posters")
    pdata.check_seen(train, names)
    splits = []
    for table in (train, val):
        if head == "single":
            rows, y = pdata.single_label(table, names)
        else:
            rows, y = np.arange(len(table.ids)), table.columns(names).astype(np.float32)
        if limit:
            rows, y = rows[:limit], y[:limit]
        ids = [table.ids[i] for i in rows]
        cache = None if cache_dir is None else Path(cache_dir) / (
            f"posters_{table.path.stem}_{head}_{size[0]}x{size[1]}{'_' + str(limit) if limit else ''}.npz")
        splits.append((pdata.poster_arrays(data_dir / "images", ids, size, cache), y))
    return names, splits[0], splits[1]


def make_task(head: str, genres: Sequence[str], x_train: np.ndarray) -> Task:
    """The poster task: RGB (3, H, W) raw pixels, normalized by the training set's channel
    statistics (inside the network)."""
    mean = x_train.mean(axis=(0, 2, 3)).round(2).tolist()
    std = x_train.std(axis=(0, 2, 3)).round(2).tolist()
    return Task(f"poster_{head}", x_train.shape[1:], tuple(genres),
                "multilabel" if head == "multilabel" else "multiclass", mean=mean, std=std,
                augment="light")


def color_histograms(x: np.ndarray, bins: int = 8) -> np.ndarray:
    """Normalized joint RGB histograms (N, bins**3) of uint8 images (N, 3, H, W)."""
    q = (x.astype(np.int32) * bins) // 256
    code = (q[:, 0] * bins + q[:, 1]) * bins + q[:, 2]
    n = len(x)
    flat = code.reshape(n, -1) + (np.arange(n) * bins**3)[:, None]
    hist = np.bincount(flat.ravel(), minlength=n * bins**3).reshape(n, bins**3)
    return hist / hist.sum(axis=1, keepdims=True)


def baselines(task: Task, train: tuple, val: tuple, seed: int = 0) -> dict[str, dict[str, float]]:
    """Scores of the label prior and a color-histogram logistic regression on ``val``."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    (xt, yt), (xv, yv) = train, val
    k = task.num_outputs
    if task.kind == "multilabel":
        prior = np.tile(yt.mean(axis=0), (len(yv), 1))
    else:
        prior = np.tile(np.bincount(yt, minlength=k) / len(yt), (len(yv), 1))
    ht, hv = np.sqrt(color_histograms(xt)), np.sqrt(color_histograms(xv))
    lr = make_pipeline(StandardScaler(), LogisticRegression(C=0.01, max_iter=2000, random_state=seed))
    if task.kind == "multilabel":
        model = OneVsRestClassifier(lr).fit(ht, yt.astype(int))
        hist = model.predict_proba(hv)
    else:
        hist = lr.fit(ht, yt).predict_proba(hv)
    out = {}
    for name, scores in (("label_prior", prior), ("color_histogram_logreg", hist)):
        s = dict(task.score(yv, scores))
        if task.kind == "multilabel":
            from moviemotion.learn.metrics import best_thresholds, multilabel_f1

            f1 = multilabel_f1(yv, scores, best_thresholds(yv, scores))
            s.update(micro_f1=f1["micro"], samples_f1=f1["samples"], macro_f1=f1["macro"])
        out[name] = s
    return out


def train_posters(data_dir: str | Path, run_dir: str | Path, head: str, config: Any, *,
                  size: tuple[int, int] = pdata.INPUT_SIZE, min_count: int = 50,
                  genres: Sequence[str] | None = None, limit: int | None = None,
                  cache_dir: str | Path | None = None, resume: bool = False,
                  quiet: bool = False, pos_weight: bool = False, stack: int = 1,
                  loss: str = "logistic") -> Path:
    """Train one head (a :class:`~moviemotion.learn.train.TrainConfig` ``config``) in
    ``run_dir``: baselines first (``baselines.json``), then the kit's run files; the
    multilabel evaluation also gets micro/sample F1 at the validation-chosen thresholds.
    ``pos_weight`` (multilabel): weigh each genre's positives by ``sqrt(negatives / positives)``
    of the training posters (at most 10) in the logistic loss, so rare genres count more.
    ``loss`` (multilabel): ``logistic`` (the mean of the per-genre logistic losses) or
    ``asymmetric`` (:func:`moviemotion.learn.train.asymmetric_loss`: easy negatives count less).
    ``stack`` G > 1: G runs of seeds ``config.seed`` .. ``+G-1`` trained at once as one
    stacked network (for a GPU: :func:`moviemotion.learn.train.train_stacked`), in
    ``run_dir/s<seed>``, each with its own baselines and evaluation."""
    from dataclasses import replace

    from moviemotion.learn.train import asymmetric_loss, finish, member_dirs, train, train_stacked

    if loss not in LOSSES:
        raise InputError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
    if loss != "logistic" and (head != "multilabel" or pos_weight):
        raise InputError(f"--loss {loss} is for the multilabel head, without --pos-weight")
    run_dir = Path(run_dir)
    dirs = member_dirs(run_dir, config.seed, stack)
    if stack > 1 and resume:
        raise InputError("--resume: a stacked run does not resume (each member keeps its best epoch)")
    names, tr, va = load(data_dir, head, size, min_count, genres, limit,
                         cache_dir if cache_dir is not None else run_dir.parent / ".cache")
    task = make_task(head, names, tr[0])
    if resume and (run_dir / "config.json").is_file():
        import json

        task = Task.from_dict(json.loads((run_dir / "config.json").read_text())["task"])
    measured = None
    for d in dirs:
        d.mkdir(parents=True, exist_ok=True)
        if not (d / "baselines.json").is_file():
            measured = measured or baselines(task, tr, va, config.seed)
            atomic_write_json(d / "baselines.json", measured)

    def on_finish(folder: Path) -> None:
        result = finish(task, folder, va)
        if task.kind == "multilabel":
            import json

            out = np.asarray(result.get("ap") and _predict_best(folder, task, va[0]))
            result.update(tuned_f1(va[1], out, list(result["thresholds"].values())))
            result["baselines"] = json.loads((folder / "baselines.json").read_text())
            atomic_write_json(folder / "evaluation.json", result)

    loss_fn = asymmetric_loss if loss == "asymmetric" else None
    if pos_weight and task.kind == "multilabel":
        import torch

        pos = np.asarray(tr[1], np.float64).sum(axis=0)
        weight = np.clip(np.sqrt((len(tr[1]) - pos) / np.maximum(pos, 1)), 1.0, 10.0)
        for d in dirs:
            atomic_write_json(d / "pos_weight.json", dict(zip(names, weight.round(3).tolist(), strict=True)))
        loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(weight, dtype=torch.float32,
                                                                     device=config.device))
    if stack > 1:
        train_stacked(task, [replace(config, seed=config.seed + g) for g in range(stack)], dirs,
                      tr, va, quiet=quiet, on_finish=on_finish, loss_fn=loss_fn)
        return run_dir
    return train(task, config, run_dir, tr, va, resume=resume, quiet=quiet, on_finish=on_finish,
                 loss_fn=loss_fn)


def tuned_f1(y: np.ndarray, out: np.ndarray, thresholds) -> dict[str, float]:
    """Micro, sample and macro F1 of multilabel ``out`` at per-genre ``thresholds`` (the
    ``*_f1_tuned`` scores of evaluation.json and of the card)."""
    from moviemotion.learn import metrics

    f1 = metrics.multilabel_f1(y, out, thresholds)
    return {"micro_f1_tuned": f1["micro"], "samples_f1_tuned": f1["samples"], "macro_f1_tuned": f1["macro"]}


def _predict_best(folder: Path, task: Task, x: np.ndarray) -> np.ndarray:
    from moviemotion.learn.train import load_checkpoint, predict_torch

    net, _, task = load_checkpoint(folder / "best.pt", task)
    return predict_torch(net, x, task)


def ensemble(run_dirs: Sequence[str | Path], dest: str | Path) -> tuple[dict[str, Any], list[dict]]:
    """Export the best epochs of several finished runs of one poster task as one ONNX model at
    ``dest``: the mean of their mirror-averaged outputs (:func:`moviemotion.learn.onnx.ensemble_model`).
    The ensemble is scored on the first run's validation posters like one model (multilabel:
    per-genre AP and F1-best thresholds, which the model stores). Returns (scores, members)."""
    import json

    import torch

    from moviemotion.errors import ModelError
    from moviemotion.learn import metrics
    from moviemotion.learn.onnx import ensemble_model, export_onnx
    from moviemotion.learn.ship import require_run_files
    from moviemotion.learn.train import load_checkpoint

    nets, members, task, config = [], [], None, None
    for run in map(Path, run_dirs):
        require_run_files(run, ("best.pt", "config.json"), "poster")
        net, ckpt, t = load_checkpoint(run / "best.pt")
        if task is None:
            task, config = t, json.loads((run / "config.json").read_text())
        elif (t.kind, t.outputs, t.input_shape) != (task.kind, task.outputs, task.input_shape):
            raise ModelError(f"{run}: another poster task ({t.kind}, {len(t.outputs)} genres, input "
                             f"{t.input_shape}) than {Path(run_dirs[0])} ({task.kind}, "
                             f"{len(task.outputs)} genres, input {task.input_shape})")
        nets.append(net)
        primary = f"val_{t.primary[0]}"                  # val_mAP / val_accuracy
        members.append({"run": run.name, "command": ckpt["config"].get("command", ""),
                        "best_epoch": int(ckpt["epoch"]), primary: ckpt.get("metrics", {}).get(primary)})
    head = "multilabel" if task.kind == "multilabel" else "single"
    _, _, (x, y) = load(config["data"], head, tuple(task.input_shape[1:]),
                        genres=task.outputs if head == "multilabel" else None,
                        cache_dir=Path(run_dirs[0]).parent / ".cache")
    model = ensemble_model(nets, task, mirror=True).eval()
    with torch.no_grad():
        out = np.concatenate([model(torch.from_numpy(x[i:i + 128]).float()).numpy()
                              for i in range(0, len(x), 128)])
    result: dict[str, Any] = {"n": len(y), **task.score(y, out), "members": len(nets)}
    if task.kind == "multilabel":
        thresholds = metrics.best_thresholds(y, out)
        result["ap"] = dict(zip(task.outputs, metrics.average_precision(y, out).tolist(), strict=True))
        result["thresholds"] = dict(zip(task.outputs, thresholds.tolist(), strict=True))
        result.update(tuned_f1(y, out, thresholds))
        task = Task.from_dict({**task.to_dict(), "thresholds": thresholds.tolist()})
    else:
        result["full"] = metrics.class_scores(out, y, task.num_outputs).as_dict()
    export_onnx(nets[0], dest, task, mirror=True, model=model,
                metadata={"members": [m["command"] for m in members]})
    return result, members


def ship(run_dir: str | Path, dest: str | Path | None = None,
         members: Sequence[str | Path] = ()) -> Path:
    """Install a finished run's ``model.onnx`` as the shipped model of its head (or at
    ``dest``), with a model card (``.json`` + ``.md``: command, data, seed, validation
    scores, per-genre AP and thresholds, baselines, confusion matrix). With ``members``
    (more runs of the same task), ship the :func:`ensemble` of ``run_dir`` and them instead,
    scored as one model; the card lists every member's command."""
    import json
    import shutil

    from moviemotion.io import atomic_path
    from moviemotion.learn.card import model_card, write_card
    from moviemotion.learn.ship import require_run_files
    from moviemotion.learn.train import read_metrics
    from moviemotion.posters.classifier import MODELS

    run_dir = Path(run_dir)
    require_run_files(run_dir, ("model.onnx", "config.json", "evaluation.json", "metrics.csv"), "poster")
    config = json.loads((run_dir / "config.json").read_text())
    task = Task.from_dict(config["task"])
    head = "multilabel" if task.kind == "multilabel" else "single"
    dest = Path(dest) if dest is not None else MODELS[head]
    extra: dict[str, Any] = {}
    if members:
        with atomic_path(dest) as tmp:
            result, extra["members"] = ensemble([run_dir, *members], tmp)
        extra["mirror_averaged"] = True
    else:
        result = json.loads((run_dir / "evaluation.json").read_text())
        with atomic_path(dest) as tmp:
            shutil.copyfile(run_dir / "model.onnx", tmp)
    keep = ("n", "accuracy", "macro_f1", "mAP", "micro_f1", "samples_f1", "micro_f1_tuned",
            "samples_f1_tuned", "macro_f1_tuned")
    metrics = {"val": {k: result[k] for k in keep if k in result}}
    baselines = json.loads((run_dir / "baselines.json").read_text()) \
        if (run_dir / "baselines.json").is_file() else {}
    for name, scores in baselines.items():
        metrics[f"val, baseline {name}"] = scores
    rows = read_metrics(run_dir)
    best = max(rows, key=lambda r: float(r.get("val_mAP") or r.get("val_accuracy") or 0))
    confusion = result.get("full", {}).get("confusion")
    card = model_card(task, config, metrics, model=dest, best_epoch=int(best["epoch"]),
                      confusion=confusion, average_precision=result.get("ap"),
                      thresholds=result.get("thresholds"),
                      training_seconds=None if members else round(sum(float(r["seconds"]) for r in rows)),
                      **extra)
    write_card(dest, card)
    return dest


def train_fisher(data_dir: str | Path, run_dir: str | Path, *, cnn: str | Path | None = None,
                 seed: int = 0, workers: int = 1, limit: int | None = None,
                 cache_dir: str | Path | None = None, command: str = "", quiet: bool = False,
                 **settings: Any) -> dict[str, Any]:
    """Fit the Fisher-vector member (:class:`~moviemotion.posters.fisher.PosterFisher`) of the
    multi-label head on the training posters at the CNN's input size and genres (``cnn``: an
    ``.onnx`` poster model, default the shipped one), score on val.csv alone, per channel,
    and fused with the CNN (equal weights: :func:`~moviemotion.posters.fisher.fuse`), choose
    the fused model's per-genre thresholds there, and write ``run_dir``: ``config.json``,
    ``evaluation.json`` and ``fisher.npz`` (the member; the thresholds, the CNN's SHA-256
    and the command inside). Returns the evaluation."""
    import time

    from moviemotion.learn import metrics
    from moviemotion.learn.card import file_sha256
    from moviemotion.posters.classifier import MODELS, PosterClassifier
    from moviemotion.posters.fisher import CHANNELS, DEFAULTS, PosterFisher, fuse
    from moviemotion.progress import progress_bar, say

    run_dir = Path(run_dir)
    cnn_path = Path(cnn) if cnn is not None else MODELS["multilabel"]
    clf = PosterClassifier(cnn_path, fisher=False)
    if clf.kind != "multilabel":
        raise InputError(f"{cnn_path}: the Fisher member joins a multi-label poster model")
    names, (xtr, ytr), (xva, yva) = load(data_dir, "multilabel", clf.size, genres=clf.genres,
                                         limit=limit,
                                         cache_dir=cache_dir if cache_dir is not None else run_dir.parent / ".cache")
    run_dir.mkdir(parents=True, exist_ok=True)
    config = {"data": str(data_dir), "cnn": str(cnn_path), "cnn_sha256": file_sha256(cnn_path),
              "seed": seed, "limit": limit, "settings": {**DEFAULTS, **settings},
              "command": command, "train_posters": len(xtr), "val_posters": len(xva)}
    atomic_write_json(run_dir / "config.json", config)
    member = PosterFisher(names, clf.size, seed, **settings)
    started = time.time()
    with progress_bar(disable=quiet) as bar:
        t = bar.add_task("describing posters (dense SIFT, colour)", total=len(xtr) + len(xva),
                         unit="posters")
        advance = lambda n: bar.advance(t, n)      # noqa: E731
        dtr = member.describe(xtr, workers, advance)
        dva = member.describe(xva, workers, advance)
    member.fit(xtr, ytr, descriptors=dtr, log=None if quiet else lambda m: say("note", m))
    del dtr
    channels = member.channel_probabilities(xva, descriptors=dva)
    p_member = fuse(list(channels.values()))
    p_cnn = clf.predict(list(xva.transpose(0, 2, 3, 1)))
    p_fused = fuse([p_cnn, p_member])
    thresholds = metrics.best_thresholds(yva, p_fused)
    mean_ap = lambda p: float(metrics.mean_average_precision(yva, p))    # noqa: E731
    result: dict[str, Any] = {
        "n": len(yva), "mAP": mean_ap(p_fused),
        **{f"{c}_mAP": mean_ap(channels[c]) for c in CHANNELS},
        "fisher_mAP": mean_ap(p_member), "cnn_mAP": mean_ap(p_cnn),
        "ap": dict(zip(names, metrics.average_precision(yva, p_fused).tolist(), strict=True)),
        "thresholds": dict(zip(names, thresholds.tolist(), strict=True)),
        **tuned_f1(yva, p_fused, thresholds),
        "seconds": round(time.time() - started)}
    f1 = metrics.multilabel_f1(yva, p_fused, np.full(len(names), 0.5))
    result.update({"micro_f1": f1["micro"], "samples_f1": f1["samples"], "macro_f1": f1["macro"]})
    atomic_write_json(run_dir / "evaluation.json", result)
    member.save(run_dir / "fisher.npz", thresholds=thresholds.tolist(), command=command,
                cnn_sha256=config["cnn_sha256"], val_mAP=result["mAP"])
    return result


def ship_fisher(run_dir: str | Path, dest: str | Path | None = None) -> Path:
    """Install a finished Fisher-member run (:func:`train_fisher`) beside the shipped
    multi-label model (``posters/weights/genres_fisher.npz``), with its model card (the
    fused model's validation scores, per-genre AP and thresholds, the commands)."""
    import json
    import shutil

    from moviemotion.errors import ModelError
    from moviemotion.io import atomic_path
    from moviemotion.learn.card import file_sha256, write_card
    from moviemotion.learn.ship import require_run_files
    from moviemotion.posters.classifier import FISHER, MODELS

    run_dir = Path(run_dir)
    require_run_files(run_dir, ("fisher.npz", "config.json", "evaluation.json"), "poster Fisher")
    config = json.loads((run_dir / "config.json").read_text())
    result = json.loads((run_dir / "evaluation.json").read_text())
    dest = Path(dest) if dest is not None else FISHER
    cnn = dest.parent / MODELS["multilabel"].name
    if cnn.is_file() and file_sha256(cnn) != config["cnn_sha256"]:
        raise ModelError(f"{run_dir}: fitted and thresholded with another CNN than {cnn}; "
                         "train it again against that model")
    with atomic_path(dest) as tmp:
        shutil.copyfile(run_dir / "fisher.npz", tmp)
    keep = ("n", "mAP", "fisher_mAP", "sift_mAP", "color_mAP", "cnn_mAP", "micro_f1_tuned",
            "samples_f1_tuned", "macro_f1_tuned")
    card = {"task": "poster_multilabel_fisher", "kind": "multilabel",
            "classes": list(result["ap"]),
            "arch": "improved Fisher vectors (dense RootSIFT + Lab colour; local colour "
                    "statistics) + logistic regression per genre",
            "arch_args": config["settings"], "seed": config["seed"], "command": config["command"],
            "data": config["data"], "train_split": "train", "val_split": "val",
            "note": "fused with the CNN ensemble genres.onnx (equal weights, mean of logits); "
                    "the scores and thresholds are the fused model's",
            "metrics": {"val": {k: result[k] for k in keep if k in result}},
            "average_precision": result["ap"], "thresholds": result["thresholds"],
            "file": {"name": dest.name, "bytes": dest.stat().st_size, "sha256": file_sha256(dest)}}
    write_card(dest, card)
    return dest
