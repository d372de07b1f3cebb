"""Emotion-model commands: ``moviemotion train emotion``, ``moviemotion evaluate emotion`` and
``moviemotion ship emotion``.

``train``, ``evaluate`` and ``ship`` are verb groups that other parts can extend
(``train scenes``...) through :func:`verb_group`; :func:`parse_arch_args` reads ``-A KEY=VALUE``.
"""

from __future__ import annotations

import json
import math
import shlex
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from moviemotion.errors import InputError
from moviemotion.progress import console

_VERB_HELP = {
    "train": "Train a model (e.g. `moviemotion train emotion --data fer2013.csv`).",
    "evaluate": "Evaluate a model (e.g. `moviemotion evaluate emotion --data fer2013.csv`).",
    "ship": "Install a finished run as the shipped model (e.g. `moviemotion ship emotion runs/vgg60`).",
}


#: Regularization options of the kit's trainer, shared by the train commands that offer them.
MixupOption = Annotated[float, typer.Option(help="Mixup Beta parameter (0 = off), e.g. 0.2.")]
CutmixOption = Annotated[float, typer.Option(help="CutMix Beta parameter (0 = off), e.g. 1.0.")]
EmaOption = Annotated[float, typer.Option(
    help="EMA of the weights, decay per step (0 = off), e.g. 0.999; the EMA model is kept.")]
InitOption = Annotated[Path | None, typer.Option(
    "--init", help="Warm start: copy the matching layers of this checkpoint (a run's best.pt; "
    "the output head too when the checkpoint has the same classes), e.g. runs/scenes/best.pt.")]


def regularization_args(mixup: float, cutmix: float, ema: float) -> list[str]:
    """The command-line words of the options above that are on (for the run's command)."""
    args: list[str] = []
    for name, value in (("mixup", mixup), ("cutmix", cutmix), ("ema", ema)):
        if value:
            args += [f"--{name}", str(value)]
    return args


def verb_group(app: typer.Typer, verb: str) -> typer.Typer:
    """The sub-app for ``verb`` (``moviemotion <verb> <what>``), created on first use."""
    for info in app.registered_groups:
        if info.name == verb and info.typer_instance is not None:
            return info.typer_instance
    group = typer.Typer(help=_VERB_HELP.get(verb, verb), no_args_is_help=True,
                        rich_markup_mode="markdown")
    app.add_typer(group, name=verb)
    return group


def parse_arch_args(items: list[str] | None) -> dict:
    """``["width=16", "depths=2,2,2,2"]`` -> ``{"width": 16, "depths": (2, 2, 2, 2)}``
    (values read as JSON numbers/lists where they parse, else kept as text)."""
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            raise InputError(f"--arch-arg {item!r}: expected KEY=VALUE, e.g. width=32")
        try:
            parsed = json.loads(value if not value.count(",") else f"[{value}]")
        except json.JSONDecodeError:
            parsed = value
        if isinstance(parsed, float) and not math.isfinite(parsed):
            raise InputError(f"--arch-arg {item!r}: not a finite number")
        out[key] = tuple(parsed) if isinstance(parsed, list) else parsed
    return out


