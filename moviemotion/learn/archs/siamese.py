"""siamese: the seed's two-layer siamese network (twin ReLU layers with shared weights).

The input is a pair ``(x, x')`` as one example of shape (2, D) (or any shape whose flattened
length is 2D: the first half is ``x``, the second ``x'``):

    z1 = W1 x + b1,   a1 = ReLU(z1)
    z2 = W1 x' + b1,  a2 = ReLU(z2)            (the same W1, b1: twin networks)
    a = a1 - a2,      y = sigmoid(W2 a + b2)   (one output: "same identity")

trained with cross-entropy (a ``multilabel`` task of one label: sigmoid + binary
cross-entropy). ``forward_features`` is ``a``; ``forward_head`` is ``W2 a + b2``.

Note: with ``a = a1 - a2`` the logit is odd in ``a`` (swapping x and x' negates ``W2 a``), so
the seed's network cannot score "same person" symmetrically: of the two orders of a
different pair one always leans to "same". ``distance="absolute"`` (``a = |a1 - a2|``) is
the usual fix and learns; the default stays the seed's ``"difference"``.
:func:`hand_gradients` is the derivation written out (checked against autograd in the tests).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from moviemotion.learn.archs.common import Net

RECIPE = {"optimizer": "adam", "lr": 1e-3, "weight_decay": 0.0, "batch_size": 64,
          "label_smoothing": 0.0, "augment": "none", "schedule": "cosine", "epochs": 30}


class Siamese(Net):
    def __init__(self, input_shape: Sequence[int] = (2, 16), num_outputs: int = 1,
                 mean: float | Sequence[float] = 0.0, std: float | Sequence[float] = 1.0,
                 hidden: int = 64, distance: str = "difference"):
        super().__init__()
        if isinstance(mean, Sequence) or isinstance(std, Sequence):
            raise TypeError("siamese takes one mean and std for the whole input")
        n = math.prod(int(v) for v in input_shape)
        if n % 2:
            raise ValueError(f"a pair needs an even input size, got {n}")
        if distance not in ("difference", "absolute"):
            raise ValueError(f"distance {distance!r}: choose difference or absolute")
        self.absolute = distance == "absolute"
        self.mean, self.inv_std = float(mean), 1.0 / float(std)
        self.layer1 = nn.Linear(n // 2, int(hidden))          # W1, b1 (shared by both twins)
        self.layer2 = nn.Linear(int(hidden), num_outputs)     # W2, b2

    def twins(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(x, x') of a batch of pairs, normalized, each (N, D)."""
        v = (x.flatten(1) - self.mean) * self.inv_std
        return v.chunk(2, dim=1)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x1, x2 = self.twins(x)
        a = torch.relu(self.layer1(x1)) - torch.relu(self.layer1(x2))
        return a.abs() if self.absolute else a

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        return self.layer2(features)


def hand_gradients(net: Siamese, x: torch.Tensor, t: torch.Tensor) -> dict[str, torch.Tensor]:
    """dJ/dW1, dJ/db1, dJ/dW2, dJ/db2 of the mean cross-entropy J over the batch (one output),
    from the derivation: with m examples, ``delta = (y - t) / m`` (dJ/d(W2 a + b2)),

        dW2 = delta^T a          db2 = sum(delta)
        g = delta W2             (dJ/da)
        g1 = g * [z1 > 0]        g2 = -g * [z2 > 0]      (a = a1 - a2; for |a1 - a2|: g * sign)
        dW1 = g1^T x + g2^T x'   db1 = sum(g1 + g2)
    """
    with torch.no_grad():
        x1, x2 = net.twins(x)
        w1, b1 = net.layer1.weight, net.layer1.bias
        w2, b2 = net.layer2.weight, net.layer2.bias
        z1, z2 = x1 @ w1.T + b1, x2 @ w1.T + b1
        d = torch.relu(z1) - torch.relu(z2)
        a = d.abs() if net.absolute else d             # |a1 - a2|: da/d(a1 - a2) = sign
        y = torch.sigmoid(a @ w2.T + b2)
        delta = (y - t.reshape(y.shape)) / len(x)
        g = delta @ w2
        if net.absolute:
            g = g * torch.sign(d)
        g1, g2 = g * (z1 > 0), -g * (z2 > 0)
        return {"W1": g1.T @ x1 + g2.T @ x2, "b1": (g1 + g2).sum(0),
                "W2": delta.T @ a, "b2": delta.sum(0)}
