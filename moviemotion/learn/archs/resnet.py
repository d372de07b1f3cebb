"""resnet: a small residual network (ResNet-style basic blocks) for scene-sized images.

A stride-2 3x3 stem and a 2x2 max-pool (96 px -> 24), then four stages of basic residual
blocks (two 3x3 conv-BN layers and an identity or strided 1x1 shortcut) with ``width``, 2x,
4x, 8x filters, the first block of a stage with stride ``strides[stage]`` (default: stages 2
and 3 halve the resolution, 24 -> 12 -> 6, and stage 4 keeps it, so the class activation maps
are 6x6 at 96 px), then global average pooling, dropout and one linear layer, so class
activation maps are exact. Cheap enough to train on a CPU (~40 M multiply-adds at 96 px). Meant for the
modern recipe: SGD with Nesterov momentum, cosine decay, label smoothing, strong augmentation.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from moviemotion.learn.archs.common import GapLinearNet, Normalize, gap_linear_head

RECIPE = {"optimizer": "sgd", "lr": 0.1, "weight_decay": 5e-4, "batch_size": 64,
          "label_smoothing": 0.1, "augment": "strong", "schedule": "cosine", "epochs": 40}


class BasicBlock(nn.Module):
    """Two 3x3 conv-BN layers added to the (strided 1x1 conv-BN) shortcut, then ReLU."""

    def __init__(self, c_in: int, c_out: int, stride: int = 1):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False),
            nn.BatchNorm2d(c_out), nn.ReLU(inplace=True),
            nn.Conv2d(c_out, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out))
        self.shortcut = nn.Identity() if stride == 1 and c_in == c_out else nn.Sequential(
            nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.body(x) + self.shortcut(x))


class ResNet(GapLinearNet):

    def __init__(self, input_shape: Sequence[int] = (3, 96, 96), num_outputs: int = 10,
                 mean: float | Sequence[float] = 0.0, std: float | Sequence[float] = 1.0,
                 width: int = 32, depths: Sequence[int] = (1, 1, 1, 1),
                 strides: Sequence[int] = (1, 2, 2, 1), dropout: float = 0.2):
        super().__init__()
        c_in, w = int(input_shape[0]), int(width)
        layers: list[nn.Module] = [
            Normalize(mean, std),
            nn.Conv2d(c_in, w, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(w),
            nn.ReLU(inplace=True), nn.MaxPool2d(2)]
        c = w
        for stage, depth in enumerate(depths):
            c_out = w * 2**stage
            for i in range(int(depth)):
                layers.append(BasicBlock(c, c_out, int(strides[stage]) if i == 0 else 1))
                c = c_out
        self.features = nn.Sequential(*layers)
        self.head = gap_linear_head(c, num_outputs, dropout)
