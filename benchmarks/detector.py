"""Face detectors compared on the same frames: recall, false positives, ms per 640x480 frame.

    python benchmarks/detector.py [--frames 300] [--seed 0] [--detectors haar,centerface]
                                  [--widths 320,640] [--threads 1]

Frames are 640x480, built in code from real held-out faces (Extended Yale B crops of people
29-39 under 64 lightings; FER2013 PublicTest faces: natural expressions and turns; the face
check of CenterFace learnt from the other people and the Training split) pasted on textured, shaded
backdrops (see :func:`moviemotion.samples.faces.face_scene`): "seat" frames with one face
of 20-60 % of the height (flipped, turned, rolled), "wide" shots with 3-6 faces of 8-16 %,
and "empty" frames, all randomly relit. Needs ``../shared/data`` (faces are never shipped).

A detection is right when it overlaps a true face with IoU >= 0.3 (one detection per face,
matched by the Hungarian method); every other detection is a false positive. Detectors see
the frame as luma, as the audience job gives it to them. Prints recall per shot kind and face
source, false positives per frame and per empty frame, and the detection time per frame
(median wall-clock and CPU ms, one thread each, measured in this run: on a busy machine
trust the CPU ms). Target: recall >= 95 % on real photos with
few false positives.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2
import numpy as np

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"


def load_faces(data: Path, n: int, seed: int) -> dict[str, list[np.ndarray]]:
    """``n`` random held-out Yale B crops (people 29-39, all lightings) and ``n`` held-out
    FER2013 faces (PublicTest, all classes): none of them was seen by the face check."""
    from moviemotion.faceid.facecheck import face_pool

    return face_pool(data, "held-out", n, seed)


def make_frames(faces: dict[str, list[np.ndarray]], n: int, seed: int):
    """``n`` frames: 50 % seat, 35 % wide, 15 % empty; each frame's faces from one source."""
    from moviemotion.faceid.facecheck import scene_frames

    return scene_frames(faces, n, seed)


def match(truth: np.ndarray, found: np.ndarray, min_iou: float = 0.3) -> tuple[int, int]:
    """(true faces found, false positives) of one frame at IoU >= ``min_iou`` (one detection
    per face, Hungarian matching: :func:`moviemotion.faceid.facecheck.match`)."""
    from moviemotion.faceid.facecheck import match as matched

    hits = int(matched(truth, found, min_iou).sum())
    return hits, len(found) - hits


def evaluate(detector, frames) -> dict:
    """Recall per kind/source, false positives and timing of ``detector`` on ``frames``."""
    per = {}
    times, cpu, fp_all, fp_empty, n_empty = [], [], 0, 0, 0
    for fr in frames:
        t0, c0 = time.perf_counter(), time.process_time()
        found = detector.detect(fr["gray"])
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        hits, fp = match(fr["boxes"], found.boxes)
        fp_all += fp
        if fr["kind"] == "empty":
            fp_empty += fp
            n_empty += 1
            continue
        for key in (fr["kind"], fr["source"], "all"):
            got, total = per.get(key, (0, 0))
            per[key] = (got + hits, total + len(fr["boxes"]))
    return {"recall": {k: g / t for k, (g, t) in per.items()},
            "faces": {k: t for k, (_, t) in per.items()},
            "fp_per_frame": fp_all / len(frames), "fp_per_empty_frame": fp_empty / max(n_empty, 1),
            "ms_median": 1000 * float(np.median(times)), "cpu_ms_median": 1000 * float(np.median(cpu))}


def main() -> None:
    from moviemotion.faces import make_detector

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--detectors", default="haar,centerface")
    ap.add_argument("--widths", default="320,640", help="detect widths to try (pixels)")
    ap.add_argument("--threads", type=int, default=1, help="onnxruntime threads (CenterFace)")
    ap.add_argument("--data", type=Path, default=DATA)
    args = ap.parse_args()
    cv2.setNumThreads(args.threads)
    faces = load_faces(args.data, 2 * args.frames, args.seed)
    frames = make_frames(faces, args.frames, args.seed)
    n_faces = sum(len(f["boxes"]) for f in frames)
    print(f"{len(frames)} frames 640x480, {n_faces} faces (seat/wide/empty = 50/35/15 %), seed {args.seed}")
    head = f"{'detector':<12}{'width':>6}{'recall':>8}{'seat':>7}{'wide':>7}{'yale':>7}{'fer':>7}" \
           f"{'FP/frame':>10}{'FP/empty':>10}{'ms/frame':>10}{'CPU ms':>8}"
    print(head)
    for name in args.detectors.split(","):
        # CenterFace twice: as shipped (with the face check's second look at weak candidates)
        # and plain (its heatmap threshold alone), so the check's gain is measured in this run.
        variants = [(name, {})] + ([("cf-plain", {"check": False})] if name == "centerface" else [])
        for label, extra in variants:
            for width in (int(w) for w in args.widths.split(",")):
                knobs = {"detect_width": width, "min_face": 0.05, **extra}
                if name == "centerface":
                    knobs["threads"] = args.threads
                det = make_detector(name, **knobs)
                det.detect(frames[0]["gray"])  # warm-up
                r = evaluate(det, frames)
                rc = r["recall"]
                print(f"{label:<12}{width:>6}{rc['all']:>8.1%}{rc.get('seat', 0):>7.1%}{rc.get('wide', 0):>7.1%}"
                      f"{rc.get('yale', 0):>7.1%}{rc.get('fer', 0):>7.1%}{r['fp_per_frame']:>10.3f}"
                      f"{r['fp_per_empty_frame']:>10.3f}{r['ms_median']:>10.1f}{r['cpu_ms_median']:>8.1f}")


if __name__ == "__main__":
    main()
