"""Triplet loss with semi-hard negative mining (Schroff et al. 2015, FaceNet).

For every anchor-positive pair (a, p) in the batch the negative is the nearest one farther
than the positive (``d(a, p) < d(a, n)``, the "semi-hard" negatives inside the margin come
first); when no negative is farther than the positive, the farthest negative is taken (the
easiest of the hard ones), as in TensorFlow Addons. The loss is the mean of
``max(0, d(a, p) - d(a, n) + margin)`` over all anchor-positive pairs, on L2-normalized
embeddings. The trainer's default for embeddings stays batch-hard
(:func:`moviemotion.learn.train.batch_hard_triplet_loss`); pass this as ``loss_fn``.
"""

from __future__ import annotations

import torch
from torch import nn


def semi_hard_triplet_loss(emb: torch.Tensor, labels: torch.Tensor, margin: float = 0.2) -> torch.Tensor:
    """Semi-hard triplet loss of embeddings (N, D) with identity labels (N,)."""
    e = nn.functional.normalize(emb.float(), dim=1)
    d = torch.cdist(e, e)
    same = labels.view(-1, 1) == labels.view(1, -1)
    eye = torch.eye(len(labels), dtype=torch.bool, device=e.device)
    pos = same & ~eye                                   # (a, p)
    neg = ~same                                         # (a, n)
    if not pos.any() or not neg.any():
        return (emb * 0).sum()
    d_ap = d.unsqueeze(2)                               # (a, p, 1)
    d_an = d.unsqueeze(1)                               # (a, 1, n)
    neg3 = neg.unsqueeze(1)                             # (a, 1, n)
    farther = neg3 & (d_an > d_ap)                      # (a, p, n)
    inf = torch.full_like(d_an.expand_as(farther), float("inf"))
    nearest_farther = torch.where(farther, d_an.expand_as(farther), inf).amin(dim=2)
    farthest = torch.where(neg3, d_an, torch.full_like(d_an, -float("inf"))).amax(dim=2)  # (a, 1)
    chosen = torch.where(farther.any(dim=2), nearest_farther, farthest.expand_as(nearest_farther))
    has_neg = neg.any(dim=1, keepdim=True).expand_as(pos)
    ok = pos & has_neg
    losses = nn.functional.relu(d - chosen + margin)
    return losses[ok].mean()
