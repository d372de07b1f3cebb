"""bionic: the original FER study's model #36 (5 wide conv blocks, 3 dense layers).

Conv blocks of 128, 256, 1024, 1024, 256 filters with kernels 3, 3, 2, 2, 2 ("same"
padding); each block is conv -> ReLU -> 2x2 max-pool -> batch-norm. Then global average
pooling (at 48x48 the map is 1x1 already, as in the original), dense layers of 256, 512 and
1024 units, each followed by 20% dropout, and the output layer (softmax is applied by the
loss / the exported model). Trained with Adam, lr 1e-4, batch 128. Its head is not linear,
so it has no exact class activation maps.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from moviemotion.learn.archs.common import Net, Normalize

FILTERS = (128, 256, 1024, 1024, 256)
KERNELS = (3, 3, 2, 2, 2)
DENSE = (256, 512, 1024)

RECIPE = {"optimizer": "adam", "lr": 1e-4, "weight_decay": 0.0, "batch_size": 128,
          "label_smoothing": 0.0, "augment": "none", "schedule": "constant", "epochs": 30}


class Bionic(Net):
    def __init__(self, input_shape: Sequence[int] = (1, 48, 48), num_outputs: int = 7,
                 mean: float | Sequence[float] = 0.0, std: float | Sequence[float] = 1.0,
                 dropout: float = 0.2):
        super().__init__()
        layers: list[nn.Module] = [Normalize(mean, std)]
        c_in = int(input_shape[0])
        for c_out, k in zip(FILTERS, KERNELS, strict=True):
            # "same" padding; an even kernel pads one more pixel right/bottom (as Keras does)
            layers += [nn.ZeroPad2d(((k - 1) // 2, k // 2, (k - 1) // 2, k // 2)),
                       nn.Conv2d(c_in, c_out, k), nn.ReLU(inplace=True),
                       nn.MaxPool2d(2), nn.BatchNorm2d(c_out)]
            c_in = c_out
        self.features = nn.Sequential(*layers)        # 48 -> 24 -> 12 -> 6 -> 3 -> 1
        self.pool = nn.AdaptiveAvgPool2d(1)
        dense: list[nn.Module] = [nn.Flatten()]
        n_in = FILTERS[-1]
        for n_out in DENSE:
            dense += [nn.Linear(n_in, n_out), nn.ReLU(inplace=True), nn.Dropout(dropout)]
            n_in = n_out
        dense.append(nn.Linear(n_in, num_outputs))
        self.classifier = nn.Sequential(*dense)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.pool(features))
