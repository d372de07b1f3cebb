"""Building blocks shared by the architectures."""

from __future__ import annotations

import torch
from torch import nn

# FER2013 Training pixel statistics (0-255 scale), baked into every network.
PIXEL_MEAN = 129.4
PIXEL_STD = 65.0


class Normalize(nn.Module):
    """Raw 0-255 pixels -> zero-mean, unit-variance inputs."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - PIXEL_MEAN) * (1.0 / PIXEL_STD)


def conv_bn_relu(c_in: int, c_out: int, k: int = 3) -> nn.Sequential:
    """3x3 ("same") convolution, batch-norm, ReLU."""
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, k, padding=k // 2, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    )
