"""Emotion classifiers by name: a small registry of plain-torch architectures.

Every architecture takes raw grayscale pixels (float, 0-255) shaped ``(N, 1, 48, 48)``
and returns class logits ``(N, 7)`` in :data:`~moviemotion.emotion.labels.EMOTIONS`
order. Input normalisation lives inside the network (:class:`Normalize`), so an
exported model needs no preprocessing beyond casting to float.

>>> from moviemotion.emotion.models import build, ARCHITECTURES
>>> sorted(ARCHITECTURES)
['bionic', 'mini_xception', 'vgg']
>>> net = build("mini_xception")                         # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from torch import nn

from moviemotion.emotion.models import bionic, mini_xception, vgg
from moviemotion.errors import InputError


@dataclass(frozen=True)
class Architecture:
    """A named network constructor and the training recipe it was designed for."""

    name: str
    build: Callable[..., nn.Module]
    recipe: dict[str, Any] = field(default_factory=dict)
    summary: str = ""


ARCHITECTURES: dict[str, Architecture] = {
    a.name: a
    for a in (
        Architecture("bionic", bionic.Bionic, bionic.RECIPE, bionic.__doc__.splitlines()[0]),
        Architecture("mini_xception", mini_xception.MiniXception, mini_xception.RECIPE,
                     mini_xception.__doc__.splitlines()[0]),
        Architecture("vgg", vgg.VGG, vgg.RECIPE, vgg.__doc__.splitlines()[0]),
    )
}


def get(name: str) -> Architecture:
    """The registered architecture called ``name`` (InputError listing the choices if unknown)."""
    try:
        return ARCHITECTURES[name]
    except KeyError:
        raise InputError(
            f"unknown architecture {name!r}; choose one of: {', '.join(sorted(ARCHITECTURES))}"
        ) from None


def build(name: str, **kwargs: Any) -> nn.Module:
    """A freshly initialised network of the architecture ``name``."""
    return get(name).build(**kwargs)


def count_parameters(net: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in net.parameters() if p.requires_grad)
