"""Architectures: output shapes, parameter counts, bionic's layer sizes."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from moviemotion.emotion.task import architectures, build
from moviemotion.errors import InputError
from moviemotion.learn.archs import count_parameters, get


@pytest.mark.parametrize("name", sorted(architectures()))
def test_output_shape(name: str) -> None:
    net = build(name).eval()
    with torch.no_grad():
        out = net(torch.rand(3, 1, 48, 48) * 255)
    assert out.shape == (3, 7)


def test_parameter_counts() -> None:
    assert 50_000 <= count_parameters(build("mini_xception")) <= 70_000
    assert 6_000_000 <= count_parameters(build("bionic")) <= 7_500_000
    assert count_parameters(build("vgg", width=16)) < count_parameters(build("vgg", width=32))


def test_bionic_layers_as_specified() -> None:
    net = build("bionic")
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in convs] == [128, 256, 1024, 1024, 256]
    assert [c.kernel_size for c in convs] == [(3, 3), (3, 3), (2, 2), (2, 2), (2, 2)]
    linears = [m for m in net.modules() if isinstance(m, nn.Linear)]
    assert [lin.out_features for lin in linears] == [256, 512, 1024, 7]
    drops = [m for m in net.modules() if isinstance(m, nn.Dropout)]
    assert [d.p for d in drops] == [0.2, 0.2, 0.2]
    # Each block: conv -> ReLU -> max-pool -> batch-norm.
    kinds = [type(m) for m in net.features if not isinstance(m, nn.ZeroPad2d)][1:]
    assert kinds[:4] == [nn.Conv2d, nn.ReLU, nn.MaxPool2d, nn.BatchNorm2d]
    assert get("bionic").recipe["optimizer"] == "adam" and get("bionic").recipe["lr"] == 1e-4
    assert get("bionic").recipe["batch_size"] == 128


def test_unknown_architecture() -> None:
    with pytest.raises(InputError, match="unknown architecture 'resnet9'.*bionic"):
        build("resnet9")
