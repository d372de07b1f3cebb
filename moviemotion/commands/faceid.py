"""Face-verification commands: ``moviemotion train faceid``, ``moviemotion ship faceid`` and
``moviemotion faceid A B`` (similarity of two face crops)."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated

import typer

from moviemotion.commands.emotion import parse_arch_args, verb_group
from moviemotion.progress import console


def faceid_command(
    first: Annotated[Path, typer.Argument(help="A face crop (image file).")],
    second: Annotated[Path, typer.Argument(help="Another face crop.")],
    model: Annotated[Path | None, typer.Option(help="An .onnx face embedding (default: shipped).")] = None,
) -> None:
    """Whether two face crops show the same person: cosine similarity of their embeddings
    and the decision at the shipped threshold (exit 0 either way).

    Example: `moviemotion faceid seat1.png seat2.png`
    """
    from moviemotion.faceid.data import read_face
    from moviemotion.faceid.verifier import FaceVerifier

    faces = [read_face(first, None), read_face(second, None)]
    v = FaceVerifier(model)
    e = v.embed(faces)
    sim = v.similarity(e[0], e[1])
    typer.echo(f"similarity {sim:.3f} (threshold {v.threshold:.3f}): "
               f"{'same person' if sim >= v.threshold else 'different people'}")


def train_faceid_command(
    data: Annotated[Path, typer.Option(help="Face folder with labels.csv (path,identity).")],
    run_dir: Annotated[Path, typer.Option("--run-dir", "-o", help="Run folder.")] = Path("runs/faceid"),
    arch: Annotated[str, typer.Option(help="Architecture (moviemotion.learn.archs).")] = "vgg",
    arch_arg: Annotated[list[str] | None, typer.Option(
        "--arch-arg", "-A", help="Architecture option KEY=VALUE (repeatable), e.g. width=16.")] = None,
    dim: Annotated[int, typer.Option(min=2, help="Embedding dimensions.")] = 64,
    margin: Annotated[float, typer.Option(min=0.0, max=2.0, help="Triplet margin (unit vectors).")] = 0.2,
    epochs: Annotated[int | None, typer.Option(help="Epochs (default: the recipe's).")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Batch size (several faces per identity).")] = None,
    lr: Annotated[float | None, typer.Option(help="Peak learning rate.")] = None,
    optimizer: Annotated[str | None, typer.Option(help="sgd or adam.")] = None,
    augment: Annotated[str | None, typer.Option(help="none, flip, light or strong (default light).")] = None,
    seed: Annotated[int, typer.Option(help="Random seed (also of the identity split).")] = 0,
    device: Annotated[str, typer.Option(help="cpu, cuda or cuda:N.")] = "cpu",
    threads: Annotated[int | None, typer.Option(help="CPU threads for torch.")] = None,
    limit: Annotated[int | None, typer.Option(min=2, help="About N training faces (a quick test).")] = None,
    preprocess: Annotated[str, typer.Option(help="Lighting normalization: tan-triggs or equalize.")] = "tan-triggs",
    size: Annotated[str, typer.Option(help="Model input HEIGHTxWIDTH.")] = "64x56",
    resume: Annotated[bool, typer.Option(help="Continue the run in --run-dir.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
) -> None:
    """Train the face embedding with the triplet loss (semi-hard negatives), identities split
    into train / val (best epoch) / test (reported): test.json, baselines.json (raw-pixel
    cosine on the same pairs), split.json and the kit's run files.

    Example: `moviemotion train faceid --data yaleb_cropped/ -A width=16 --epochs 40 -o runs/faceid`
    """
    from moviemotion.faceid.training import train_faceid
    from moviemotion.learn.train import TrainConfig

    args = ["moviemotion", "train", "faceid", "--data", str(data), "--arch", arch]
    for item in arch_arg or []:
        args += ["-A", item]
    for name, v in (("--dim", dim if dim != 64 else None), ("--margin", margin if margin != 0.2 else None),
                    ("--epochs", epochs), ("--batch-size", batch_size), ("--lr", lr),
                    ("--optimizer", optimizer), ("--augment", augment), ("--seed", seed or None),
                    ("--device", None if device == "cpu" else device), ("--threads", threads),
                    ("--limit", limit), ("--preprocess", preprocess), ("--size", size)):
        if v is not None:
            args += [name, str(v)]
    args += ["-o", str(run_dir)] + (["--resume"] if resume else [])
    cfg = TrainConfig(data=str(data), arch=arch, arch_args=parse_arch_args(arch_arg), epochs=epochs,
                      batch_size=batch_size, lr=lr, optimizer=optimizer, augment=augment, seed=seed,
                      device=device, threads=threads, command=shlex.join(args))
    from moviemotion.errors import InputError
    from moviemotion.faceid.illumination import PREPROCESS

    if preprocess not in PREPROCESS:
        raise InputError(f"--preprocess {preprocess}: expected one of {', '.join(PREPROCESS)}")
    try:
        h, w = (int(v) for v in size.lower().split("x"))
        assert 8 <= h <= 512 and 8 <= w <= 512
    except (ValueError, AssertionError):
        raise InputError(f"--size {size}: expected HEIGHTxWIDTH, 8..512 each, e.g. 64x56") from None
    train_faceid(data, run_dir, cfg, dim=dim, margin=margin, size=(h, w), limit=limit, resume=resume,
                 quiet=quiet, preprocess=preprocess)


def ship_faceid_command(
    run_dir: Annotated[Path, typer.Argument(help="A finished run folder (from `train faceid`).")],
    dest: Annotated[Path | None, typer.Option(
        help="Where to install (default: the package's faceid/weights/faceid.onnx).")] = None,
    fusion: Annotated[bool, typer.Option(
        help="Fuse the CNN with Fisherfaces fitted on the training identities, the CNN's "
             "weight chosen on the validation identities (--no-fusion: the CNN alone).")] = True,
) -> None:
    """Install a finished face-embedding run as the shipped model, with its model card and the
    decision threshold (the validation identities' equal-error point) in its metadata.

    Example: `moviemotion ship faceid runs/faceid`
    """
    from moviemotion.faceid.training import ship

    path = ship(run_dir, dest, fusion=fusion)
    console.print(f"shipped {run_dir} as {path}", highlight=False, markup=False)


def train_facecheck_command(
    data: Annotated[Path, typer.Option(
        help="The shared data folder (faces/yaleb_cropped, fer2013_train_public.npz, scenes/).")],
    run_dir: Annotated[Path, typer.Option("--run-dir", "-o", help="Run folder.")] = Path("runs/facecheck"),
    frames: Annotated[int, typer.Option(min=10, help="Face-scene frames whose candidates are learnt from.")] = 800,
    photos: Annotated[int, typer.Option(min=10, help="Photos of places (negatives) whose candidates are learnt from.")] = 3000,
    val_frames: Annotated[int, typer.Option(min=10, help="New frames the p(face) threshold is chosen on.")] = 200,
    max_fp: Annotated[float, typer.Option(min=0.0, help="False positives per frame allowed at width 640.")] = 0.05,
    arch_arg: Annotated[list[str] | None, typer.Option(
        "--arch-arg", "-A", help="vgg option KEY=VALUE (repeatable).")] = None,
    epochs: Annotated[int, typer.Option(min=1, help="Epochs.")] = 8,
    lr: Annotated[float, typer.Option(help="Peak learning rate (SGD).")] = 0.05,
    seed: Annotated[int, typer.Option(help="Random seed (data, split, training).")] = 0,
    threads: Annotated[int | None, typer.Option(help="CPU threads for torch.")] = None,
    resume: Annotated[bool, typer.Option(help="Continue the run in --run-dir.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
) -> None:
    """Train the face detector's second look: a small CNN that says face or not for CenterFace's
    weak candidates (32x32 luma patches), from faces pasted on backdrops (training-side faces
    only) and photos of places; then choose its p(face) threshold on new frames.

    Example: `moviemotion train facecheck --data ../shared/data -o runs/facecheck`
    """
    from moviemotion.faceid.facecheck import train_facecheck
    from moviemotion.learn.train import TrainConfig

    args = ["moviemotion", "train", "facecheck", "--data", str(data)]
    for item in arch_arg or []:
        args += ["-A", item]
    for name, v, default in (("--frames", frames, 800), ("--photos", photos, 3000),
                             ("--val-frames", val_frames, 200), ("--max-fp", max_fp, 0.05),
                             ("--epochs", epochs, 8), ("--lr", lr, 0.05), ("--seed", seed, 0),
                             ("--threads", threads, None)):
        if v != default:
            args += [name, str(v)]
    args += ["-o", str(run_dir)] + (["--resume"] if resume else [])
    arch_args = {"width": 8, "depths": (1, 1, 1, 1), **parse_arch_args(arch_arg)}
    cfg = TrainConfig(data=str(data), arch="vgg", arch_args=arch_args, epochs=epochs, lr=lr,
                      batch_size=128, seed=seed, threads=threads, command=shlex.join(args))
    train_facecheck(data, run_dir, cfg, frames=frames, photos=photos, val_frames=val_frames,
                    max_fp=max_fp, resume=resume, quiet=quiet)


def ship_facecheck_command(
    run_dir: Annotated[Path, typer.Argument(help="A finished run folder (from `train facecheck`).")],
    dest: Annotated[Path | None, typer.Option(
        help="Where to install (default: the package's faces/weights/facecheck.onnx).")] = None,
) -> None:
    """Install a finished face-check run as the detector's shipped second look, with its model
    card (validation scores, the chosen p(face) threshold and its operating points).

    Example: `moviemotion ship facecheck runs/facecheck`
    """
    from moviemotion.faceid.facecheck import ship

    path = ship(run_dir, dest)
    console.print(f"shipped {run_dir} as {path}", highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    app.command("faceid")(faceid_command)
    verb_group(app, "train").command("faceid")(train_faceid_command)
    verb_group(app, "ship").command("faceid")(ship_faceid_command)
    verb_group(app, "train").command("facecheck")(train_facecheck_command)
    verb_group(app, "ship").command("facecheck")(ship_facecheck_command)
