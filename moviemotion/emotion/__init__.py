"""Facial-emotion recognition: FER2013 loaders, architectures, training, evaluation,
ONNX export, and :class:`Predictor` (onnxruntime inference of the shipped model).

Inference needs only numpy + onnxruntime; training needs the ``train`` extra (torch).

>>> from moviemotion.emotion import EMOTIONS, Predictor
>>> Predictor().predict(__import__("numpy").zeros((2, 48, 48), "uint8")).shape
(2, 7)
"""

from moviemotion.emotion.labels import EMOTIONS, NEUTRAL_INDEX
from moviemotion.emotion.predictor import DEFAULT_MODEL, Predictor

__all__ = ["DEFAULT_MODEL", "EMOTIONS", "NEUTRAL_INDEX", "Predictor"]
