"""ONNX export with metadata, and :class:`Predictor`: onnxruntime-only inference of any task.

An exported model is self-describing. Its graph takes raw inputs (pixels 0-255 for images:
normalization is inside) of shape ``(N, *input_shape)`` (or ``(N, H, W)`` for one-channel
images exported with ``squeeze_channel``) and returns what the task scores: probabilities
(softmax for ``multiclass``, sigmoid per label for ``multilabel``), values (``regression``) or
unit-length vectors (``embedding``). Its metadata properties hold ``task`` (JSON of the
:class:`~moviemotion.learn.task.Task`), ``classes`` (JSON list of output names),
``input_shape`` (JSON, without N), ``mirror_averaged`` and whatever the caller adds.

>>> p = Predictor("model.onnx")                               # doctest: +SKIP
>>> p.predict(x)                 # x shaped (N, *p.input_shape), any number type
>>> p.predict_images(images)     # any-size uint8 gray/RGB images, resized and converted
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from moviemotion.errors import InputError, ModelError
from moviemotion.io import atomic_path
from moviemotion.learn.task import Task

OPSET = 17
OUTPUT_NAMES = {"multiclass": "probabilities", "multilabel": "probabilities",
                "regression": "values", "embedding": "embedding"}


def inference_model(net, task: Task, mirror: bool = False, squeeze_channel: bool = False):
    """``net`` wrapped for export: raw input -> the task's outputs (softmax/sigmoid/L2 inside).

    ``mirror``: average the outputs of each image and its mirror image (one batched forward
    pass of 2N images). ``squeeze_channel``: the graph takes (N, H, W) for a one-channel task.
    """
    import torch
    from torch import nn

    class InferenceModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = net
            self.mirror = mirror

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            if squeeze_channel:
                x = x.unsqueeze(1)
            if not self.mirror:
                return activate(self.net(x), task.kind)
            n = x.shape[0]
            out = activate(self.net(torch.cat([x, torch.flip(x, dims=[x.ndim - 1])], dim=0)),
                           task.kind)
            out = 0.5 * (out[:n] + out[n:])
            return nn.functional.normalize(out, dim=1) if task.kind == "embedding" else out

    return InferenceModel()


def ensemble_model(nets, task: Task, mirror: bool = False):
    """Several networks of one task as one exportable module: the mean of their outputs (each
    through :func:`inference_model`, so with ``mirror`` each member is mirror-averaged first).
    An embedding ensemble is re-normalized to unit length."""
    import torch
    from torch import nn

    members = nn.ModuleList([inference_model(n, task, mirror) for n in nets])

    class EnsembleModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.members = members

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            out = torch.stack([m(x) for m in self.members]).mean(dim=0)
            return nn.functional.normalize(out, dim=1) if task.kind == "embedding" else out

    return EnsembleModel()


def activate(logits, kind: str):
    """Raw network outputs -> what the task's model returns (torch)."""
    import torch

    if kind == "multiclass":
        return torch.softmax(logits, dim=1)
    if kind == "multilabel":
        return torch.sigmoid(logits)
    if kind == "embedding":
        return torch.nn.functional.normalize(logits, dim=1)
    return logits