def train_emotion_command(
    data: Annotated[Path, typer.Option(help="Faces: fer2013.csv, an image-folder tree or .npz.")],
    run_dir: Annotated[Path | None, typer.Option(
        "--run-dir", "-o", help="Run folder (default runs/emotion-ARCH-TIME).")] = None,
    arch: Annotated[str, typer.Option(help="Architecture: vgg, mini_xception, bionic.")] = "vgg",
    arch_arg: Annotated[list[str] | None, typer.Option(
        "--arch-arg", "-A", help="Architecture option KEY=VALUE (repeatable), e.g. width=16.")] = None,
    epochs: Annotated[int | None, typer.Option(help="Epochs (default: the recipe's).")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Batch size.")] = None,
    lr: Annotated[float | None, typer.Option(help="Peak learning rate.")] = None,
    optimizer: Annotated[str | None, typer.Option(help="sgd or adam.")] = None,
    weight_decay: Annotated[float | None, typer.Option(help="Weight decay.")] = None,
    label_smoothing: Annotated[float | None, typer.Option(help="Label smoothing 0-1.")] = None,
    augment: Annotated[str | None, typer.Option(help="none, flip, light, strong or heavy.")] = None,
    schedule: Annotated[str | None, typer.Option(help="cosine or constant.")] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    device: Annotated[str, typer.Option(help="cpu, cuda, cuda:N or mps.")] = "cpu",
    threads: Annotated[int | None, typer.Option(help="CPU threads for torch.")] = None,
    amp: Annotated[bool, typer.Option(help="Mixed precision on CUDA.")] = True,
    tta: Annotated[bool, typer.Option(help="Test-time augmentation in the final evaluation.")] = False,
    mixup: MixupOption = 0.0,
    cutmix: CutmixOption = 0.0,
    ema: EmaOption = 0.0,
    init: InitOption = None,
    teacher: Annotated[list[Path] | None, typer.Option(
        help="Distill from this teacher: an .onnx model or a .pt checkpoint, mirror-averaged "
             "(repeatable: the mean of the teachers).")] = None,
    alpha: Annotated[float, typer.Option(help="Distillation: weight of the hard labels 0-1.")] = 0.5,
    temperature: Annotated[float, typer.Option(help="Distillation temperature.")] = 4.0,
    train_split: Annotated[str, typer.Option(help="Split to train on.")] = "Training",
    val_split: Annotated[str, typer.Option(help="Split to select the best epoch on.")] = "PublicTest",
    resume: Annotated[bool, typer.Option(help="Continue the run in --run-dir.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
) -> None:
    """Train the emotion classifier; writes a run folder with metrics, checkpoints, report
    and ``model.onnx``. Options left out take the architecture's recipe.

    Example: `moviemotion train emotion --data fer2013.csv --arch vgg --epochs 30 -o runs/vgg30`

    Regularized, then distilled from two teachers: `moviemotion train emotion --data fer.npz
    --augment heavy --mixup 0.2 --ema 0.999 --teacher a.onnx --teacher b.onnx -o runs/student`
    """
    from moviemotion.emotion.train import TrainConfig, train
    from moviemotion.learn.distill import Distillation

    if resume and run_dir is None:
        raise InputError("--resume needs --run-dir, the run folder to continue")
    if run_dir is None:
        run_dir = Path("runs") / f"emotion-{arch}-{datetime.now(UTC):%Y%m%d-%H%M%S}"
    args = ["moviemotion", "train", "emotion", "--data", str(data), "--arch", arch]
    for item in arch_arg or []:
        args += ["-A", item]
    for name, value in (("epochs", epochs), ("batch-size", batch_size), ("lr", lr),
                        ("optimizer", optimizer), ("weight-decay", weight_decay),
                        ("label-smoothing", label_smoothing), ("augment", augment),
                        ("schedule", schedule), ("device", device), ("threads", threads)):
        if value is not None:
            args += [f"--{name}", str(value)]
    args += regularization_args(mixup, cutmix, ema) + (["--init", str(init)] if init else [])
    distillation = None
    if teacher:
        distillation = Distillation(tuple(str(t) for t in teacher), alpha, temperature).checked()
        for t in teacher:
            args += ["--teacher", str(t)]
        args += ["--alpha", str(alpha), "--temperature", str(temperature)]
    args += ["--seed", str(seed)] + ([] if amp else ["--no-amp"]) + (["--tta"] if tta else [])
    args += ["-o", str(run_dir)] + (["--resume"] if resume else [])
    cfg = TrainConfig(
        data=str(data), arch=arch, arch_args=parse_arch_args(arch_arg), epochs=epochs,
        batch_size=batch_size, lr=lr, optimizer=optimizer, weight_decay=weight_decay,
        label_smoothing=label_smoothing, augment=augment, schedule=schedule, seed=seed,
        device=device, threads=threads, amp=amp, tta=tta, mixup=mixup, cutmix=cutmix, ema=ema,
        train_split=train_split, val_split=val_split, init=str(init or ""), command=shlex.join(args))
    train(cfg, run_dir, resume=resume, quiet=quiet, distillation=distillation)


def evaluate_emotion_command(
    data: Annotated[Path, typer.Option(help="Faces: fer2013.csv, an image-folder tree or .npz.")],
    model: Annotated[list[Path] | None, typer.Option(
        help="An .onnx model, a .pt checkpoint or a run folder (default: the shipped model); "
             "repeat it to score the ensemble (mean of the models' probabilities).")
    ] = None,
    split: Annotated[str, typer.Option(help="Split to evaluate on.")] = "PublicTest",
    dedup_against: Annotated[str | None, typer.Option(
        help="Also score without faces byte-identical to this split's ('' to skip).")
    ] = "Training",
    tta: Annotated[bool, typer.Option(help="Average ten shifted/mirrored views.")] = False,
    threads: Annotated[int | None, typer.Option(help="Inference threads.")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Folder for evaluation.json, report and confusion matrix PNG.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Score an emotion model: accuracy, macro-F1, per-class precision/recall, confusion
    matrix, on the whole split and without duplicates of training faces.

    Example: `moviemotion evaluate emotion --data fer2013.csv --model runs/vgg30/model.onnx --tta`

    Ensemble: `moviemotion evaluate emotion --data fer.npz --model a.onnx --model b.onnx`
    """
    from moviemotion.emotion.data import load
    from moviemotion.emotion.evaluate import Scores, evaluate, write_report
    from moviemotion.learn.ensemble import average

    fns = [_predict_fn(m, threads) for m in (model or [None])]
    predict = fns[0] if len(fns) == 1 else (lambda x: average([f(x) for f in fns]))
    test = load(data, split)
    reference = load(data, dedup_against) if dedup_against else None
    result = evaluate(predict, test, reference=reference, tta=tta)
    if model and len(model) > 1:
        result["members"] = [str(m) for m in model]
    if out is not None:
        write_report(result, out, title=" + ".join(map(str, model or [])) or "shipped model")
    if as_json:
        typer.echo(json.dumps({k: v.as_dict() if isinstance(v, Scores) else v
                               for k, v in result.items()}, indent=2))
        return
    _print_result(result)


def _predict_fn(model: Path | None, threads: int | None):
    """The model's predict function; any model file problem is a ModelError (exit 4)."""
    from moviemotion.emotion import Predictor
    from moviemotion.errors import ModelError

    if threads is not None and threads < 1:
        raise InputError(f"--threads {threads}: must be at least 1")
    if model is not None and (model.is_dir() or model.suffix == ".pt"):
        import numpy as np
        import torch

        from moviemotion.emotion.evaluate import torch_predict
        from moviemotion.emotion.task import load_checkpoint

        if threads:
            torch.set_num_threads(threads)
        if model.is_dir() and not (model / "best.pt").is_file():
            raise ModelError(f"{model}: not a run folder (no best.pt checkpoint in it)")
        net, _ = load_checkpoint(model / "best.pt" if model.is_dir() else model)
        predict = torch_predict(net)
        if not np.isfinite(predict(np.zeros((2, 48, 48), np.uint8))).all():
            raise ModelError(f"{model}: the model outputs NaN or infinite values "
                             "(a diverged training?)")
        return predict
    return Predictor(model, threads=threads).predict


def _print_result(result: dict) -> None:
    from moviemotion.emotion.labels import EMOTIONS

    for key, label in (("full", "all faces"), ("dedup", "without training duplicates")):
        if key not in result:
            continue
        s = result[key]
        console.print(f"[bold]{result['split']} ({label}, n={s.n}"
                      f"{', TTA' if result['tta'] else ''})[/]: accuracy {s.accuracy:.2%}, "
                      f"macro-F1 {s.macro_f1:.3f}", highlight=False)
        console.print(s.table(EMOTIONS), markup=False, highlight=False)


def ship_emotion_command(
    run_dir: Annotated[Path, typer.Argument(help="A finished run folder (from `train emotion`).")],
    mirror: Annotated[bool, typer.Option(
        help="Re-export the best checkpoint mirror-averaged and score that exact file.")] = False,
    dest: Annotated[Path | None, typer.Option(
        help="Where to install (default: the package's emotion/weights/default.onnx).")] = None,
    int8: Annotated[bool, typer.Option(
        "--int8", help="Ship the model quantized to 8-bit integers (calibrated on 512 training "
        "faces) and score that exact file: several times faster on CPUs.")] = False,
    note: Annotated[str | None, typer.Option(
        help="A line for the model card, e.g. how the run's --init was made.")] = None,
) -> None:
    """Install a finished run's model as the shipped emotion model, with its model card
    (``default.json`` and ``default.md`` beside it: command, data, seed, scores).

    Example: `moviemotion ship emotion runs/vgg32-e45 --mirror --int8`
    """
    from moviemotion.emotion.export import ship

    path = ship(run_dir, dest, mirror=mirror, int8=int8, **({"note": note} if note else {}))
    card = json.loads(path.with_suffix(".json").read_text())
    full = card["metrics"].get("full", {})
    console.print(f"shipped {run_dir} as {path} ({card['val_split']} accuracy "
                  f"{full.get('accuracy', float('nan')):.2%}, mirror-averaged: {mirror}, int8: {int8})",
                  highlight=False)


def register(app: typer.Typer) -> None:
    verb_group(app, "train").command("emotion")(train_emotion_command)
    verb_group(app, "evaluate").command("emotion")(evaluate_emotion_command)
    verb_group(app, "ship").command("emotion")(ship_emotion_command)
