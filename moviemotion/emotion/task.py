"""The FER emotion task on the learning kit: 48x48 grayscale faces -> seven class probabilities.

>>> from moviemotion.emotion.task import EMOTION_TASK, build
>>> EMOTION_TASK.input_shape, EMOTION_TASK.kind
((1, 48, 48), 'multiclass')
>>> net = build("vgg", width=16)                        # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from moviemotion.emotion.labels import EMOTIONS
from moviemotion.learn.task import Task

#: FER2013 Training pixel statistics (0-255 scale), baked into every network's first layer.
PIXEL_MEAN = 129.4
PIXEL_STD = 65.0
FACE_SIZE = 48

EMOTION_TASK = Task("emotion", (1, FACE_SIZE, FACE_SIZE), EMOTIONS, "multiclass",
                    mean=PIXEL_MEAN, std=PIXEL_STD)

#: How emotion models are exported: (N, 48, 48) raw pixels named "faces" -> "probabilities".
ONNX_LAYOUT = {"input_name": "faces", "output_name": "probabilities", "squeeze_channel": True}


def architectures() -> list[str]:
    """The registered architectures that take images (the ones for faces)."""
    from moviemotion.learn.archs import ARCHITECTURES

    return [name for name, arch in ARCHITECTURES.items() if arch.inputs == "image"]


def build(name: str, **kwargs: Any):
    """A freshly initialized network ``name`` for the emotion task (torch)."""
    from moviemotion.learn.archs import build as build_arch

    return build_arch(name, EMOTION_TASK, **kwargs)


def load_checkpoint(path: str | Path):
    """(network in eval mode on the CPU, checkpoint dict) of an emotion ``best.pt``/``last.pt``
    (also those written before the learning kit). A missing or foreign file is a ModelError."""
    from moviemotion.learn.train import load_checkpoint as load

    net, ckpt, _ = load(path, EMOTION_TASK)
    return net, ckpt
