"""The trainable-model kit: one task description, one architecture registry, one trainer,
one metrics module, one ONNX export + model card, one onnxruntime predictor.

==========================  ===========================================================
module                      what it holds
==========================  ===========================================================
``learn.task``              :class:`Task` (name, input shape, outputs, kind, ``score``)
``learn.archs``             ``ARCHITECTURES`` registry, ``build(name, task, **options)``
``learn.augment``           batched image augmentation policies, mixup / CutMix
``learn.train``             ``TrainConfig``, ``train``/``prepare``/``fit``/``finish``, checkpoints
``learn.metrics``           accuracy ... mAP, ROC AUC, EER, TAR@FAR, Pearson, interval IoU
``learn.onnx``              ``export_onnx`` (metadata, activation inside), ``Predictor``
``learn.card``              ``model_card``, ``write_card`` (JSON + markdown)
``learn.ensemble``          ``Ensemble`` (mean of ONNX models), ``average``
``learn.distill``           ``Distillation``, ``distill``, cached teacher probabilities
``learn.plot``              confusion-matrix PNG
==========================  ===========================================================

Inference needs only numpy + onnxruntime (+ OpenCV to resize images); training needs torch.
Importing this package does not import torch.
"""

from moviemotion.learn.onnx import Predictor, export_onnx
from moviemotion.learn.task import KINDS, Task

__all__ = ["KINDS", "Predictor", "Task", "export_onnx"]
