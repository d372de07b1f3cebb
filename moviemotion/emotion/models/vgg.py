"""vgg: a VGG-style network with batch-norm, sized for 48x48 faces and fast CPU inference.

Four stages of 3x3 conv-BN-ReLU layers (``depths`` layers of ``width``, 2x, 4x, 8x
filters; the cheap default puts one layer at 48x48 and 24x24, two at 12x12 and 6x6), each stage
ending in a 2x2 max-pool (48 -> 24 -> 12 -> 6 -> 3), then global average pooling,
dropout and a linear layer. Meant for the modern recipe: SGD with Nesterov momentum,
cosine learning-rate decay, label smoothing and augmentation (random affine crops,
flips, small rotations, random erasing).
"""

from __future__ import annotations

import torch
from torch import nn

from moviemotion.emotion.models.common import Normalize, conv_bn_relu

RECIPE = {"optimizer": "sgd", "lr": 0.05, "weight_decay": 5e-4, "batch_size": 64,
          "label_smoothing": 0.1, "augment": "strong", "schedule": "cosine", "epochs": 60}


class VGG(nn.Module):
    def __init__(self, num_classes: int = 7, width: int = 32,
                 depths: tuple[int, ...] = (1, 1, 2, 2), dropout: float = 0.3):
        super().__init__()
        layers: list[nn.Module] = [Normalize()]
        c_in = 1
        for stage, depth in enumerate(depths):
            c_out = width * 2**stage
            for i in range(depth):
                layers.append(conv_bn_relu(c_in if i == 0 else c_out, c_out))
            layers.append(nn.MaxPool2d(2))
            c_in = c_out
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(dropout),
                                  nn.Linear(c_in, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))
