"""Stacked training (several networks of one architecture as one grouped network): the stacked
network computes exactly what its members compute, their gradients stay separate, and a
stacked run leaves one ordinary run folder per member."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from learn_synth import one_block  # noqa: E402

from moviemotion.errors import InputError  # noqa: E402
from moviemotion.learn import Task, archs  # noqa: E402
from moviemotion.learn.stack import stack, stacked_input, unstack  # noqa: E402
from moviemotion.learn.train import (  # noqa: E402
    TrainConfig,
    default_loss,
    finish,
    fit_stack,
    load_checkpoint,
    predict_torch,
    prepare,
)

TASK = Task("blocks", (1, 16, 16), ("a", "b", "c"), "multiclass", mean=60.0, std=70.0)
FACES = Task("faces", (1, 48, 48), tuple("abcdefg"), "multiclass", mean=129.4, std=65.0)


def _members(arch: str, task: Task, n: int = 3, **kw) -> list:
    nets = []
    for seed in range(n):
        torch.manual_seed(seed)
        nets.append(archs.build(arch, task, **kw))
    return nets


def _stacked_equals_members(nets: list, task: Task, n: int) -> torch.nn.Module:
    """Stack ``nets``; assert that the stack's outputs on ``n`` random inputs are its members'."""
    big = stack(nets, task.input_shape)
    x = torch.rand(n, *task.input_shape) * 255
    for net in [*nets, big]:
        net.eval()
    with torch.no_grad():
        want = torch.cat([net(x) for net in nets], dim=1)
        got = big(stacked_input(x, len(nets)))
    assert got.shape == (n, len(nets) * task.num_outputs)
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4)
    return big


@pytest.mark.parametrize("arch,kw", [("vgg", {"width": 8}), ("resnet", {"width": 8})])
def test_stacked_network_computes_its_members(arch: str, kw: dict) -> None:
    nets = _members(arch, FACES, **kw)
    big = _stacked_equals_members(nets, FACES, 5)
    states = unstack(big, 3)                          # the architecture's own keys, same tensors
    for net, state in zip(nets, states, strict=True):
        own = net.state_dict()
        assert set(state) == set(own)
        assert all(torch.equal(state[k], own[k]) for k in own)


def test_per_channel_normalization_stacks_for_colour_inputs() -> None:
    """A colour task normalized per channel (the posters'): the stacked network repeats the
    channel statistics per member and still computes its members; different statistics are
    refused."""
    colour = Task("posters", (3, 20, 16), ("x", "y"), "multilabel", mean=[90.0, 80.0, 70.0],
                  std=[60.0, 55.0, 50.0])
    nets = _members("resnet", colour, n=2, width=4)
    _stacked_equals_members(nets, colour, 4)
    other = Task("posters", (3, 20, 16), ("x", "y"), "multilabel", mean=[1.0, 2.0, 3.0],
                 std=[60.0, 55.0, 50.0])
    with pytest.raises(InputError, match="different input normalizations"):
        stack([nets[0], archs.build("resnet", other, width=4)], colour.input_shape)


def test_members_keep_their_own_gradients_and_batch_statistics() -> None:
    """Member g's loss on its own batch gives it the gradient it gets alone (train mode:
    batch-norm statistics over its own batch), and nothing from the other members."""
    nets = _members("vgg", TASK, n=2, width=4, dropout=0.0)     # no random masks to compare
    big = stack(nets, TASK.input_shape)
    gen = torch.Generator().manual_seed(1)
    xs = [torch.rand(6, 1, 16, 16, generator=gen) * 255 for _ in nets]
    ys = [torch.randint(0, 3, (6,), generator=gen) for _ in nets]
    ce = torch.nn.CrossEntropyLoss()
    for net, x, y in zip(nets, xs, ys, strict=True):
        net.train()
        ce(net(x), y).backward()
    big.train()
    out = big(torch.cat(xs, dim=1)).view(6, 2, 3)
    sum(ce(out[:, g], ys[g]) for g in range(2)).backward()
    grads = unstack(_grads_as_module(big), 2)
    for g, net in enumerate(nets):
        for name, p in net.named_parameters():
            torch.testing.assert_close(grads[g][name], p.grad, rtol=1e-4, atol=1e-5)


def _grads_as_module(big):
    import copy
    clone = copy.deepcopy(big)
    with torch.no_grad():
        for (_, p), (_, q) in zip(big.named_parameters(), clone.named_parameters(), strict=True):
            q.copy_(p.grad)
    return clone


def test_what_cannot_be_stacked_is_refused() -> None:
    with pytest.raises(InputError, match="cannot stack grouped convolutions"):
        stack(_members("mini_xception", FACES, n=2), FACES.input_shape)
    with pytest.raises(InputError, match="different architectures or sizes"):
        stack([archs.build("vgg", TASK, width=4), archs.build("vgg", TASK, width=8)])

    class Mixer(torch.nn.Module):                    # its forward mixes channels: not stackable
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(1, 4, 3)

        def forward(self, x):
            y = self.conv(x)
            return y.flip(1).mean(dim=(2, 3))
    with pytest.raises(InputError, match="does not compute what its members compute"):
        stack([Mixer(), Mixer()], (1, 8, 8))


def test_a_stacked_run_leaves_one_ordinary_run_per_member(tmp_path) -> None:
    x, y = one_block(240, k=3, channels=1, seed=0)
    xv, yv = one_block(90, k=3, channels=1, seed=1)
    dirs = [tmp_path / "m0", tmp_path / "m1"]
    cfgs = [prepare(TASK, TrainConfig(arch="vgg", arch_args={"width": 4}, epochs=4, batch_size=32,
                                      lr=0.05, seed=s, threads=1, augment="none", ema=0.9), d)
            for s, d in zip((3, 4), dirs, strict=True)]
    fit_stack(TASK, cfgs, dirs, (x, y), (xv, yv), quiet=True)
    scores = []
    for cfg, d in zip(cfgs, dirs, strict=True):
        finish(TASK, d, (xv, yv))
        rows = (d / "metrics.csv").read_text().splitlines()
        assert len(rows) == 5 and not (d / "last.pt").exists()
        net, ckpt, _ = load_checkpoint(d / "best.pt")
        assert ckpt["config"]["seed"] == cfg.seed
        acc = float((predict_torch(net, xv, TASK).argmax(1) == yv).mean())
        assert acc == pytest.approx(json.loads((d / "evaluation.json").read_text())["accuracy"])
        scores.append(acc)
        assert (d / "model.onnx").is_file()
    assert min(scores) > 0.6                         # both members learned the quadrants (chance 1/3)
    a, b = (load_checkpoint(d / "best.pt")[0].state_dict() for d in dirs)
    assert not torch.equal(a["features.1.0.weight"], b["features.1.0.weight"])   # own seeds
    with pytest.raises(InputError, match="share every option but seed"):
        fit_stack(TASK, [cfgs[0], TrainConfig(**{**cfgs[1].__dict__, "lr": 0.1})],
                  [tmp_path / "n0", tmp_path / "n1"], (x, y), (xv, yv), quiet=True)


def test_stacked_loss_is_the_sum_of_the_members_means() -> None:
    """What fit_stack optimizes: the default loss over the flattened member-major rows, times G."""
    cfg = TrainConfig(label_smoothing=0.1)
    loss = default_loss(TASK, cfg)
    out = torch.randn(2, 5, 3)
    y = torch.randint(0, 3, (2, 5))
    total = loss(out.reshape(10, 3), y.reshape(10)) * 2
    torch.testing.assert_close(total, loss(out[0], y[0]) + loss(out[1], y[1]))
    assert np.isfinite(float(total))


def test_gpu_recipe_trains_a_stack_in_one_process(tmp_path) -> None:
    """``stack=2`` in a teacher spec: two members (seeds 1 and 2) from one worker process,
    shipped and scored like any teacher; ``--student none`` skips the student."""
    from test_distill import _fer_npz

    from moviemotion.emotion.recipe import main
    src = _fer_npz(tmp_path / "faces.npz", per_class=(12, 6))
    out = tmp_path / "out"
    assert main(["--data", str(src), "--out", str(out), "--work", str(tmp_path / "work"),
                 "--smoke", "--teachers", "vgg:width=8:seed=1:stack=2:name=m",
                 "--student", "none"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert {k: v["seed"] for k, v in summary["teachers"].items()} == {"m0": 1, "m1": 2}
    assert "student" not in summary and not (out / "emotion-student.onnx").exists()
    assert not (tmp_path / "work" / "m1.log").exists()           # one process: m0's log
    config = json.loads((tmp_path / "work" / "m1" / "config.json").read_text())
    assert config["stack_index"] == 1 and "--seed 2" in config["command"]
    assert config["command"].endswith(str(tmp_path / "work" / "m1"))