def export_onnx(net, path: str | os.PathLike[str], task: Task,
                metadata: dict[str, Any] | None = None, mirror: bool = False, *,
                input_name: str = "input", output_name: str | None = None,
                squeeze_channel: bool = False, model=None,
                extra_outputs: Sequence[str] = ()) -> Path:
    """Write ``net`` (put in eval mode) to ``path`` as single-file ONNX, atomically; returns
    the path. The batch axis is dynamic; ``metadata`` values (JSON-encoded unless strings)
    join the task's in the model's metadata properties. ``model``: a ready wrapper of ``net``
    to export instead of :func:`inference_model`'s, returning the task's output first and then
    one tensor per name of ``extra_outputs`` (e.g. :mod:`moviemotion.learn.cam`'s feature map)."""
    import onnx
    import torch

    if mirror and not task.is_image:
        raise InputError(f"task {task.name!r}: mirror averaging needs image inputs")
    path = Path(path)
    net.eval()
    model = (model if model is not None
             else inference_model(net, task, mirror, squeeze_channel)).eval().cpu()
    shape = task.input_shape[1:] if squeeze_channel else task.input_shape
    output_name = output_name or OUTPUT_NAMES[task.kind]
    with atomic_path(path) as tmp:
        with warnings.catch_warnings():   # the TorchScript exporter is "legacy" but exact
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.filterwarnings("ignore", message="Constant folding")
            names = [output_name, *extra_outputs]
            torch.onnx.export(model, (torch.zeros(2, *shape),), str(tmp), input_names=[input_name],
                              output_names=names, opset_version=OPSET,
                              dynamic_axes={input_name: {0: "n"}, **{o: {0: "n"} for o in names}},
                              dynamo=False)
        proto = onnx.load(str(tmp))
        meta = {"classes": json.dumps(list(task.outputs)), "mirror_averaged": json.dumps(mirror)}
        meta.update({k: v if isinstance(v, str) else json.dumps(v)
                     for k, v in (metadata or {}).items()})
        meta.update({"task": json.dumps(task.to_dict()), "input_shape": json.dumps(list(shape))})
        for k, v in meta.items():
            entry = proto.metadata_props.add()
            entry.key, entry.value = k, v
        onnx.checker.check_model(proto)
        onnx.save(proto, str(tmp))
    return path


