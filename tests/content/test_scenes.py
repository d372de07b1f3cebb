"""Scene classifier API, class activation maps, the scenes analyzer, ``moviemotion scenes``
and ``--cam``: on a tiny model trained here on drawn images with known answers (a bright shape
anywhere: a square or a cross), so the maps must light up where the shape is."""

from __future__ import annotations

import numpy as np
import pytest
from content_media import write_av

from moviemotion.content.scenes import SceneClassifier, ScenesAnalyzer, classify_path, seconds_top
from moviemotion.errors import InputError, ModelError

SIZE = 32
KINDS = ("square", "cross")


def blob_image(kind: str, rng: np.random.Generator, h: int = SIZE, w: int = SIZE,
               gray: bool = False, center: list | None = None) -> np.ndarray:
    """Dark noise with one bright shape anywhere: a filled square or a cross (class = kind);
    ``center`` receives the shape's centre (y, x)."""
    img = rng.integers(0, 60, (h, w, 3)).astype(np.uint8)
    s = max(9, min(h, w) // 3) | 1
    y, x = int(rng.integers(0, h - s + 1)), int(rng.integers(0, w - s + 1))
    if kind == "square":
        img[y:y + s, x:x + s] = 230
    else:
        img[y + s // 2 - 1:y + s // 2 + 2, x:x + s] = 230
        img[y:y + s, x + s // 2 - 1:x + s // 2 + 2] = 230
    if center is not None:
        center[:] = [y + s / 2, x + s / 2]
    return img[:, :, 0] if gray else img


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """A tiny resnet trained by the kit to tell squares from crosses, exported with its maps."""
    from moviemotion.learn.cam import export_cam_onnx
    from moviemotion.learn.task import Task
    from moviemotion.learn.train import TrainConfig, load_checkpoint, train

    rng = np.random.default_rng(0)
    sides = rng.integers(0, 2, 320)
    x = np.stack([blob_image(KINDS[s], rng).transpose(2, 0, 1) for s in sides])
    task = Task("blobs", (3, SIZE, SIZE), KINDS, "multiclass", mean=80.0, std=80.0)
    cfg = TrainConfig(arch="resnet", arch_args={"width": 8, "strides": (1, 1, 1, 1)}, epochs=6,
                      lr=0.05, augment="none", seed=0, threads=1, batch_size=32)
    run = tmp_path_factory.mktemp("scenes") / "run"
    train(task, cfg, run, (x[:256], sides[:256]), (x[256:], sides[256:]), quiet=True,
          on_finish=lambda _: None)
    net, _, task = load_checkpoint(run / "best.pt")
    return export_cam_onnx(net, run / "blobs.onnx", task, mirror=False)


def test_predict_any_size_rgb_or_gray(model):
    sc = SceneClassifier(model, threads=1)
    assert sc.classes == KINDS
    rng = np.random.default_rng(1)
    images = [blob_image(s, rng, h, w, gray)
              for s, h, w, gray in [("square", 32, 32, False), ("cross", 64, 64, False),
                                    ("square", 48, 48, True), ("cross", 32, 32, True)] * 10]
    probs = sc.predict(images)
    assert probs.shape == (40, 2) and np.allclose(probs.sum(axis=1), 1, atol=1e-5)
    truth = np.array([0, 1, 0, 1] * 10)
    assert (probs.argmax(axis=1) == truth).mean() >= 0.9
    assert sc.predict([]).shape == (0, 2)


def test_cam_lights_up_the_shape(model):
    sc = SceneClassifier(model, threads=1)
    rng = np.random.default_rng(2)
    hits = 0
    for i in range(20):
        center: list = []
        img = blob_image(KINDS[i % 2], rng, 48, 64, center=center)
        heat = sc.cam(img)
        assert heat.shape == (48, 64) and heat.dtype == np.float32
        assert heat.min() == 0.0 and heat.max() == pytest.approx(1.0)
        peak = np.unravel_index(np.argmax(heat), heat.shape)
        hits += np.hypot(peak[0] - center[0], peak[1] - center[1]) <= 12
    assert hits >= 16
    # a given class by name or index gives that class's map
    img = blob_image("square", rng)
    assert np.array_equal(sc.cam(img, "cross"), sc.cam(img, 1))
    with pytest.raises(InputError, match="unknown scene class"):
        sc.cam(img, "beach")


def test_maps_are_exact(model):
    """The spatial mean of the class maps is the logit: softmax of it equals the output."""
    sc = SceneClassifier(model, threads=1)
    rng = np.random.default_rng(3)
    images = [blob_image("square", rng) for _ in range(4)]
    probs, maps = sc.predict_maps(images)
    logits = maps.mean(axis=(2, 3))
    soft = np.exp(logits - logits.max(axis=1, keepdims=True))
    assert np.allclose(soft / soft.sum(axis=1, keepdims=True), probs, atol=1e-5)


def test_missing_and_foreign_models(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        SceneClassifier(tmp_path / "none.onnx")
    import torch

    from moviemotion.learn.archs import build
    from moviemotion.learn.onnx import export_onnx
    from moviemotion.learn.task import Task

    task = Task("plain", (3, 16, 16), ("a", "b"))
    path = export_onnx(build("resnet", task, width=4), tmp_path / "plain.onnx", task)
    torch.manual_seed(0)
    with pytest.raises(ModelError, match="features"):
        SceneClassifier(path)


def test_seconds_top_known_answer():
    probs = np.array([[0.6, 0.3, 0.1], [0.2, 0.7, 0.1], [0.1, 0.1, 0.8]])
    cols = seconds_top(np.array([0.2, 0.7, 2.5]), probs, 4, ("a", "b", "c"), k=2)
    assert list(cols["scene_1"]) == ["b", "", "c", ""]      # second 0: mean (0.4, 0.5, 0.1)
    assert cols["scene_1_p"][0] == pytest.approx(0.5) and cols["scene_2"][0] == "a"
    assert np.isnan(cols["scene_1_p"][1]) and np.isnan(cols["scene_2_p"][3])


def test_analyzer_per_second_and_cam_pngs(model, tmp_path):
    from moviemotion.jobs.movie import run_movie

    rng = np.random.default_rng(4)
    square, cross = blob_image("square", rng, 64, 64), blob_image("cross", rng, 64, 64)
    video = write_av(tmp_path / "sc.mp4", [square] * 50 + [cross] * 50, fps=25.0)
    out = tmp_path / "out"
    done = run_movie(video, out, analyzers="scenes", cam=True,
                     options={"scenes": {"model": str(model), "threads": 1}}, html=False)
    assert list(done.seconds["scene_1"]) == ["square", "square", "cross", "cross"]
    assert (done.seconds["scene_1_p"] > 0.5).all() and "shots" in done.analyzers
    pngs = sorted((out / "cam").glob("*.png"))
    assert len(pngs) == 2 and "square" in pngs[0].name and "cross" in pngs[1].name
    import cv2

    assert cv2.imread(str(pngs[0])).shape[:2] == (192, 192)  # the shots thumbnail, 192 px wide


def test_cam_without_scenes_is_one_line_error(tmp_path):
    from moviemotion.jobs.movie import choose_analyzers

    with pytest.raises(InputError, match="--cam draws class activation maps"):
        choose_analyzers("motion", None, False, cam=True)


def test_classify_path_images_folder_and_video(model, tmp_path):
    import cv2

    sc = SceneClassifier(model, threads=1)
    rng = np.random.default_rng(5)
    folder = tmp_path / "stills"
    folder.mkdir()
    for i, kind in enumerate(["square", "cross", "square"]):
        cv2.imwrite(str(folder / f"{i}_{kind}.png"), blob_image(kind, rng, 40, 60))
    rows, written = classify_path(folder, sc, top=2, out=tmp_path / "t.csv",
                                  cam_dir=tmp_path / "cams")
    assert [r["1"].split()[0] for r in rows] == ["square", "cross", "square"]
    assert len(list((tmp_path / "cams").glob("*_cam.png"))) == 3
    lines = (tmp_path / "t.csv").read_text().splitlines()
    assert lines[0] == "image,scene_1,scene_1_p,scene_2,scene_2_p" and len(lines) == 4
    rows, _ = classify_path(folder / "1_cross.png", sc, top=1)
    assert rows == [{"image": "1_cross.png", "1": rows[0]["1"]}] and rows[0]["1"].startswith("cross")
    video = write_av(tmp_path / "v.mp4", [blob_image("cross", rng, 64, 64)] * 50, fps=25.0)
    rows, written = classify_path(video, sc, fps=1.0, out=tmp_path / "v.parquet")
    assert [r["1"].split()[0] for r in rows] == ["cross", "cross"] and written[0].exists()
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no images"):
        classify_path(tmp_path / "empty", sc)
    with pytest.raises(InputError, match="no such file"):
        classify_path(tmp_path / "missing.png", sc)


def test_analyzer_settings_checked():
    with pytest.raises(InputError, match="fps"):
        ScenesAnalyzer(fps=0)
    with pytest.raises(InputError, match="unknown setting"):
        ScenesAnalyzer(colour=True)


def test_cli_scenes(model, tmp_path):
    import subprocess
    import sys

    import cv2

    rng = np.random.default_rng(6)
    cv2.imwrite(str(tmp_path / "a.png"), blob_image("cross", rng, 48, 48))

    def run(*args):
        return subprocess.run([sys.executable, "-m", "moviemotion", "scenes", *args],
                              capture_output=True, text=True, timeout=300)

    done = run(str(tmp_path / "a.png"), "--model", str(model), "--top", "2")
    assert done.returncode == 0, done.stderr
    shown = done.stdout + done.stderr  # the table goes to the console (stderr)
    assert "a.png" in shown and "cross 0." in shown
    bad = run(str(tmp_path / "missing.png"), "--model", str(model))
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    assert "missing.png" in bad.stderr and "Traceback" not in bad.stderr
    foreign = tmp_path / "x.onnx"
    foreign.write_bytes(b"not a model")
    bad = run(str(tmp_path / "a.png"), "--model", str(foreign))
    assert bad.returncode == 4 and "x.onnx" in bad.stderr and "Traceback" not in bad.stderr
