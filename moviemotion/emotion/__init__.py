"""Facial-emotion recognition, the FER task on the learning kit (:mod:`moviemotion.learn`):
labels, FER2013 loaders, the task, training/evaluation/export wrappers, the shipped weights
and :class:`Predictor` (onnxruntime inference of the shipped model).

Inference needs only numpy + onnxruntime; training needs the ``train`` extra (torch).

>>> from moviemotion.emotion import EMOTIONS, Predictor
>>> Predictor().predict(__import__("numpy").zeros((2, 48, 48), "uint8")).shape
(2, 7)
"""

from moviemotion.emotion.labels import EMOTIONS, NEUTRAL_INDEX
from moviemotion.emotion.predictor import DEFAULT_MODEL, Predictor

EmotionPredictor = Predictor

__all__ = ["DEFAULT_MODEL", "EMOTIONS", "EmotionPredictor", "NEUTRAL_INDEX", "Predictor"]
