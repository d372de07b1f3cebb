"""mini_xception: the small fast baseline (Arriaga et al. 2017, ~60k parameters).

Two plain 3x3 convolutions (8 filters), four residual modules of depthwise-separable
convolutions (16, 32, 64, 128 filters, each halving the resolution with a strided 1x1
shortcut), a final 3x3 convolution to one map per output and global average pooling (those
maps are the class activation maps).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from moviemotion.learn.archs.common import Net, Normalize

RECIPE = {"optimizer": "adam", "lr": 1e-3, "weight_decay": 0.0, "batch_size": 32,
          "label_smoothing": 0.0, "augment": "light", "schedule": "cosine", "epochs": 100}


class SeparableConv(nn.Sequential):
    def __init__(self, c_in: int, c_out: int):
        super().__init__(
            nn.Conv2d(c_in, c_in, 3, padding=1, groups=c_in, bias=False),
            nn.Conv2d(c_in, c_out, 1, bias=False),
        )


class XceptionModule(nn.Module):
    """Two separable convs + 3x3/2 max-pool, added to a strided 1x1 shortcut."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.shortcut = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride=2, bias=False),
                                      nn.BatchNorm2d(c_out))
        self.body = nn.Sequential(
            SeparableConv(c_in, c_out), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True),
            SeparableConv(c_out, c_out), nn.BatchNorm2d(c_out),
            nn.MaxPool2d(3, stride=2, padding=1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x) + self.shortcut(x)


class MiniXception(Net):
    cam_exact = True
    HEAD = 3          # the last three layers of ``net``: conv to class maps, pooling, flatten

    def __init__(self, input_shape: Sequence[int] = (1, 48, 48), num_outputs: int = 7,
                 mean: float | Sequence[float] = 0.0, std: float | Sequence[float] = 1.0):
        super().__init__()
        c = int(input_shape[0])
        self.net = nn.Sequential(
            Normalize(mean, std),
            nn.Conv2d(c, 8, 3, bias=False), nn.BatchNorm2d(8), nn.ReLU(inplace=True),
            nn.Conv2d(8, 8, 3, bias=False), nn.BatchNorm2d(8), nn.ReLU(inplace=True),
            XceptionModule(8, 16), XceptionModule(16, 32),
            XceptionModule(32, 64), XceptionModule(64, 128),
            nn.Conv2d(128, num_outputs, 3, padding=1),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.net[:-self.HEAD](x)

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        return self.net[-self.HEAD:](features)

    def class_maps(self, features: torch.Tensor) -> torch.Tensor:
        return self.net[-self.HEAD](features)
