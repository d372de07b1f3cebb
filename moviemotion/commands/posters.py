"""Poster commands: ``moviemotion posters IMAGE|DIR`` (genres with probabilities),
``moviemotion train poster`` and ``moviemotion ship poster``, ``moviemotion train poster-fisher``
and ``moviemotion ship poster-fisher`` (the Fisher-vector member of the multi-label model)."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Annotated

import typer

from moviemotion.commands.emotion import (
    CutmixOption,
    EmaOption,
    InitOption,
    MixupOption,
    parse_arch_args,
    regularization_args,
    verb_group,
)
from moviemotion.progress import console


def posters_command(
    target: Annotated[Path, typer.Argument(help="A poster image or a folder of posters.")],
    model: Annotated[Path | None, typer.Option(
        help="An .onnx poster model (default: the shipped multi-label model).")] = None,
    head: Annotated[str, typer.Option(
        help="Shipped model: multilabel (every frequent genre) or single (4 genres).")] = "multilabel",
    top: Annotated[int, typer.Option(min=1, help="Genres shown per poster, most probable first.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (every genre).")] = False,
    fisher: Annotated[bool, typer.Option(
        help="Multi-label: fuse the shipped Fisher-vector member with the CNN (the shipped "
        "default; --no-fisher: the CNN alone, ~7 ms instead of ~130 ms a poster on 2 cores).")] = True,
) -> None:
    """Genres of movie posters with their probabilities (a table per poster; `*` marks the
    genres above their validation-chosen thresholds).

    Example: `moviemotion posters posters/ --top 3`
    """
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from moviemotion.posters.classifier import PosterClassifier, poster_files

    files = poster_files(target)
    clf = PosterClassifier(model, head=head, fisher=None if fisher else False)
    probs = clf.predict_files(files)
    labels = clf.labels(probs)
    if as_json:
        typer.echo(json.dumps([{"file": str(f), "genres": lab,
                                "probabilities": dict(zip(clf.genres, map(float, p), strict=True))}
                               for f, p, lab in zip(files, probs, labels, strict=True)], indent=1))
        return
    out = Console(soft_wrap=True)          # the tables are the output: stdout
    for f, p, lab in zip(files, probs, labels, strict=True):
        table = Table(title=escape(str(f)), title_justify="left")
        table.add_column("genre")
        table.add_column("probability", justify="right")
        for k in p.argsort()[::-1][:top]:
            g = clf.genres[int(k)]
            table.add_row(escape(g) + (" *" if g in lab else ""), f"{p[k]:.3f}")
        out.print(table)


def train_poster_command(
    data: Annotated[Path, typer.Option(help="Poster folder: train.csv, val.csv, images/<Id>.jpg.")],
    run_dir: Annotated[Path | None, typer.Option(
        "--run-dir", "-o", help="Run folder (default: runs/posters-<head>).")] = None,
    head: Annotated[str, typer.Option(help="multilabel (every frequent genre) or single (4 genres).")] = "multilabel",
    arch: Annotated[str, typer.Option(help="Architecture (moviemotion.learn.archs).")] = "vgg",
    arch_arg: Annotated[list[str] | None, typer.Option(
        "--arch-arg", "-A", help="Architecture option KEY=VALUE (repeatable), e.g. width=24.")] = None,
    min_count: Annotated[int, typer.Option(min=1, help="Multi-label: genres with this many training posters.")] = 50,
    height: Annotated[int, typer.Option(min=16, help="Input height (posters are resized once, cached).")] = 64,
    width: Annotated[int, typer.Option(min=16, help="Input width.")] = 44,
    epochs: Annotated[int | None, typer.Option(help="Epochs (default: the recipe's).")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Batch size.")] = None,
    lr: Annotated[float | None, typer.Option(help="Peak learning rate.")] = None,
    optimizer: Annotated[str | None, typer.Option(help="sgd or adam.")] = None,
    augment: Annotated[str | None, typer.Option(help="none, flip, light or strong (default light).")] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    stack: Annotated[int, typer.Option(
        min=1, help="Train this many runs (seeds SEED, SEED+1, ...) at once as one stacked "
        "network, in RUN/s<seed> (for a GPU; docs/learn.md).")] = 1,
    device: Annotated[str, typer.Option(help="cpu, cuda or cuda:N.")] = "cpu",
    threads: Annotated[int | None, typer.Option(help="CPU threads for torch.")] = None,
    limit: Annotated[int | None, typer.Option(min=2, help="Only the first N posters per split (a quick test).")] = None,
    pos_weight: Annotated[bool, typer.Option(
        "--pos-weight", help="Multi-label: weigh rare genres' positives by sqrt(neg/pos) in the loss.")] = False,
    loss: Annotated[str, typer.Option(
        help="Multi-label loss: logistic (mean of per-genre logistic losses) or asymmetric "
        "(easy negatives count less; Ridnik et al. 2021).")] = "logistic",
    mixup: MixupOption = 0.0,
    cutmix: CutmixOption = 0.0,
    ema: EmaOption = 0.0,
    init: InitOption = None,
    resume: Annotated[bool, typer.Option(help="Continue the run in --run-dir.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
) -> None:
    """Train a poster genre model: the baselines (label prior, color-histogram logistic
    regression) and the network, scored on val.csv (config.json, metrics.csv, evaluation.json,
    baselines.json, model.onnx in the run folder).

    Example: `moviemotion train poster --data posters/ --head multilabel -A width=24 --epochs 20 -o runs/posters`
    """
    from moviemotion.learn.train import TrainConfig
    from moviemotion.posters.training import train_posters

    run_dir = run_dir or Path(f"runs/posters-{head}")
    args = ["moviemotion", "train", "poster", "--data", str(data), "--head", head, "--arch", arch]
    for item in arch_arg or []:
        args += ["-A", item]
    for name, v in (("--min-count", min_count if min_count != 50 else None),
                    ("--height", height if height != 64 else None), ("--width", width if width != 44 else None),
                    ("--epochs", epochs), ("--batch-size", batch_size), ("--lr", lr),
                    ("--optimizer", optimizer), ("--augment", augment), ("--seed", seed or None),
                    ("--stack", stack if stack > 1 else None),
                    ("--device", None if device == "cpu" else device), ("--threads", threads),
                    ("--limit", limit), ("--init", init),
                    ("--loss", loss if loss != "logistic" else None)):
        if v is not None:
            args += [name, str(v)]
    args += regularization_args(mixup, cutmix, ema)
    args += (["--pos-weight"] if pos_weight else []) + ["-o", str(run_dir)] + (["--resume"] if resume else [])
    cfg = TrainConfig(data=str(data), arch=arch, arch_args=parse_arch_args(arch_arg), epochs=epochs,
                      batch_size=batch_size, lr=lr, optimizer=optimizer, augment=augment, seed=seed,
                      device=device, threads=threads, init=str(init or ""), mixup=mixup, cutmix=cutmix,
                      ema=ema, command=shlex.join(args))
    train_posters(data, run_dir, head, cfg, size=(height, width), min_count=min_count, limit=limit,
                  resume=resume, quiet=quiet, pos_weight=pos_weight, stack=stack, loss=loss)


def ship_poster_command(
    run_dir: Annotated[Path, typer.Argument(help="A finished run folder (from `train poster`).")],
    dest: Annotated[Path | None, typer.Option(
        help="Where to install (default: the package's posters/weights/genres[4].onnx).")] = None,
    member: Annotated[list[Path] | None, typer.Option(
        "--member", help="Another finished run of the same task (repeatable): ship the ensemble "
        "(mean of the mirror-averaged outputs), scored and thresholded as one model.")] = None,
) -> None:
    """Install a finished poster run as the shipped model, with its model card; with --member,
    the ensemble of that run and the members.

    Example: `moviemotion ship poster runs/posters-a --member runs/posters-b`
    """
    from moviemotion.posters.training import ship

    path = ship(run_dir, dest, members=member or ())
    console.print(f"shipped {run_dir} as {path}", highlight=False, markup=False)


def train_poster_fisher_command(
    data: Annotated[Path, typer.Option(help="Poster folder: train.csv, val.csv, images/<Id>.jpg.")],
    run_dir: Annotated[Path, typer.Option(
        "--run-dir", "-o", help="Run folder.")] = Path("runs/posters-fisher"),
    cnn: Annotated[Path | None, typer.Option(
        help="The multi-label .onnx model it joins (default: the shipped genres.onnx).")] = None,
    components: Annotated[int, typer.Option(min=2, help="GMM components per channel.")] = 128,
    c: Annotated[float, typer.Option("--C", min=1e-6, help="Inverse L2 strength of the regressions.")] = 1.0,
    seed: Annotated[int, typer.Option(help="Random seed (descriptor sample, PCA, GMM).")] = 0,
    workers: Annotated[int, typer.Option(min=1, help="Processes describing the posters.")] = 2,
    limit: Annotated[int | None, typer.Option(min=2, help="Only the first N posters per split (a quick test).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
) -> None:
    """Fit the Fisher-vector member of the multi-label poster model (dense SIFT and local
    colour statistics, improved Fisher vectors, a logistic regression per genre; ~20 min on 2
    cores), score it alone and fused with the CNN on val.csv, choose the fused thresholds
    (config.json, evaluation.json, fisher.npz in the run folder).

    Example: `moviemotion train poster-fisher --data posters/ -o runs/posters-fisher`
    """
    from moviemotion.posters.training import train_fisher

    args = ["moviemotion", "train", "poster-fisher", "--data", str(data)]
    for name, v, default in (("--cnn", cnn, None), ("--components", components, 128),
                             ("--C", c, 1.0), ("--seed", seed, 0), ("--workers", workers, 2),
                             ("--limit", limit, None)):
        if v != default:
            args += [name, str(v)]
    args += ["-o", str(run_dir)]
    result = train_fisher(data, run_dir, cnn=cnn, seed=seed, workers=workers, limit=limit,
                          command=shlex.join(args), quiet=quiet, components=components, C=c)
    console.print(f"val macro mAP: fused {result['mAP']:.4f} (CNN {result['cnn_mAP']:.4f}, "
                  f"Fisher {result['fisher_mAP']:.4f}: SIFT {result['sift_mAP']:.4f}, colour "
                  f"{result['color_mAP']:.4f}); {run_dir}", highlight=False, markup=False)


def ship_poster_fisher_command(
    run_dir: Annotated[Path, typer.Argument(help="A finished run folder (from `train poster-fisher`).")],
    dest: Annotated[Path | None, typer.Option(
        help="Where to install (default: the package's posters/weights/genres_fisher.npz).")] = None,
) -> None:
    """Install a Fisher-member run beside the shipped multi-label model, with its model card
    (refused when it was fitted against another CNN than the shipped one).

    Example: `moviemotion ship poster-fisher runs/posters-fisher`
    """
    from moviemotion.posters.training import ship_fisher

    path = ship_fisher(run_dir, dest)
    console.print(f"shipped {run_dir} as {path}", highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    app.command("posters")(posters_command)
    verb_group(app, "train").command("poster")(train_poster_command)
    verb_group(app, "ship").command("poster")(ship_poster_command)
    verb_group(app, "train").command("poster-fisher")(train_poster_fisher_command)
    verb_group(app, "ship").command("poster-fisher")(ship_poster_fisher_command)
