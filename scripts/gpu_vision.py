"""The prepared GPU run of the scene and poster models (docs/scenes.md, docs/posters.md).

Here, first: pack the images to travel (one 53 MB file: scenes at 96 x 96, JPEG q80; train and
val posters as WebP q85, under their own names), and copy the scene checkpoint the poster runs
start from:

    .venv/bin/python scripts/gpu_vision.py --pack ../shared/data --data .gl/gpu6/data
    cp runs/scenes-r96-w24-e30/best.pt .gl/gpu6t/scene_init.pt

a dry run (CPU, a few images, one epoch per run, ~1 min):

    .venv/bin/python scripts/gpu_vision.py --data .gl/gpu6/data --init .gl/gpu6t/scene_init.pt --smoke

then on the GPU machine (device tool: a trimmed tree as in docs/emotion.md, carry
[".gl/gpu6t/data.tar.gz", ".gl/gpu6t/scene_init.pt"], timeout_s 590; $OUT receives the results):

    mkdir -p .gl/gpu6 && tar xzf .gl/gpu6t/data.tar.gz -C .gl/gpu6 &&
    python3 scripts/gpu_vision.py --data .gl/gpu6/data --init .gl/gpu6t/scene_init.pt --budget 445

It starts every training job at once (each a `moviemotion train scenes|poster --stack G` on one
device: G seeds as one stacked network), starts the poster runs warm-started from this run's
own best scene model as soon as that finishes, stops what is still running at the budget
(each stacked member keeps its best epoch), then scores every member's best epoch
(mirror-averaged) on the validation images, chooses a poster ensemble by forward selection
(:func:`moviemotion.learn.ensemble.greedy_selection`, at most --max-members, on the same
validation posters: optimistic) and packs the chosen members, the best scene members, every
member's validation outputs and logs into $OUT (at most 8 files, the device tool's limit).
`--data` is a folder with `scenes/` and `posters/` as in ../shared/data (images may be
re-encoded to travel).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def jobs(data: Path, init: str, smoke: bool) -> list[dict]:
    """(name, command, after) of every training job; `after` names a scene job whose best
    member becomes the job's --init (the job starts when that one ends)."""
    sd, pd = data / "scenes", data / "posters"
    scenes = ["train", "scenes", "--data", str(sd), "--size", "96", "--lr", "0.05"]
    poster = ["train", "poster", "--data", str(pd), "--head", "multilabel", "--arch", "resnet",
              "-A", "width=24", "--height", "160", "--width", "112", "--optimizer", "adam",
              "--lr", "0.002"]
    e_scenes, e_posters = (1, 1) if smoke else (70, 30)
    out = [
        {"name": "scenes-a", "args": scenes + ["-A", "width=24", "--epochs", str(e_scenes),
                                               "--seed", "0", "--stack", "4"]},
        {"name": "scenes-b", "args": scenes + ["-A", "width=24", "--epochs", str(e_scenes),
                                               "--mixup", "0.2", "--ema", "0.999",
                                               "--seed", "10", "--stack", "4"]},
        {"name": "scenes-c", "args": scenes + ["-A", "width=32", "--epochs", str(max(1, e_scenes * 6 // 7)),
                                               "--seed", "20", "--stack", "3"]},
        {"name": "posters-a", "args": poster + ["--epochs", str(e_posters), "--init", init,
                                                "--seed", "100", "--stack", "6"]},
        {"name": "posters-b", "args": poster + ["--epochs", str(e_posters),
                                                "--seed", "200", "--stack", "6"]},
        {"name": "posters-c", "args": poster + ["--epochs", str(e_posters + 10 * (not smoke)), "--init", init,
                                                "--ema", "0.999", "--seed", "300", "--stack", "6"]},
        {"name": "posters-d", "args": poster + ["--epochs", str(e_posters), "--seed", "400",
                                                "--stack", "6"], "after": "scenes-a"},
    ]
    if smoke:
        for j in out:
            j["args"] += (["--limit", "12"] if "scenes" in j["args"] else ["--limit", "40", "--min-count", "3"])
            j["args"] += ["--batch-size", "8"]
            j["args"] = [("width=4" if a in ("width=24", "width=32") else a) for a in j["args"]]
            if "--init" in j["args"]:                   # the given init is no width-4 network
                i = j["args"].index("--init")
                del j["args"][i:i + 2]
    return out


def best_member(run: Path, column: str) -> Path | None:
    """The member folder of a stacked run whose best epoch scores highest in ``column``."""
    from moviemotion.learn.train import read_metrics

    best, best_score = None, -1.0
    for m in sorted(run.glob("s*")):
        if not (m / "best.pt").is_file():
            continue
        rows = read_metrics(m)
        score = max((float(r[column]) for r in rows if r.get(column)), default=-1.0)
        if score > best_score:
            best, best_score = m, score
    return best


def stand_in_for_pyav(work: Path) -> list[str]:
    """The package's command line imports PyAV (video decoding) on start; training needs none
    of it. A GPU machine's image may lack it (the H200's did, 2026-11-28): then an empty
    ``av`` package in ``work/stubs`` lets the training commands start. Returns the extra
    import paths."""
    import importlib.util

    if importlib.util.find_spec("av") is not None:
        return []
    stub = work / "stubs" / "av"
    stub.mkdir(parents=True, exist_ok=True)
    for name in ("__init__.py", "error.py"):
        (stub / name).write_text('"""Stand-in for PyAV on a training-only machine (scripts/gpu_vision.py)."""\n')
    sys.path.insert(0, str(stub.parent))
    return [str(stub.parent)]


def train_all(work: Path, data: Path, init: str, device: str, budget: float, smoke: bool,
              log) -> dict[str, dict]:
    start = time.monotonic()
    pending = jobs(data, init, smoke)
    running: dict[str, tuple[subprocess.Popen, float]] = {}
    state: dict[str, dict] = {}
    paths = stand_in_for_pyav(work) + [str(ROOT)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": os.pathsep.join(paths)}

    def launch(job: dict) -> None:
        args = [sys.executable, "-m", "moviemotion", *job["args"], "--device", device,
                "--threads", "2", "-q", "-o", str(work / job["name"])]
        if job.get("after"):
            member = best_member(work / job["after"], "val_mean_accuracy")
            if member is None:
                state[job["name"]] = {"skipped": f"{job['after']} left no best member"}
                return
            args += ["--init", str(member / "best.pt")]
        f = open(work / f"{job['name']}.log", "w")
        log(f"start {job['name']} at {time.monotonic() - start:.0f}s: {shlex.join(args)}")
        running[job["name"]] = (subprocess.Popen(args, stdout=f, stderr=subprocess.STDOUT, env=env,
                                                 cwd=ROOT), time.monotonic())
        state[job["name"]] = {"command": shlex.join(args)}

    for job in [j for j in pending if not j.get("after")]:
        launch(job)
    waiting = [j for j in pending if j.get("after")]
    while running or waiting:
        time.sleep(1 if smoke else 3)
        for name, (proc, t0) in list(running.items()):
            if proc.poll() is not None:
                state[name].update(rc=proc.returncode, seconds=round(time.monotonic() - t0, 1))
                log(f"end {name}: rc {proc.returncode} after {time.monotonic() - t0:.0f}s")
                del running[name]
        for job in list(waiting):
            dep = job["after"]
            if dep not in running and dep in state:
                waiting.remove(job)
                launch(job)
        if time.monotonic() - start > budget:
            for name, (proc, t0) in running.items():
                proc.terminate()
                state[name].update(rc="stopped at the budget", seconds=round(time.monotonic() - t0, 1))
                log(f"budget: stopped {name}")
            for proc, _ in running.values():
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    proc.kill()
            for job in waiting:
                state[job["name"]] = {"skipped": "budget"}
            break
    return state


def score_members(work: Path, device: str, smoke: bool) -> tuple[dict, dict]:
    """Mirror-averaged validation outputs of every member's best epoch, per kind."""
    import torch

    from moviemotion.content.scene_training import SPLIT_SEED, dataset_scores, load_scene_data
    from moviemotion.learn.onnx import inference_model
    from moviemotion.learn.train import load_checkpoint
    from moviemotion.posters.training import load as load_posters

    outs: dict[str, dict[str, np.ndarray]] = {"scenes": {}, "posters": {}}
    truth: dict[str, np.ndarray] = {}
    cache: dict = {}
    for best in sorted(work.glob("*/s*/best.pt")):
        member = best.parent
        kind = "scenes" if member.parent.name.startswith("scenes") else "posters"
        net, ckpt, task = load_checkpoint(best)
        cfg = ckpt["config"]
        key = (kind, task.input_shape)
        if key not in cache:
            if kind == "scenes":
                d = load_scene_data(cfg["data"], task.input_shape[-1], SPLIT_SEED, train=False,
                                    limit=12 if smoke else None)
                cache[key] = (d.x_val, np.stack([d.y_val, d.d_val], 1))
            else:
                _, _, (x, y) = load_posters(cfg["data"], "multilabel", tuple(task.input_shape[1:]),
                                            genres=task.outputs, limit=40 if smoke else None,
                                            cache_dir=member.parent.parent / ".cache")
                cache[key] = (x, y)
        x, y = cache[key]
        truth[kind] = y
        model = inference_model(net, task, mirror=True).to(device).eval()
        with torch.no_grad():
            out = np.concatenate([model(torch.from_numpy(x[i:i + 256]).float().to(device)).cpu().numpy()
                                  for i in range(0, len(x), 256)])
        outs[kind][f"{member.parent.name}/{member.name}"] = out
    scores: dict[str, dict] = {"scenes": {}, "posters": {}}
    for name, out in outs["scenes"].items():
        y = truth["scenes"]
        scores["scenes"][name] = dataset_scores(out, y[:, 0], y[:, 1])
    from moviemotion.learn.metrics import average_precision

    for name, out in outs["posters"].items():
        scores["posters"][name] = {"mAP": float(np.nanmean(average_precision(truth["posters"], out)))}
    return outs | {"truth": truth}, scores


def pack(src: Path, data: Path) -> Path:
    """Copy the scene and poster data from ``src`` (../shared/data) to ``data`` re-encoded to
    travel (see the module docstring), then tar it as ``data/../../gpu6t/data.tar.gz``."""
    import csv
    import shutil

    import cv2

    def write(img: np.ndarray, dest: Path, ext: str, flag: int, quality: int) -> None:
        ok, buf = cv2.imencode(ext, img, [flag, quality])
        if not ok:
            raise SystemExit(f"{dest}: could not encode")
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(buf.tobytes())

    for ds in ("scene15", "intel6"):
        (data / "scenes" / ds).mkdir(parents=True, exist_ok=True)
        shutil.copy(src / "scenes" / ds / "labels.csv", data / "scenes" / ds / "labels.csv")
        for r in csv.DictReader(open(src / "scenes" / ds / "labels.csv")):
            img = cv2.imread(str(src / "scenes" / ds / r["path"]), cv2.IMREAD_UNCHANGED)
            img = cv2.resize(img, (96, 96), interpolation=cv2.INTER_AREA)
            write(img, data / "scenes" / ds / r["path"], ".jpg", cv2.IMWRITE_JPEG_QUALITY, 80)
    (data / "posters").mkdir(parents=True, exist_ok=True)
    for f in ("train.csv", "val.csv"):                 # never the held-back test posters
        shutil.copy(src / "posters" / f, data / "posters" / f)
        for r in csv.DictReader(open(src / "posters" / f)):
            img = cv2.imread(str(src / "posters" / "images" / f"{r['Id']}.jpg"), cv2.IMREAD_UNCHANGED)
            write(img, data / "posters" / "images" / f"{r['Id']}.jpg", ".webp", cv2.IMWRITE_WEBP_QUALITY, 85)
    dest = data.parent.parent / "gpu6t" / "data.tar.gz"
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(dest, "w:gz", compresslevel=1) as tar:
        tar.add(data, arcname="data")
    return dest


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--init", help="the scene checkpoint the first poster runs start from")
    ap.add_argument("--pack", type=Path, metavar="SRC", help="pack SRC's images into --data and a tar")
    ap.add_argument("--budget", type=float, default=470, help="seconds of training, all jobs")
    ap.add_argument("--device", default=None)
    ap.add_argument("--max-members", type=int, default=7)
    ap.add_argument("--smoke", action="store_true")
    a = ap.parse_args()
    if a.pack:
        print(f"wrote {pack(a.pack, a.data)}")
        return 0
    if not a.init:
        ap.error("--init is needed to train")
    import torch

    device = a.device or ("cuda" if torch.cuda.is_available() else "cpu")
    out = Path(os.environ.get("OUT", "out/gpu_vision"))
    out.mkdir(parents=True, exist_ok=True)
    work = ROOT / ".gl" / f"vision-{time.strftime('%Y%m%d-%H%M%S')}"
    work.mkdir(parents=True)
    logf = open(out / "driver.log", "a")

    def log(msg: str) -> None:
        line = f"{time.strftime('%H:%M:%S')} {msg}"
        print(line, flush=True)
        logf.write(line + "\n")
        logf.flush()

    log(f"device {device}, torch {torch.__version__}, budget {a.budget}s, work {work}")
    state = train_all(work, a.data, a.init, device, a.budget, a.smoke, log)
    summary: dict = {"jobs": state}
    try:
        outs, scores = score_members(work, device, a.smoke)
        summary["scores"] = scores
        from moviemotion.learn.ensemble import greedy_selection
        from moviemotion.learn.metrics import average_precision

        names = sorted(outs["posters"])
        if names:
            y = outs["truth"]["posters"]
            chosen, history = greedy_selection(
                [outs["posters"][n] for n in names],
                lambda p: float(np.nanmean(average_precision(y, p))), a.max_members)
            summary["poster_ensemble"] = {"members": [names[i] for i in chosen], "mAP_after_each": history}
            log(f"poster ensemble {[names[i] for i in chosen]}: mAP {history}")
        ranked = sorted(scores["scenes"], key=lambda n: -scores["scenes"][n]["mean_accuracy"])
        summary["scene_ranking"] = [(n, scores["scenes"][n]) for n in ranked]
        np.savez_compressed(out / "val_outputs.npz", **{f"{k}:{n}": v for k in ("scenes", "posters")
                                                          for n, v in outs[k].items()},
                            **{f"truth:{k}": v for k, v in outs["truth"].items()})
        picks = [summary.get("poster_ensemble", {}).get("members", []), ranked[:3]]
        for label, members in (("posters", picks[0][:4]), ("posters2", picks[0][4:]),
                               ("scenes", picks[1])):
            if members:
                with tarfile.open(out / f"{label}_members.tar", "w") as tar:
                    for m in members:
                        for f in ("best.pt", "config.json", "metrics.csv"):
                            if (work / m / f).is_file():
                                tar.add(work / m / f, arcname=f"{m}/{f}")
    except Exception as exc:  # keep the logs whatever happened
        import traceback

        summary["error"] = traceback.format_exc()
        log(f"scoring failed: {exc!r}")
    with tarfile.open(out / "logs.tar.gz", "w:gz") as tar:
        for f in work.glob("*.log"):
            tar.add(f, arcname=f.name)
        for f in work.glob("*/s*/*"):
            if f.name in ("metrics.csv", "config.json", "evaluation.json"):
                tar.add(f, arcname=str(f.relative_to(work)))
    (out / "summary.json").write_text(json.dumps(summary, indent=1, default=str))
    log("done")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
