"""How far do the classical from-scratch scene models go, alone and averaged with our CNN?

Reads a teacher file of ``moviemotion train scene-teacher`` (its Fisher-vector channels'
probabilities over the validation images, from regressions fitted on the whole training
split; ``moviemotion.content.scene_teacher``) and scores them beside a scene CNN (default:
the shipped one) on the same validation images (docs/scenes.md), alone and in geometric
means (weights not tuned). Nothing is shipped from here: the class activation maps of the
scene model must stay exact, so the classical models teach the CNN instead
(``moviemotion train scenes --teacher``).

    moviemotion train scene-teacher --data ../shared/data/scenes -o runs/scene-teacher.npz
    python scripts/fisher_probe.py --scenes ../shared/data/scenes \\
        --teacher runs/scene-teacher.npz --json runs/fisher_probe_scenes.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def probe_scenes(root: str, teacher: str, model: str | None, fuse: float) -> dict:
    from moviemotion.content import SceneClassifier
    from moviemotion.content.scene_teacher import geometric_mean
    from moviemotion.content.scene_training import DATASETS, dataset_scores, load_scene_data

    with np.load(teacher) as t:
        sift, colour, y, d = (t["sift_val_probs"], t["color_val_probs"], t["val_y"],
                              t["val_dataset"])
        limit = json.loads(str(t["settings"]))["limit"]
    data = load_scene_data(root, size=128, train=False, limit=limit)
    if not np.array_equal(data.y_val, y):
        raise SystemExit(f"{teacher}: made for other validation images")
    cnn = SceneClassifier(model, threads=2).predict(list(data.x_val.transpose(0, 2, 3, 1)))
    scores = {name: dataset_scores(p, y, d)
              for name, p in (("fisher", sift), ("colour_stats", colour), ("cnn", cnn),
                              (f"fused_{fuse}", geometric_mean([cnn, sift], [1 - fuse, fuse])),
                              ("fused_thirds_cnn_sift_colour", geometric_mean([cnn, sift, colour])))}
    out = {ds: {"images": int((d == di).sum()),
                **{name: s[f"{ds}_accuracy"] for name, s in scores.items()}}
           for di, ds in enumerate(DATASETS)}
    print(json.dumps(out, indent=2), flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenes", required=True, help="the scenes data folder (scene15/, intel6/)")
    ap.add_argument("--teacher", required=True, help="a teacher file (train scene-teacher)")
    ap.add_argument("--model", help="a scene model .onnx (default: the shipped one)")
    ap.add_argument("--fuse", type=float, default=0.5, help="weight of the SIFT model")
    ap.add_argument("--json", help="write the scores here")
    a = ap.parse_args()
    res = {"scenes": probe_scenes(a.scenes, a.teacher, a.model, a.fuse)}
    if a.json:
        Path(a.json).write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
