"""Architectures by name: one :class:`~moviemotion.registry.Registry` of plain-torch networks.

Each entry is an :class:`Architecture`: a constructor taking ``input_shape`` (C, H, W) or
(T, D), ``num_outputs``, the input normalization ``mean``/``std`` and its own options
(``width``...), plus the training recipe it was designed for. :func:`build` makes one for a
:class:`~moviemotion.learn.task.Task`. Every network implements
:class:`~moviemotion.learn.archs.common.Net` (``forward_features``, ``forward_head``,
``embed``, ``class_maps`` where exact).

>>> from moviemotion.learn.archs import ARCHITECTURES, build
>>> ARCHITECTURES.names()
['bionic', 'mini_xception', 'vgg', 'resnet', 'mlp', 'siamese']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from torch import nn

from moviemotion.errors import InputError
from moviemotion.learn.archs import bionic, mini_xception, mlp, resnet, siamese, vgg
from moviemotion.learn.archs.common import Net
from moviemotion.learn.task import Task
from moviemotion.registry import Registry


@dataclass(frozen=True)
class Architecture:
    """A named network constructor and the training recipe it was designed for."""

    name: str
    build: Callable[..., Net]
    recipe: dict[str, Any] = field(default_factory=dict)
    summary: str = ""
    inputs: str = "image"            # "image" (C, H, W) or "any" (flattened)


ARCHITECTURES: Registry[Architecture] = Registry("architecture")
for _mod, _cls, _inputs in ((bionic, bionic.Bionic, "image"),
                            (mini_xception, mini_xception.MiniXception, "image"),
                            (vgg, vgg.VGG, "image"), (resnet, resnet.ResNet, "image"),
                            (mlp, mlp.MLP, "any"), (siamese, siamese.Siamese, "any")):
    _name = _mod.__name__.rsplit(".", 1)[-1]
    _summary = _mod.__doc__.splitlines()[0]
    ARCHITECTURES.register(_name, Architecture(_name, _cls, _mod.RECIPE, _summary, _inputs),
                           help=_summary)


def get(name: str) -> Architecture:
    """The registered architecture called ``name`` (InputError listing the choices if unknown)."""
    return ARCHITECTURES.get(name)


def build(name: str, task: Task | None = None, **kwargs: Any) -> Net:
    """A freshly initialized network ``name`` for ``task`` (its input shape, number of
    outputs and normalization); ``kwargs`` are the architecture's options. Bad options are
    a one-line :class:`InputError`."""
    arch = get(name)
    if task is not None:
        if arch.inputs == "image" and not task.is_image:
            raise InputError(f"architecture {name!r} takes images (C, H, W); task {task.name!r} "
                             f"has input shape {task.input_shape}")
        kwargs = {"input_shape": task.input_shape, "num_outputs": task.num_outputs,
                  "mean": task.mean, "std": task.std, **kwargs}
    try:
        return arch.build(**kwargs)
    except (TypeError, ValueError, RuntimeError) as exc:
        options = ", ".join(f"{k}={v!r}" for k, v in kwargs.items()
                            if k not in ("input_shape", "num_outputs", "mean", "std"))
        raise InputError(f"architecture {name!r} cannot be built with {options or 'these options'}"
                         f" ({str(exc).splitlines()[0][:160]})") from None


def count_parameters(net: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in net.parameters() if p.requires_grad)


__all__ = ["ARCHITECTURES", "Architecture", "Net", "build", "count_parameters", "get"]
