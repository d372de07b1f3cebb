"""Building blocks shared by the architectures, and :class:`Net`, their common interface.

Every network takes raw inputs (pixels 0-255 for images) and normalizes them in its first
layer (:class:`Normalize`), so an exported model needs no preprocessing beyond casting to
float. It splits into :meth:`Net.forward_features` (the last convolutional feature map) and
:meth:`Net.forward_head` (map -> outputs); :meth:`Net.embed` gives pooled features and
:meth:`Net.class_maps` class activation maps whose spatial mean is exactly the logits.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


class Normalize(nn.Module):
    """Raw inputs -> ``(x - mean) / std``; ``mean``/``std`` one number or one per channel."""

    def __init__(self, mean: float | Sequence[float] = 0.0, std: float | Sequence[float] = 1.0):
        super().__init__()
        self.scalar = not isinstance(mean, Sequence) and not isinstance(std, Sequence)
        if self.scalar:
            self.mean, self.inv_std = float(mean), 1.0 / float(std)
        else:
            m = torch.as_tensor(mean, dtype=torch.float32).reshape(1, -1, 1, 1)
            s = torch.as_tensor(std, dtype=torch.float32).reshape(1, -1, 1, 1)
            # not in the state_dict: the statistics belong to the task, not the weights
            self.register_buffer("mean_t", m, persistent=False)
            self.register_buffer("inv_std_t", 1.0 / s, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.scalar:
            return (x - self.mean) * self.inv_std
        return (x - self.mean_t) * self.inv_std_t


def conv_bn_relu(c_in: int, c_out: int, k: int = 3) -> nn.Sequential:
    """3x3 ("same") convolution, batch-norm, ReLU."""
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, k, padding=k // 2, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    )


class Net(nn.Module):
    """The interface of every architecture.

    ``forward(x) == forward_head(forward_features(x))``. ``cam_exact`` says whether
    :meth:`class_maps` exists (a global-average-pooling head whose last step is linear).
    """

    cam_exact: bool = False

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Pooled features (N, C): global average of the last feature map."""
        f = self.forward_features(x)
        return f.mean(dim=(2, 3)) if f.ndim == 4 else f

    def class_maps(self, features: torch.Tensor) -> torch.Tensor:
        """Class activation maps (N, K, h, w) of a feature map; their mean over (h, w) equals
        :meth:`forward_head`'s logits (eval mode)."""
        raise NotImplementedError(f"{type(self).__name__} has no exact class activation maps")


def gap_linear_maps(features: torch.Tensor, linear: nn.Linear) -> torch.Tensor:
    """CAMs of a "global average pooling + linear" head: ``W f + b`` at every position."""
    return torch.einsum("kc,nchw->nkhw", linear.weight, features) + linear.bias.view(1, -1, 1, 1)


def gap_linear_head(channels: int, num_outputs: int, dropout: float) -> nn.Sequential:
    """Global average pooling, flatten, dropout, linear: the head whose CAMs are exact."""
    return nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(dropout),
                         nn.Linear(channels, num_outputs))


class GapLinearNet(Net):
    """A network made of ``self.features`` (a module giving the last feature map) and
    ``self.head`` (:func:`gap_linear_head`), so its class activation maps are exact."""

    cam_exact = True

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(features)

    def class_maps(self, features: torch.Tensor) -> torch.Tensor:
        return gap_linear_maps(features, self.head[-1])
