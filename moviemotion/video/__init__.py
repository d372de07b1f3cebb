"""Video input: a streaming reader on PyAV, image folders as frame sources, and test media.

>>> from moviemotion.video import open_source
>>> with open_source("movie.mp4") as src:          # doctest: +SKIP
...     for t, luma in src.frames(fps=2, mode="gray"):
...         pass
"""

from __future__ import annotations

import os
from pathlib import Path

from moviemotion.video.images import ImageFolderSource
from moviemotion.video.reader import (
    FrameMode,
    TruncatedVideoWarning,
    VideoInfo,
    VideoReader,
    open_video,
    probe,
)

FrameSource = VideoReader | ImageFolderSource


def open_source(path: str | os.PathLike[str], image_fps: float = 25.0) -> FrameSource:
    """Open a video file, or a folder of images (timestamped at ``image_fps``)."""
    p = Path(path)
    if p.is_dir():
        return ImageFolderSource(p, fps=image_fps)
    return VideoReader(p)


__all__ = [
    "FrameMode",
    "FrameSource",
    "ImageFolderSource",
    "TruncatedVideoWarning",
    "VideoInfo",
    "VideoReader",
    "open_source",
    "open_video",
    "probe",
]