class Predictor:
    """An ONNX model of any task, run with onnxruntime (no torch).

    ``path``: the ``.onnx`` file. ``threads``: onnxruntime intra-op threads (default:
    onnxruntime's choice). ``batch_size``: examples per inference call. ``outputs`` /
    ``input_shape`` (without N): what the caller expects; a model that differs, whose output
    is not (N, number of outputs) or that outputs NaN is a :class:`ModelError` naming the
    file. ``what`` names the model in messages ("emotion model").
    """

    def __init__(self, path: str | os.PathLike[str], threads: int | None = None,
                 batch_size: int = 256, *, outputs: Sequence[str] | None = None,
                 input_shape: Sequence[int] | None = None, what: str = "model"):
        import onnxruntime as ort

        self.path = Path(path)
        self.batch_size = max(1, int(batch_size))
        if not self.path.is_file():
            raise ModelError(f"{self.path}: {what} not found")
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        # Worker threads sleep between runs instead of spinning: models here run in bursts
        # beside a decoder (spinning burns CPU time the pass is measured by).
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        if threads is not None:
            opts.intra_op_num_threads = int(threads)
            opts.inter_op_num_threads = 1
        try:
            self._session = ort.InferenceSession(str(self.path), opts,
                                                 providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph types
            raise ModelError(f"{self.path}: not a valid ONNX model ({_first_line(exc)})") from exc
        inputs, outs = self._session.get_inputs(), self._session.get_outputs()
        declared = [d if isinstance(d, int) else None for d in inputs[0].shape[1:]] if inputs else []
        if len(inputs) != 1 or len(outs) < 1 or (
                input_shape is not None and declared != [int(v) for v in input_shape]):
            want = "" if input_shape is None else f" of shape (N, {', '.join(map(str, input_shape))})"
            raise ModelError(f"{self.path}: expected one input{want}, found "
                             f"{[tuple(i.shape) for i in inputs]}")
        self._input, self._output = inputs[0].name, outs[0].name
        meta = dict(self._session.get_modelmeta().custom_metadata_map)
        self.metadata: dict[str, str] = meta
        try:
            self.task: Task | None = Task.from_dict(json.loads(meta["task"])) if "task" in meta else None
            classes = json.loads(meta["classes"]) if "classes" in meta else outputs
        except (ValueError, TypeError, InputError) as exc:
            raise ModelError(f"{self.path}: unreadable metadata ({_first_line(exc)})") from None
        if classes is None or not isinstance(classes, list | tuple) or not classes:
            raise ModelError(f"{self.path}: no 'classes' metadata naming the outputs")
        self.classes: tuple[str, ...] = tuple(str(c) for c in classes)
        if outputs is not None and self.classes != tuple(outputs):
            raise ModelError(f"{self.path}: model classes {self.classes} differ from {tuple(outputs)}")
        self.kind = self.task.kind if self.task else "multiclass"
        self.input_shape: tuple[int, ...] | None = (
            tuple(declared) if all(d is not None for d in declared) else None)
        out_shape = outs[0].shape
        k = out_shape[1] if len(out_shape) == 2 else None
        if len(out_shape) != 2 or (isinstance(k, int) and k != len(self.classes)):
            raise ModelError(f"{self.path}: output shape {_shape(out_shape)}, expected "
                             f"(N, {len(self.classes)}) for classes {', '.join(self.classes)}")
        if self.input_shape is not None:      # one probe: shape and finiteness of the output
            self.predict(np.zeros((2, *self.input_shape), np.float32))

    @property
    def outputs(self) -> tuple[str, ...]:
        return self.classes

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Outputs (N, K) float32 for ``x`` (N, *input_shape), any number type, in batches
        (one-channel image models also take (N, H, W))."""
        x = np.asarray(x)
        shape = self.input_shape
        if shape is not None and len(shape) == 3 and shape[0] == 1 and x.shape[1:] == shape[1:]:
            x = x[:, None]                     # (N, H, W) for a one-channel image model
        if shape is not None and tuple(x.shape[1:]) != shape:
            raise InputError(f"{self.path.name}: inputs must have shape (N, "
                             f"{', '.join(map(str, self.input_shape))}), got {x.shape}")
        n, k = len(x), len(self.classes)
        out = np.empty((n, k), np.float32)
        for start in range(0, n, self.batch_size):
            chunk = np.ascontiguousarray(x[start:start + self.batch_size], dtype=np.float32)
            got = self._session.run([self._output], {self._input: chunk})[0]
            if got.shape != (len(chunk), k):
                raise ModelError(f"{self.path}: output shape {got.shape} for {len(chunk)} "
                                 f"inputs, expected ({len(chunk)}, {k})")
            if not np.isfinite(got).all():
                raise ModelError(f"{self.path}: the model outputs NaN or infinite values "
                                 "(a diverged training?)")
            out[start:start + len(chunk)] = got
        return out

    def prepare_images(self, images: np.ndarray | Sequence[np.ndarray]) -> np.ndarray:
        """Images of any size, uint8 gray (H, W) or RGB (H, W, 3), one array (N, H, W[, 3])
        or a list -> the model's input (N, *input_shape) float32: resized with area
        averaging, converted to gray (BT.601) or RGB as the model takes."""
        import cv2

        shape = self.input_shape
        if shape is None or len(shape) not in (2, 3) or (self.task and not self.task.is_image):
            raise InputError(f"{self.path.name}: not an image model (input {shape})")
        chw = len(shape) == 3
        c, h, w = (shape if chw else (1, *shape))
        out = np.empty((len(images), c, h, w), np.float32)
        for i, img in enumerate(images):
            img = np.asarray(img)
            if img.ndim == 3 and img.shape[2] == 1:
                img = img[:, :, 0]
            if img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[2] not in (3, 4)):
                raise InputError(f"image {i}: expected (H, W) gray or (H, W, 3) RGB, got {img.shape}")
            if img.ndim == 3 and img.shape[2] == 4:
                img = img[:, :, :3]
            if c == 1 and img.ndim == 3:
                img = cv2.cvtColor(np.ascontiguousarray(img), cv2.COLOR_RGB2GRAY)
            elif c == 3 and img.ndim == 2:
                img = cv2.cvtColor(np.ascontiguousarray(img), cv2.COLOR_GRAY2RGB)
            if img.shape[:2] != (h, w):
                interp = cv2.INTER_AREA if img.shape[0] >= h else cv2.INTER_LINEAR
                img = cv2.resize(np.ascontiguousarray(img), (w, h), interpolation=interp)
            out[i] = img.reshape(h, w, -1).transpose(2, 0, 1)
        return out if chw else out[:, 0]

    def predict_images(self, images: np.ndarray | Sequence[np.ndarray]) -> np.ndarray:
        """:meth:`predict` of :meth:`prepare_images`."""
        return self.predict(self.prepare_images(images))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r})"


#: Where :func:`quantize_int8` stops: these operators and everything after them stay float
#: (so probabilities still sum to 1 and unit vectors stay unit length).
FLOAT_TAIL_OPS = ("Softmax", "Sigmoid", "LpNormalization", "ReduceL2")
#: How :func:`quantize_int8` quantizes (recorded in the model's metadata and its card).
INT8_SCHEME = ("static int8 QDQ: weights s8 per channel, activations u8 "
               "(onnxruntime quantize_static, min-max calibration)")


def _float_tail(proto) -> list[str]:
    """Names of the nodes from the first output activation on (see :data:`FLOAT_TAIL_OPS`)."""
    consumers: dict[str, list] = {}
    for node in proto.graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    todo = [n for n in proto.graph.node if n.op_type in FLOAT_TAIL_OPS]
    tail: dict[str, None] = {}
    while todo:
        node = todo.pop()
        if node.name in tail:
            continue
        tail[node.name] = None
        for out in node.output:
            todo.extend(consumers.get(out, []))
    return list(tail)


def quantize_int8(src: str | os.PathLike[str], dest: str | os.PathLike[str],
                  calibration: np.ndarray, batch: int = 64) -> Path:
    """Write ``src`` quantized to 8-bit integers at ``dest`` (atomically; returns ``dest``):
    onnxruntime's static quantization in QDQ form, weights signed 8-bit per output channel,
    activations unsigned 8-bit with ranges calibrated (min-max) on ``calibration``, inputs as
    the model takes them (e.g. a few hundred training images, never validation ones). The
    metadata of ``src`` is kept, with ``quantized`` added (the scheme and the calibration
    count). Int8 convolutions run several times faster on CPUs with VNNI and still faster on
    plain AVX2 ones; the caller measures what it costs in accuracy."""
    import tempfile

    import onnx
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    src, dest = Path(src), Path(dest)
    proto = onnx.load(str(src))
    input_name = proto.graph.input[0].name
    calibration = np.asarray(calibration, np.float32)
    if len(calibration) == 0 or not np.isfinite(calibration).all():
        raise InputError("int8 calibration needs some finite example inputs")

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.start = 0

        def get_next(self) -> dict[str, np.ndarray] | None:
            if self.start >= len(calibration):
                return None
            chunk = calibration[self.start:self.start + batch]
            self.start += batch
            return {input_name: chunk}

    with tempfile.TemporaryDirectory() as tmp:
        pre, out = Path(tmp) / "pre.onnx", Path(tmp) / "int8.onnx"
        quant_pre_process(str(src), str(pre), skip_symbolic_shape=True)
        quantize_static(str(pre), str(out), Reader(), quant_format=QuantFormat.QDQ,
                        per_channel=True, activation_type=QuantType.QUInt8,
                        nodes_to_exclude=_float_tail(onnx.load(str(pre))),
                        weight_type=QuantType.QInt8, calibrate_method=CalibrationMethod.MinMax,
                        extra_options={"WeightSymmetric": True, "ActivationSymmetric": False})
        q = onnx.load(str(out))
        del q.metadata_props[:]
        q.metadata_props.extend(proto.metadata_props)
        entry = q.metadata_props.add()
        entry.key = "quantized"
        entry.value = json.dumps({"scheme": INT8_SCHEME, "calibration_inputs": len(calibration)})
        with atomic_path(dest) as final:
            onnx.save(q, str(final))
    return dest


def _shape(shape: Sequence[Any]) -> str:
    return "(" + ", ".join("N" if not isinstance(d, int) else str(d) for d in shape) + ")"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
