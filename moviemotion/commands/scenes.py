"""Scene-model commands: ``moviemotion scenes PATH``, ``moviemotion train scenes`` and
``moviemotion ship scenes``."""

from __future__ import annotations

import shlex
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from moviemotion.commands.emotion import CutmixOption, EmaOption, MixupOption
from moviemotion.errors import InputError
from moviemotion.progress import console


def scenes_command(
    path: Annotated[Path, typer.Argument(help="An image file, a folder of images, or a video.")],
    model: Annotated[Path | None, typer.Option(help="Scene model .onnx (default: shipped).")] = None,
    fps: Annotated[float, typer.Option(help="Video: frames classified per second.")] = 2.0,
    top: Annotated[int, typer.Option(help="Classes listed per image / second (1-17).")] = 5,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Also write the table as CSV (or .parquet for a video).")] = None,
    cam_dir: Annotated[Path | None, typer.Option(
        "--cam-dir", help="Images: write each image with the heat map of its top class "
        "(PNG) into this folder.")] = None,
    threads: Annotated[int | None, typer.Option(help="Inference threads.")] = None,
) -> None:
    """Top scene classes (17 places) of images, or of a video per second.

    Example: `moviemotion scenes photo.jpg`

    More:

      `moviemotion scenes stills/ -o stills.csv --cam-dir stills-cam/`

      `moviemotion scenes film.mp4 --fps 1 -o film-scenes.parquet`
    """
    from rich.table import Table

    from moviemotion.content.scenes import SceneClassifier, classify_path

    if not 1 <= top <= 17:
        raise InputError(f"--top {top}: must be between 1 and 17")
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    classifier = SceneClassifier(model, threads)
    rows, written = classify_path(path, classifier, fps=fps, top=top, out=out, cam_dir=cam_dir)
    table = Table(show_edge=False)
    for col in rows[0] if rows else ["item"]:
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*[str(v) for v in row.values()])
    console.print(table)
    for p in written:
        console.print(f"wrote {p}", style="dim", highlight=False, markup=False)


