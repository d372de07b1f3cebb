"""vgg: a VGG-style network with batch-norm, sized for small images and fast CPU inference.

Four stages of 3x3 conv-BN-ReLU layers (``depths`` layers of ``width``, 2x, 4x, 8x
filters; the cheap default puts one layer at full and half resolution, two at a quarter and
an eighth), each stage ending in a 2x2 max-pool (48 -> 24 -> 12 -> 6 -> 3), then global
average pooling, dropout and a linear layer (class activation maps are exact). Meant for the
modern recipe: SGD with Nesterov momentum, cosine learning-rate decay, label smoothing and
augmentation (random affine crops, flips, small rotations, random erasing).
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

from moviemotion.learn.archs.common import GapLinearNet, Normalize, conv_bn_relu, gap_linear_head

RECIPE = {"optimizer": "sgd", "lr": 0.05, "weight_decay": 5e-4, "batch_size": 64,
          "label_smoothing": 0.1, "augment": "strong", "schedule": "cosine", "epochs": 60}


class VGG(GapLinearNet):

    def __init__(self, input_shape: Sequence[int] = (1, 48, 48), num_outputs: int = 7,
                 mean: float | Sequence[float] = 0.0, std: float | Sequence[float] = 1.0,
                 width: int = 32, depths: Sequence[int] = (1, 1, 2, 2), dropout: float = 0.3):
        super().__init__()
        layers: list[nn.Module] = [Normalize(mean, std)]
        c_in = int(input_shape[0])
        for stage, depth in enumerate(depths):
            c_out = int(width) * 2**stage
            for i in range(int(depth)):
                layers.append(conv_bn_relu(c_in if i == 0 else c_out, c_out))
            layers.append(nn.MaxPool2d(2))
            c_in = c_out
        self.features = nn.Sequential(*layers)
        # (the shipped checkpoints' keys: features.*, head.3.*)
        self.head = gap_linear_head(c_in, num_outputs, dropout)
