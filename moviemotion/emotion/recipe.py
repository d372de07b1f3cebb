"""The GPU recipe towards 73 %: teachers trained side by side, their ensemble, one distilled student.

One command, sized to a wall-clock budget, that always finishes and writes what it has:

1. decode ``fer2013_train_public.webp.npz`` (lossless WebP faces) into a plain ``.npz``;
2. train the teachers concurrently, one process each on the one device (``--teachers``
   ``arch:key=value:...`` specs; each first times two probe epochs, then takes as many epochs
   as fit before the teachers' deadline, so the cosine schedule runs to its end);
3. install each teacher mirror-averaged with its card, score the ensemble of them;
4. distill the student (``--student``, by default a vgg of width 40, within the issue's speed
   budget, fine-tuned from the teacher of the same architecture) from the teachers'
   mirror-averaged probabilities, ship it mirror-averaged with its card;
5. write ``OUT/summary.json`` (every score: PublicTest full and de-duplicated, macro-F1,
   epochs, seconds), ``OUT/emotion-student.onnx`` + ``.json`` + ``.md``,
   ``OUT/runs.tar.gz`` (configs, metrics, cards and teacher models) and
   ``OUT/checkpoints-K.tar`` (the student's and, as they fit, the teachers' ``best.pt``).

A process still running at its deadline is stopped; its best epoch so far is used.

    python -m moviemotion.emotion.recipe --data fer.webp.npz --out OUT --device cuda --budget 500
    python -m moviemotion.emotion.recipe --data fer.webp.npz --out OUT --smoke     # CPU dry run
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import numpy as np

DEFAULT_TEACHERS = ("vgg:width=64:seed=2:augment=strong",
                    "vgg:width=64:seed=3:augment=heavy",
                    "vgg:width=48:depths=[2,2,2,2]:seed=4:augment=strong",
                    "vgg:width=40:seed=5:augment=strong:name=warm")
#: The student: the largest vgg within the issue's speed budget (width 40 scores ~0.6x the
#: faces/s of the shipped width 32 on 2 CPU threads; 44 ~0.49x), fine-tuned from the ``warm``
#: teacher (the same architecture, trained on the labels) on the ensemble's soft targets.
DEFAULT_STUDENT = "vgg:width=40:seed=7:augment=strong:lr=0.02:init=warm"
TRAIN_KEYS = {"seed": int, "epochs": int, "batch_size": int, "lr": float, "augment": str,
              "mixup": float, "cutmix": float, "ema": float, "weight_decay": float,
              "label_smoothing": float, "init": str}
MAX_OUT_FILE = 15 * 2**20


def decode_webp_npz(sources: list[Path], dest: str | Path) -> Path:
    """``blob``/``offsets`` WebP faces (one file, or the parts :func:`split_webp_npz` wrote,
    in order) -> our ``.npz`` (``x``, ``y``, ``split``); one plain .npz is used as it is."""
    import cv2

    from moviemotion.io import atomic_path

    xs, ys, splits = [], [], []
    for src in map(Path, sources):
        with np.load(src, allow_pickle=False) as d:
            if "blob" not in d.files:
                if len(sources) == 1:
                    return src
                xs.append(d["x"])
            else:
                blob, off = d["blob"], d["offsets"]
                xs.append(np.stack([cv2.imdecode(blob[off[i]:off[i + 1]], cv2.IMREAD_GRAYSCALE)
                                    for i in range(len(off) - 1)]))
            ys.append(d["y"])
            splits.append(d["split"])
    with atomic_path(Path(dest)) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, x=np.concatenate(xs), y=np.concatenate(ys), split=np.concatenate(splits))
    return Path(dest)


def split_webp_npz(src: Path, dest_dir: Path, parts: int = 2) -> list[Path]:
    """Cut a WebP ``.npz`` into ``parts`` files of consecutive faces (each a valid WebP .npz),
    for copying to a machine in several transfers under a size limit."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    out = []
    with np.load(src, allow_pickle=False) as d:
        blob, off, y, split = d["blob"], d["offsets"], d["y"], d["split"]
        bounds = np.linspace(0, len(y), parts + 1).astype(int)
        for k, (a, b) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
            path = dest_dir / f"{src.name.removesuffix('.npz')}.part{k + 1}of{parts}.npz"
            np.savez(path, blob=blob[off[a]:off[b]], offsets=off[a:b + 1] - off[a], y=y[a:b],
                     split=split[a:b], classes=d["classes"])
            out.append(path)
    return out


