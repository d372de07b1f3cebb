"""Batch augmentation of images on torch tensors (one vectorized call per batch, CPU or GPU).

Policies by name: ``strong``: random affine (rotation +-15 deg, scale 0.85-1.15, shift
+-10%), horizontal flip and random erasing of one rectangle per image (half of the images,
2-20% of the area); ``heavy``: ``strong`` with stronger erasing (80% of the images, 2-40% of
the area, Zhong et al. 2020's range); ``light``: affine with about half those ranges and
flips; ``flip``: horizontal flips only; ``none``: identity.
Inputs and outputs are raw images (N, C, H, W) in 0-255, any channel count and size (the
erased rectangle is filled with noise in every channel). Non-image inputs take ``none``.
A task picks its default policy (``Task.augment``); ``--augment`` overrides it.

:func:`mix` is mixup / CutMix on a batch (the trainer mixes the losses of the two target
sets with the returned weight, so it works with hard labels and soft targets alike).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

POLICIES = ("none", "flip", "light", "strong", "heavy")
_RANGES = {  # rotation (deg), scale, shift (fraction of size), erase probability, erase area span
    "light": (8.0, 0.08, 0.05, 0.0, 0.18),
    "strong": (15.0, 0.15, 0.10, 0.5, 0.18),
    "heavy": (15.0, 0.15, 0.10, 0.8, 0.38),
}


def augment(x: torch.Tensor, policy: str, generator: torch.Generator | None = None) -> torch.Tensor:
    """Randomly transformed copy of the batch ``x`` (N, C, H, W) according to ``policy``."""
    if policy == "none":
        return x
    if policy == "flip":
        flip = torch.rand(x.shape[0], generator=generator).to(x.device, non_blocking=True) < 0.5
        return torch.where(flip.view(-1, 1, 1, 1), torch.flip(x, dims=[3]), x)
    if policy not in _RANGES:
        raise ValueError(f"unknown augmentation {policy!r}; choose one of {POLICIES}")
    rot, scale, shift, erase_p, span = _RANGES[policy]
    n, dev = x.shape[0], x.device

    def uniform(lo: float, hi: float) -> torch.Tensor:
        return torch.rand(n, generator=generator).to(dev, non_blocking=True) * (hi - lo) + lo

    angle = uniform(-rot, rot) * (math.pi / 180)
    s = uniform(1 - scale, 1 + scale)
    flip = torch.where(uniform(0, 1) < 0.5, -1.0, 1.0)
    cos, sin = torch.cos(angle) / s, torch.sin(angle) / s
    theta = torch.stack([
        torch.stack([cos * flip, -sin, uniform(-shift, shift) * 2], dim=1),
        torch.stack([sin * flip, cos, uniform(-shift, shift) * 2], dim=1),
    ], dim=1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    out = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    if erase_p > 0:
        out = _erase(out, erase_p, generator, span)
    return out


def _erase(x: torch.Tensor, p: float, generator: torch.Generator | None,
           span: float = 0.18) -> torch.Tensor:
    """Random erasing: a rectangle (2 to 2+100*span % of the area, aspect 0.3-3.3) filled
    with noise, in a share ``p`` of the images."""
    n, _, h, w = x.shape
    dev = x.device
    r = torch.rand(n, 6, generator=generator).to(dev, non_blocking=True)
    area = (0.02 + span * r[:, 0]) * h * w
    aspect = torch.exp(math.log(0.3) + (math.log(3.3) - math.log(0.3)) * r[:, 1])
    eh = torch.sqrt(area * aspect).clamp(max=h)
    ew = torch.sqrt(area / aspect).clamp(max=w)
    top = r[:, 2] * (h - eh)
    left = r[:, 3] * (w - ew)
    ys = torch.arange(h, device=dev).view(1, h, 1)
    xs = torch.arange(w, device=dev).view(1, 1, w)
    inside = ((ys >= top.view(n, 1, 1)) & (ys < (top + eh).view(n, 1, 1))
              & (xs >= left.view(n, 1, 1)) & (xs < (left + ew).view(n, 1, 1))
              & (r[:, 4] < p).view(n, 1, 1))
    if dev.type == "cpu":
        noise = torch.rand(x.shape, generator=generator) * 255
    else:  # the noise drawn on the device (from a seed the generator gives): no large copy
        seed = int(torch.randint(0, 2**62, (1,), generator=generator))
        device_gen = torch.Generator(dev).manual_seed(seed)
        noise = torch.rand(x.shape, generator=device_gen, device=dev) * 255
    return torch.where(inside.unsqueeze(1), noise, x)


def mix(x: torch.Tensor, generator: torch.Generator, mixup: float = 0.0,
        cutmix: float = 0.0) -> tuple[torch.Tensor, torch.Tensor, float]:
    """Mixup (Zhang et al. 2018) or CutMix (Yun et al. 2019) of a batch with a permutation
    of itself: ``(mixed x, permutation, lam)``; the loss is ``lam * loss(out, y) + (1 - lam)
    * loss(out, y[permutation])``. ``mixup``/``cutmix``: the Beta(a, a) parameter (0 = off);
    with both on, each batch takes one of the two at random. Draws only from ``generator``."""
    n = x.shape[0]
    seed = int(torch.randint(0, 2**31 - 1, (1,), generator=generator))
    perm = torch.randperm(n, generator=generator).to(x.device, non_blocking=True)
    rng = np.random.default_rng(seed)
    use_cutmix = cutmix > 0 and (mixup <= 0 or rng.random() < 0.5)
    alpha = cutmix if use_cutmix else mixup
    lam = float(rng.beta(alpha, alpha))
    if not use_cutmix:
        return lam * x + (1 - lam) * x[perm], perm, lam
    h, w = x.shape[-2:]
    cut = math.sqrt(1 - lam)
    ch, cw = int(round(h * cut)), int(round(w * cut))
    cy, cx = int(rng.integers(0, h)), int(rng.integers(0, w))
    y0, y1 = max(cy - ch // 2, 0), min(cy + ch - ch // 2, h)
    x0, x1 = max(cx - cw // 2, 0), min(cx + cw - cw // 2, w)
    out = x.clone()
    out[..., y0:y1, x0:x1] = x[perm][..., y0:y1, x0:x1]
    return out, perm, 1 - (y1 - y0) * (x1 - x0) / (h * w)
