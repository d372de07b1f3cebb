"""Warm start (``TrainConfig.init`` / ``--init``): a run begins from another run's layers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from moviemotion.errors import InputError
from moviemotion.learn import Task
from moviemotion.learn.archs import build
from moviemotion.learn.train import TrainConfig, load_checkpoint, train, warm_start

SOURCE = Task("scenes", (3, 16, 16), ("a", "b", "c"), mean=100.0, std=60.0)
TARGET = Task("posters", (3, 16, 12), ("p", "q", "r", "s", "t"), "multilabel", mean=90.0, std=50.0)


def _data(task: Task, n: int, seed: int):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, (n, *task.input_shape), dtype=np.uint8)
    if task.kind == "multilabel":
        return x, (rng.random((n, task.num_outputs)) < 0.4).astype(np.float32)
    return x, rng.integers(0, task.num_outputs, n)


@pytest.fixture(scope="module")
def source_run(tmp_path_factory) -> Path:
    run = tmp_path_factory.mktemp("src")
    cfg = TrainConfig(arch="resnet", arch_args={"width": 4}, epochs=1, batch_size=16, seed=1)
    train(SOURCE, cfg, run, _data(SOURCE, 48, 0), _data(SOURCE, 16, 1), quiet=True)
    return run / "best.pt"


def test_every_matching_layer_is_copied_but_not_the_head(source_run):
    src, _, _ = load_checkpoint(source_run)
    net = build("resnet", TARGET, width=4)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    copied, total = warm_start(net, source_run)
    after, theirs = net.state_dict(), src.state_dict()
    head = [k for k in after if k.startswith("head.")]
    assert head and copied == total - len(head)
    for k, v in after.items():
        if k.startswith("head."):
            assert torch.equal(v, before[k])            # the new classes start fresh
        else:
            assert torch.equal(v, theirs[k])            # conv weights and BN statistics


def test_a_run_with_init_starts_from_the_checkpoint(source_run, tmp_path):
    """Epoch 0 of the warm run is the source's features: with lr ~ 0 the features stay them."""
    cfg = TrainConfig(arch="resnet", arch_args={"width": 4}, epochs=1, batch_size=16, lr=1e-9,
                      init=str(source_run), augment="none")
    train(TARGET, cfg, tmp_path / "warm", _data(TARGET, 32, 2), _data(TARGET, 16, 3), quiet=True)
    warm, ckpt, _ = load_checkpoint(tmp_path / "warm" / "best.pt")
    src, _, _ = load_checkpoint(source_run)
    w, s = warm.state_dict()["features.1.weight"], src.state_dict()["features.1.weight"]
    assert torch.allclose(w, s, atol=1e-6)
    assert ckpt["config"]["init"] == str(source_run)


def test_a_checkpoint_that_fits_nothing_is_one_line(source_run, tmp_path):
    with pytest.raises(InputError, match="no layer that fits"):
        warm_start(build("resnet", TARGET, width=8), source_run)
    with pytest.raises(InputError, match="--init checkpoint not found"):
        warm_start(build("resnet", TARGET, width=4), tmp_path / "none.pt")
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"junk")
    with pytest.raises(InputError, match="not a moviemotion checkpoint"):
        warm_start(build("resnet", TARGET, width=4), bad)
    cfg = TrainConfig(arch="resnet", arch_args={"width": 8}, epochs=1, init=str(source_run))
    with pytest.raises(InputError, match="no layer that fits"):     # before any work
        train(TARGET, cfg, tmp_path / "r", _data(TARGET, 8, 0), _data(TARGET, 8, 1), quiet=True)
    assert not (tmp_path / "r" / "last.pt").exists()


def test_a_checkpoint_of_the_same_task_gives_its_head_too(source_run):
    """Fine-tuning (a distilled student starting from a trained network): same outputs, so
    the classifier is copied as well, and the warm network computes what the source did."""
    src, _, _ = load_checkpoint(source_run)
    net = build("resnet", SOURCE, width=4)
    copied, total = warm_start(net, source_run, SOURCE)
    assert copied == total
    x = torch.from_numpy(_data(SOURCE, 4, 9)[0]).float()
    with torch.no_grad():
        assert torch.allclose(net.eval()(x), src.eval()(x), atol=1e-5)
    other = Task("scenes", (3, 16, 16), ("a", "b", "z"), mean=100.0, std=60.0)
    copied, total = warm_start(build("resnet", other, width=4), source_run, other)
    assert copied < total                                # other classes: the head starts fresh
