"""A folder of images as a frame source, with the same interface as a video.

Images are read in natural sort order (``frame2.png`` before ``frame10.png``) and
timestamped ``i / fps``.

Example
-------
>>> from moviemotion.video import open_source
>>> with open_source("frames/", image_fps=25) as src:   # doctest: +SKIP
...     for t, rgb in src.frames(fps=1):
...         ...
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from moviemotion.errors import VideoError
from moviemotion.video.reader import DecodeStatus, FrameMode, VideoInfo

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"}


def _natural_key(p: Path) -> list:
    return [int(s) if s.isdigit() else s.lower() for s in re.split(r"(\d+)", p.name)]


class ImageFolderSource:
    """Frames from the images of one folder, at a fixed nominal ``fps``."""

    def __init__(self, folder: str | os.PathLike[str], fps: float = 25.0):
        self.path = Path(folder)
        if not self.path.is_dir():
            raise VideoError(f"{self.path}: no such folder")
        if not fps > 0:
            raise ValueError("fps must be positive")
        self.files = sorted(
            (p for p in self.path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES), key=_natural_key
        )
        if not self.files:
            raise VideoError(f"{self.path}: the folder holds no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
        first = self._read(self.files[0], cv2.IMREAD_COLOR)
        h, w = first.shape[:2]
        self.fps = float(fps)
        self.info = VideoInfo(
            path=str(self.path), duration=len(self.files) / self.fps, fps=self.fps, width=w,
            height=h, rotation=0, frame_count=len(self.files), codec="images", pix_fmt="bgr24",
            color_range="full", color_matrix="unknown",
        )

    @staticmethod
    def _read(path: Path, flag: int) -> np.ndarray:
        img = cv2.imread(str(path), flag)
        if img is None:
            raise VideoError(f"{path}: not a readable image")
        return img

    def frames(
        self,
        fps: float | None = None,
        mode: FrameMode = "rgb",
        full_range: bool = True,
        apply_rotation: bool = True,
        start: float = 0.0,
        end: float | None = None,
        size: tuple[int, int] | None = None,
        interpolation: str | None = None,
    ) -> Iterator[tuple[float, np.ndarray]]:
        """Yield ``(t, frame)`` like :meth:`VideoReader.frames`."""
        n = len(self.files)
        times = np.arange(n) / self.fps
        if fps:
            step = 1.0 / fps
            targets = np.arange(start, (end if end is not None else n / self.fps), step)
            idx = np.unique(np.clip(np.searchsorted(times, targets + 1e-6, side="right") - 1, 0, n - 1))
        else:
            idx = np.arange(n)
        flag = cv2.IMREAD_GRAYSCALE if mode == "gray" else cv2.IMREAD_COLOR
        resize_flag = cv2.INTER_AREA if interpolation in (None, "AREA") else cv2.INTER_LINEAR
        for i in idx:
            t = float(times[i])
            if t < start - 1e-6 or (end is not None and t >= end - 1e-6):
                continue
            img = self._read(self.files[i], flag)
            if size is not None:
                img = cv2.resize(img, size, interpolation=resize_flag)
            if mode == "rgb":
                img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
            yield t, img

    def decoded(self, *, audio_rate: int | None = None, start: float = 0.0,
                status: DecodeStatus | None = None
                ) -> Iterator[tuple[str, float, np.ndarray]]:
        """``("video", t, bgr image)`` for every image (no audio), like
        :meth:`VideoReader.decoded`; convert with :meth:`converter`."""
        status = status if status is not None else DecodeStatus()
        for i, path in enumerate(self.files):
            t = i / self.fps
            if t < start - 1e-6:
                continue
            img = self._read(path, cv2.IMREAD_COLOR)
            status.video_frames += 1
            status.last_video_time = t
            yield "video", t, img

    def converter(self, mode: FrameMode = "rgb", full_range: bool = True,
                  size: tuple[int, int] | None = None, interpolation: str | None = None,
                  apply_rotation: bool = True):
        """A function ``bgr image -> np.ndarray`` in ``mode`` and ``size``."""
        if mode not in ("rgb", "bgr", "gray"):
            raise ValueError(f"mode must be 'rgb', 'bgr' or 'gray', not {mode!r}")
        resize_flag = cv2.INTER_AREA if interpolation in (None, "AREA") else cv2.INTER_LINEAR
        code = {"rgb": cv2.COLOR_BGR2RGB, "gray": cv2.COLOR_BGR2GRAY}.get(mode)

        def convert(img: np.ndarray) -> np.ndarray:
            if size is not None and (img.shape[1], img.shape[0]) != tuple(size):
                img = cv2.resize(img, tuple(size), interpolation=resize_flag)
            return cv2.cvtColor(img, code) if code is not None else img

        return convert

    def close(self) -> None:
        pass

    def __enter__(self) -> ImageFolderSource:
        return self

    def __exit__(self, *exc) -> None:
        pass

    def __repr__(self) -> str:
        return f"ImageFolderSource({str(self.path)!r}, {len(self.files)} images, {self.fps} fps)"