def subset(src: Path, dest: Path, n_train: int, n_val: int) -> Path:
    """A seeded random ``n_train`` Training and ``n_val`` PublicTest faces (smoke runs)."""
    rng = np.random.default_rng(0)
    with np.load(src) as d:
        keep = np.sort(np.concatenate([
            rng.permutation(np.flatnonzero(d["split"] == 0))[:n_train],
            rng.permutation(np.flatnonzero(d["split"] == 1))[:n_val]]))
        np.savez(dest, x=d["x"][keep], y=d["y"][keep], split=d["split"][keep])
    return dest


def split_specs(text: str) -> list[str]:
    """``--teachers`` -> specs: commas separate them, except inside brackets (``depths=[2,2]``)."""
    return [t for t in re.split(r",(?![^\[]*\])", text) if t]


def parse_spec(spec: str) -> dict:
    """``vgg:width=48:seed=1:mixup=0.2`` -> {arch, arch_args, training options}. ``name=N``
    names the run (default ``teacherI``); ``init=N`` warm-starts from run ``N``'s best epoch
    (or from a checkpoint path); ``stack=G`` trains G such runs (seeds ``seed`` .. ``seed+G-1``,
    named ``N0`` .. ``N{G-1}``) at once as one stacked network in one process
    (:func:`moviemotion.emotion.train.train_stack`)."""
    from moviemotion.errors import InputError

    arch, *items = spec.split(":")
    out: dict = {"arch": arch, "arch_args": {}}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep:
            raise InputError(f"model spec {spec!r}: {item!r} is not key=value")
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            value = text
        if key == "name":
            out["name"] = str(value)
        elif key == "stack":
            out["stack"] = int(value)
        elif key in TRAIN_KEYS:
            out[key] = TRAIN_KEYS[key](value)
        else:
            out["arch_args"][key] = value
    if not arch:
        raise InputError(f"model spec {spec!r}: expected ARCH[:key=value...]")
    return out


def cli_command(data: str, run_dir: Path, spec: dict, common: dict, teachers=()) -> str:
    """The ``moviemotion train emotion`` command equivalent to a worker's run."""
    args = ["moviemotion", "train", "emotion", "--data", data, "--arch", spec["arch"]]
    for k, v in spec["arch_args"].items():
        args += ["-A", f"{k}={v if isinstance(v, str) else json.dumps(v, separators=(',', ':'))}"]
    for k, v in {**common, **{k: v for k, v in spec.items() if k in TRAIN_KEYS}}.items():
        if k not in ("teachers", "alpha", "temperature", "epochs") and v not in (None, 0, 0.0):
            args += [f"--{k.replace('_', '-')}", str(v)]
    for t in teachers:
        args += ["--teacher", str(t)]
    if teachers:
        args += ["--alpha", str(common["alpha"]), "--temperature", str(common["temperature"])]
    return shlex.join(args + ["-q", "-o", str(run_dir)])