def train_scenes_command(
    data: Annotated[Path, typer.Option(help="The scenes data folder (scene15/, intel6/).")],
    run_dir: Annotated[Path | None, typer.Option(
        "--run-dir", "-o", help="Run folder (default runs/scenes-TIME).")] = None,
    size: Annotated[int, typer.Option(help="Input size in pixels (square).")] = 64,
    arch: Annotated[str, typer.Option(help="Architecture (needs exact CAMs): resnet, vgg.")] = "resnet",
    arch_arg: Annotated[list[str] | None, typer.Option(
        "--arch-arg", "-A", help="Architecture option KEY=VALUE (repeatable), e.g. width=32.")] = None,
    epochs: Annotated[int | None, typer.Option(help="Epochs (default: the recipe's).")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Batch size.")] = None,
    lr: Annotated[float | None, typer.Option(help="Peak learning rate.")] = None,
    augment: Annotated[str | None, typer.Option(help="none, flip, light or strong.")] = None,
    scene15_repeat: Annotated[int, typer.Option(help="15-Scene repeats per epoch.")] = 2,
    limit: Annotated[int | None, typer.Option(
        help="At most this many images per dataset and split (a quick pipeline check).")] = None,
    seed: Annotated[int, typer.Option(
        help="Random seed of the training (Intel6's validation split is the same for every seed).")] = 0,
    stack: Annotated[int, typer.Option(
        min=1, help="Train this many runs (seeds SEED, SEED+1, ...) at once as one stacked "
        "network, in RUN/s<seed> (for a GPU; docs/learn.md).")] = 1,
    mixup: MixupOption = 0.0,
    cutmix: CutmixOption = 0.0,
    ema: EmaOption = 0.0,
    teacher: Annotated[Path | None, typer.Option(
        help="Distill from this teacher file (`moviemotion train scene-teacher`).")] = None,
    alpha: Annotated[float, typer.Option(help="Distillation: weight of the hard labels 0-1.")] = 0.5,
    temperature: Annotated[float, typer.Option(help="Distillation temperature.")] = 1.0,
    device: Annotated[str, typer.Option(help="cpu, cuda or cuda:N.")] = "cpu",
    threads: Annotated[int | None, typer.Option(help="CPU threads for torch.")] = None,
    resume: Annotated[bool, typer.Option(help="Continue the run in --run-dir.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
) -> None:
    """Train the scene classifier on 15-Scene + Intel6 (one 17-class label set, see
    docs/scenes.md); writes a run folder (config, metrics per epoch, checkpoints). Then
    `moviemotion ship scenes RUN --data DATA` exports and scores it.

    Example: `moviemotion train scenes --data ../shared/data/scenes -A width=32 --epochs 8 -o runs/scenes`

    Distilled from the classical teacher: `moviemotion train scenes --data ../shared/data/scenes
    --teacher runs/scene-teacher.npz --alpha 0.5 -o runs/scenes-kd`
    """
    from moviemotion.commands.emotion import parse_arch_args, regularization_args
    from moviemotion.content.scene_training import train_scenes
    from moviemotion.learn.train import TrainConfig

    if resume and run_dir is None:
        raise InputError("--resume needs --run-dir, the run folder to continue")
    if not 16 <= size <= 512:
        raise InputError(f"--size {size}: must be between 16 and 512")
    run_dir = run_dir or Path("runs") / f"scenes-{datetime.now(UTC):%Y%m%d-%H%M%S}"
    args = ["moviemotion", "train", "scenes", "--data", str(data), "--size", str(size)]
    for item in arch_arg or []:
        args += ["-A", item]
    for name, value in (("epochs", epochs), ("batch-size", batch_size), ("lr", lr),
                        ("augment", augment), ("limit", limit), ("threads", threads)):
        if value is not None:
            args += [f"--{name}", str(value)]
    args += regularization_args(mixup, cutmix, ema)
    distillation = None
    if teacher is not None:
        from moviemotion.learn.distill import Distillation

        distillation = Distillation((str(teacher),), alpha, temperature).checked()
        args += ["--teacher", str(teacher), "--alpha", str(alpha), "--temperature", str(temperature)]
    args += ["--seed", str(seed)] + (["--stack", str(stack)] if stack > 1 else [])
    args += ["-o", str(run_dir)] + (["--resume"] if resume else [])
    cfg = TrainConfig(data=str(data), arch=arch, arch_args=parse_arch_args(arch_arg),
                      epochs=epochs, batch_size=batch_size, lr=lr, augment=augment, seed=seed,
                      device=device, threads=threads, mixup=mixup, cutmix=cutmix, ema=ema,
                      command=shlex.join(args))
    train_scenes(data, run_dir, size=size, config=cfg, resume=resume, quiet=quiet, limit=limit,
                 scene15_repeat=scene15_repeat, on_finish=lambda _: None, stack=stack,
                 distillation=distillation)
    shown = run_dir if stack == 1 else run_dir / f"s{seed}"
    console.print(f"trained {run_dir}; ship it with `moviemotion ship scenes {shown} "
                  f"--data {data}`", highlight=False, markup=False)


def train_scene_teacher_command(
    data: Annotated[Path, typer.Option(help="The scenes data folder (scene15/, intel6/).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The teacher file to write (.npz).")],
    folds: Annotated[int, typer.Option(help="Out-of-fold folds per dataset.")] = 5,
    workers: Annotated[int, typer.Option(help="Processes describing the images.")] = 2,
    limit: Annotated[int | None, typer.Option(
        help="At most this many images per dataset and split (a quick pipeline check; "
             "train the student with the same --limit).")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the encoder sample and the folds.")] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Make the classical teacher of the scene CNN (Fisher vectors of dense SIFT and of local
    colour statistics, per-dataset logistic regressions; out-of-fold probabilities over the
    training images, docs/scenes.md). About 25 minutes on 2 cores for the whole data.

    Example: `moviemotion train scene-teacher --data ../shared/data/scenes -o runs/scene-teacher.npz`
    """
    from moviemotion.content.scene_teacher import make_teacher
    from moviemotion.progress import say

    make_teacher(data, out, workers=workers, folds=folds, limit=limit, seed=seed,
                 say=lambda m: say("note", m), quiet=quiet)
    console.print(f"wrote {out}; distill it with `moviemotion train scenes --data {data} "
                  f"--teacher {out}`", highlight=False, markup=False)


def ship_scenes_command(
    run_dir: Annotated[Path, typer.Argument(help="A finished `train scenes` run folder.")],
    data: Annotated[Path, typer.Option(help="The scenes data folder (for the scores).")],
    dest: Annotated[Path | None, typer.Option(
        help="Where to write the model (default: the package's shipped scenes.onnx).")] = None,
    mirror: Annotated[bool, typer.Option(help="Average each image with its mirror image.")] = True,
    threads: Annotated[int, typer.Option(help="Threads for scoring and the speed figure.")] = 2,
) -> None:
    """Export a run's best epoch as the scene model (ONNX with the feature map for class
    activation maps), score it per dataset and write its model card beside it.

    Example: `moviemotion ship scenes runs/scenes --data ../shared/data/scenes`
    """
    import json

    from moviemotion.content.scene_training import ship_scenes

    path = ship_scenes(run_dir, data, dest, mirror, threads)
    card = json.loads(path.with_suffix(".json").read_text())
    acc = ", ".join(f"{k} {v['accuracy']:.1%}" for k, v in card["metrics"].items())
    console.print(f"shipped {run_dir} as {path}: {acc}; {card['file']['bytes']:,} bytes",
                  highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    from moviemotion.commands.emotion import verb_group

    app.command("scenes")(scenes_command)
    verb_group(app, "train").command("scenes")(train_scenes_command)
    verb_group(app, "train").command("scene-teacher")(train_scene_teacher_command)
    verb_group(app, "ship").command("scenes")(ship_scenes_command)
