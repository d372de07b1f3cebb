"""mlp: a small multilayer perceptron for vectors and short sequences (T, D).

The input is flattened, normalized, then ``hidden`` fully connected layers (ReLU, dropout)
lead to the linear output layer. ``forward_features`` is the last hidden layer (also the
embedding); there is no spatial map, so no class activation maps.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from moviemotion.learn.archs.common import Net

RECIPE = {"optimizer": "adam", "lr": 1e-3, "weight_decay": 0.0, "batch_size": 64,
          "label_smoothing": 0.0, "augment": "none", "schedule": "cosine", "epochs": 30}


class MLP(Net):
    def __init__(self, input_shape: Sequence[int] = (16,), num_outputs: int = 1,
                 mean: float | Sequence[float] = 0.0, std: float | Sequence[float] = 1.0,
                 hidden: Sequence[int] = (64, 64), dropout: float = 0.1):
        super().__init__()
        if isinstance(mean, Sequence) or isinstance(std, Sequence):
            raise TypeError("mlp takes one mean and std for the whole input")
        self.mean, self.inv_std = float(mean), 1.0 / float(std)
        layers: list[nn.Module] = [nn.Flatten()]
        n_in = math.prod(int(v) for v in input_shape)
        for n_out in hidden:
            layers += [nn.Linear(n_in, int(n_out)), nn.ReLU(inplace=True), nn.Dropout(dropout)]
            n_in = int(n_out)
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(n_in, num_outputs)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.features((x - self.mean) * self.inv_std)

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(features)