def worker(job: dict) -> None:
    """One training run sized to ``job['deadline']``: two timed probe epochs, then the run."""
    import shutil

    from moviemotion.emotion.train import TrainConfig, train, train_stack
    from moviemotion.learn.distill import Distillation
    from moviemotion.learn.train import read_metrics

    opts = {k: job[k] for k in ("data", "arch", "arch_args", "device", "threads", "seed",
                                "batch_size", "lr", "augment", "mixup", "cutmix", "ema",
                                "weight_decay", "label_smoothing", "init")
            if job.get(k) is not None}
    distillation = (Distillation(tuple(job["teachers"]), job["alpha"], job["temperature"])
                    if job.get("teachers") else None)
    run_dir = Path(job["run_dir"])
    run_dirs = [Path(d) for d in job.get("run_dirs", [run_dir])]
    probe = run_dir.parent / (run_dir.name + "-probe")
    t0 = time.time()
    shutil.rmtree(probe, ignore_errors=True)
    seed = opts.pop("seed", 0)

    def run(epochs: int, dirs: list[Path], commands: list[str] | None = None) -> None:
        commands = commands or [""] * len(dirs)
        if len(dirs) == 1:
            train(TrainConfig(**opts, seed=seed, epochs=epochs, command=commands[0]), dirs[0],
                  quiet=True, distillation=distillation)
        else:
            train_stack([TrainConfig(**opts, seed=seed + g, epochs=epochs, command=command)
                         for g, command in enumerate(commands)], dirs, quiet=True)

    # Two probe epochs, timed by the faster: the first is slow while the device warms up (on an
    # H200, 7 s against 2.6 s for a width-40 vgg, which sized a run 3x too short).
    probes = [probe] if len(run_dirs) == 1 else [probe / f"{g}" for g in range(len(run_dirs))]
    run(2, probes)
    seconds = [float(r["seconds"]) for r in read_metrics(probes[0])]
    epoch_s = min(seconds) * 1.1
    setup_s = time.time() - t0 - sum(seconds)       # data, probabilities, evaluation, export
    left = job["deadline"] - time.time() - setup_s
    epochs = int(max(1, min(job["max_epochs"], left // max(epoch_s, 1e-3))))
    print(f"{run_dir.name}: {epoch_s:.2f} s/epoch -> {epochs} epochs", flush=True)
    run(epochs, run_dirs, [c.replace(" -q -o ", f" --epochs {epochs} -q -o ")
                           for c in job.get("commands") or [job["command"]]])


def launch(jobs: list[dict], work: Path) -> list[tuple]:
    """Start ``jobs`` in worker processes (logs in ``work/NAME.log``)."""
    procs = []
    for job in jobs:
        spec = work / f"{Path(job['run_dir']).name}.job.json"
        spec.write_text(json.dumps(job))
        log = open(work / f"{Path(job['run_dir']).name}.log", "w")  # noqa: SIM115
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        procs.append((job, log, time.time(), subprocess.Popen(
            [sys.executable, "-m", "moviemotion.emotion.recipe", "--worker", str(spec)],
            stdout=log, stderr=subprocess.STDOUT, env=env)))
    return procs


def wait(procs: list[tuple]) -> dict[str, float]:
    """Wait for :func:`launch`'s workers; stop those still running 20 s after their deadline
    and finish them from their best epoch. Returns seconds per job."""
    from moviemotion.emotion.train import finish

    seconds = {}
    for job, log, started, proc in procs:
        try:
            proc.wait(timeout=max(1.0, job["deadline"] + 20 - time.time()))
        except subprocess.TimeoutExpired:
            proc.terminate()
            proc.wait()
        log.close()
        seconds[Path(job["run_dir"]).name] = time.time() - started
        for run_dir in map(Path, job.get("run_dirs", [job["run_dir"]])):
            if (run_dir / "best.pt").is_file() and not (run_dir / "model.onnx").is_file():
                finish(run_dir)                 # stopped early: its best epoch so far
    return seconds


def run_parallel(jobs: list[dict], work: Path) -> dict[str, float]:
    """Run ``jobs`` in worker processes until they end or their deadline (:func:`wait`)."""
    return wait(launch(jobs, work))


def scores_of(result: dict) -> dict:
    return {k: {"n": v.n, "accuracy": v.accuracy, "macro_f1": v.macro_f1}
            for k, v in result.items() if hasattr(v, "accuracy")}


def _resolve_init(spec: dict, work: Path) -> dict:
    """``init=NAME`` of another run of this recipe -> that run's ``best.pt``."""
    init = spec.get("init")
    if init and not Path(init).suffix and "/" not in init:
        spec = {**spec, "init": str(work / init / "best.pt")}
    return spec


def recipe(data: list[Path], out: Path, work: Path, *, device: str, budget: float,
           teachers: list[str], student: str, common: dict, smoke: bool,
           teacher_share: float = 0.6) -> dict:
    from moviemotion.emotion.data import load
    from moviemotion.emotion.evaluate import evaluate, write_report
    from moviemotion.emotion.export import ship
    from moviemotion.learn.ensemble import Ensemble

    start = time.time()
    deadline = start + budget
    work.mkdir(parents=True, exist_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    npz = decode_webp_npz(data, work / "fer2013.npz")
    if smoke:
        npz = subset(npz, work / "fer2013-smoke.npz", 300, 150)
    train_set, test = load(npz, "Training"), load(npz, "PublicTest")
    summary: dict = {"data": [d.name for d in data], "device": device, "budget_s": budget, "smoke": smoke,
                     "teachers": {}, "common": common}
    n_cpu = os.cpu_count() or 2
    threads = max(1, n_cpu // max(1, len(teachers)))
    base = {"data": str(npz), "device": device, "threads": threads,
            "max_epochs": 1 if smoke else common.get("epochs", 300)}
    train_opts = {k: v for k, v in common.items() if k in TRAIN_KEYS and k != "epochs"}
    jobs = []
    for i, text in enumerate(teachers):
        spec = _resolve_init(parse_spec(text), work)
        name, size = spec.pop("name", f"teacher{i}"), spec.pop("stack", 1)
        run_dirs = [work / name] if size == 1 else [work / f"{name}{g}" for g in range(size)]
        run_dir = run_dirs[0]
        commands = [cli_command(str(npz), d, {**spec, "seed": spec.get("seed", 0) + g},
                                {**train_opts, "device": device}) for g, d in enumerate(run_dirs)]
        jobs.append({**base, **train_opts, **spec, "spec": text,
                     "run_dir": str(run_dir), "run_dirs": [str(d) for d in run_dirs],
                     "deadline": start + teacher_share * budget, "commands": commands})
    summary["teacher_seconds"] = run_parallel(jobs, work)
    every = [(Path(d), j["spec"]) for j in jobs for d in j["run_dirs"]]
    trained = [d for d, _ in every if (d / "model.onnx").is_file()]
    if not trained:
        raise SystemExit("no teacher finished; see the logs in " + str(work))
    # the student, distilled from the teachers' checkpoints (mirror-averaged, on the device),
    # trains while the teachers are exported and scored here (``--student none``: no student)
    student_proc = None
    if student and student != "none":
        spec = _resolve_init(parse_spec(student), work)
        spec.pop("name", None)
        spec.pop("stack", None)
        run_dir = work / "student"
        if spec.get("init") and not Path(spec["init"]).is_file():
            print(f"student: no {spec['init']} (that run failed); starting from scratch", flush=True)
            spec.pop("init")
        teacher_files = [str(m / "best.pt") for m in trained]
        sjob = {**base, **train_opts, **spec, "threads": 2, "run_dir": str(run_dir),
                "deadline": deadline - 45, "teachers": teacher_files,
                "alpha": common["alpha"], "temperature": common["temperature"],
                "command": cli_command(str(npz), run_dir, spec, {**train_opts, **common, "device": device},
                                       teacher_files)}
        student_proc = launch([sjob], work)
    for run_dir, text in every:
        if run_dir not in trained:
            log = work / f"{run_dir.name}.log"
            summary["teachers"][run_dir.name] = {"failed": log.read_text()[-600:] if log.is_file()
                                                 else "no model (see the stack's log)"}
            continue
        dest = ship(run_dir, work / "teachers" / f"{run_dir.name}.onnx", mirror=True)
        card = json.loads(dest.with_suffix(".json").read_text())
        summary["teachers"][run_dir.name] = {"spec": text, "seed": card.get("seed"),
                                             "epochs": card["epochs"], "best_epoch": card["best_epoch"],
                                             "mirror": card["metrics"]}
    ensemble = Ensemble([work / "teachers" / f"{m.name}.onnx" for m in trained])
    result = evaluate(ensemble.predict, test, reference=train_set)
    write_report(result, work / "ensemble", title=f"ensemble of {len(trained)} (mirror-averaged)")
    summary["ensemble"] = scores_of(result)
    print(f"ensemble of {len(trained)}: PublicTest {result['full'].accuracy:.4f}", flush=True)
    if student_proc is not None:
        summary["student_seconds"] = wait(student_proc)["student"]
        run_dir = work / "student"
        if (run_dir / "model.onnx").is_file():
            dest = ship(run_dir, out / "emotion-student.onnx", mirror=True,
                        distillation=json.loads((run_dir / "distill.json").read_text()),
                        teachers=summary["teachers"], ensemble=summary["ensemble"])
            card = json.loads(dest.with_suffix(".json").read_text())
            summary["student"] = {"spec": student, "epochs": card["epochs"],
                                  "best_epoch": card["best_epoch"], "mirror": card["metrics"],
                                  "bytes": dest.stat().st_size}
        else:
            summary["student"] = {"failed": (work / "student.log").read_text()[-600:]}
    summary["seconds"] = time.time() - start
    return summary


def pack(work: Path, out: Path) -> Path:
    """``OUT/runs.tar.gz``: configs, metrics, reports, cards, logs and, smallest first while the
    archive stays under 15 MiB, the teachers' mirror-averaged models; no checkpoints, no data."""
    dest = out / "runs.tar.gz"
    small = [p for p in sorted(work.rglob("*")) if p.is_file() and p.suffix not in
             (".pt", ".npz", ".onnx")]
    models = sorted((work / "teachers").glob("*.onnx"), key=lambda p: p.stat().st_size)
    for n in range(len(models), -1, -1):
        with tarfile.open(dest, "w:gz") as tar:
            for p in small + models[:n]:
                tar.add(p, arcname=str(p.relative_to(work)))
        if dest.stat().st_size <= MAX_OUT_FILE:
            break
    return dest


def pack_checkpoints(work: Path, out: Path, files_max: int = 3) -> list[Path]:
    """``OUT/checkpoints-K.tar`` (at most ``files_max`` files, each under 15 MiB): the student's
    ``best.pt``, then the teachers', smallest first, as they fit, so that a later call (or
    this machine) can warm-start (``init=``), distil from them or export them."""
    files = sorted((f for f in work.glob("*/best.pt") if not f.parent.name.endswith("-probe")),
                   key=lambda f: (f.parent.name != "student", f.stat().st_size))
    tars: list[list[Path]] = [[]]
    total = 0
    for f in files:
        size = f.stat().st_size
        if size > MAX_OUT_FILE:
            continue
        if total + size > MAX_OUT_FILE:
            if len(tars) == files_max:
                break
            tars.append([])
            total = 0
        tars[-1].append(f)
        total += size
    written = []
    for k, keep in enumerate(t for t in tars if t):
        dest = out / f"checkpoints-{k + 1}.tar"
        with tarfile.open(dest, "w") as tar:
            for f in keep:
                tar.add(f, arcname=f"{f.parent.name}/best.pt")
        written.append(dest)
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m moviemotion.emotion.recipe", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, nargs="+", help="fer2013_train_public(.webp).npz "
                    "(or its parts from --split-data, in order)")
    ap.add_argument("--split-data", type=Path, help="cut this WebP .npz into --parts files "
                    "in --work, then exit")
    ap.add_argument("--parts", type=int, default=2)
    ap.add_argument("--out", type=Path, help="where the results go ($OUT)")
    ap.add_argument("--work", type=Path, default=Path(".gl/recipe"), help="run folders")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--budget", type=float, default=500.0, help="wall-clock seconds in all")
    ap.add_argument("--teachers", default=",".join(DEFAULT_TEACHERS))
    ap.add_argument("--student", default=DEFAULT_STUDENT, help="a model spec, or none")
    ap.add_argument("--teacher-share", type=float, default=0.6,
                    help="share of the budget for the teachers (the student gets the rest)")
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--ema", type=float, default=0.999)
    ap.add_argument("--epochs", type=int, default=300, help="at most this many per run")
    ap.add_argument("--alpha", type=float, default=0.3)
    ap.add_argument("--temperature", type=float, default=4.0)
    ap.add_argument("--checkpoint-files", type=int, default=3,
                    help="at most this many OUT/checkpoints-K.tar (15 MiB each)")
    ap.add_argument("--smoke", action="store_true", help="tiny subset, 1 epoch, CPU")
    ap.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.worker:
        worker(json.loads(a.worker.read_text()))
        return 0
    if a.split_data:
        for path in split_webp_npz(a.split_data, a.work, a.parts):
            print(path, path.stat().st_size)
        return 0
    if a.data is None or a.out is None:
        ap.error("--data and --out are needed")
    teachers = split_specs(a.teachers)
    student = a.student
    if a.smoke:
        a.device = "cpu"
        # two small teachers (the first, and the one the student starts from), one epoch each
        init = parse_spec(student).get("init")
        keep = teachers[:1] + [t for t in teachers[1:] if parse_spec(t).get("name") == init][:1]
        teachers = [re.sub(r"width=\d+", "width=8", t) for t in (keep if len(keep) > 1 else teachers[:2])]
        student = (re.sub(r"width=\d+", "width=8", student) if "width=" in student
                   else student.replace(":", ":width=8:", 1))
    common = {"batch_size": a.batch_size, "lr": a.lr, "ema": a.ema, "epochs": a.epochs,
              "alpha": a.alpha, "temperature": a.temperature}
    summary = recipe(a.data, a.out, a.work, device=a.device, budget=a.budget, teachers=teachers,
                     student=student, common=common, smoke=a.smoke, teacher_share=a.teacher_share)
    (a.out / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    pack(a.work, a.out)
    pack_checkpoints(a.work, a.out, a.checkpoint_files)
    print(json.dumps({k: summary.get(k) for k in ("ensemble", "student", "seconds")},
                     indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
