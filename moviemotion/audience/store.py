"""Per-recording results on disk (``<output>/recordings/<label>.parquet``): resume and reuse.

Each finished recording is written atomically with its resume key in the Parquet
metadata: the analysis settings' fingerprint, the source file's size and modification
time, and a SHA-256 of its absolute path (the path itself is not stored: file names often
name people). A re-run with the same output folder loads a stored result when the key
matches and redoes the recording otherwise. Labels and offsets are not part of the key:
changing them only recomputes the timeline.

The table is a :class:`~moviemotion.signals.Signals` ``frames`` table whose ``time`` is the
**recording** time (movie time = ``time + offset``). Stored: sample times, face boxes, track
ids and emotion probabilities. No pixels.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from moviemotion.audience.manifest import Recording
from moviemotion.audience.recording import RecordingFaces, RecordingSettings
from moviemotion.io import write_table

RECORDINGS_DIR = "recordings"


def stored_path(out_dir: Path, rec: Recording) -> Path:
    return Path(out_dir) / RECORDINGS_DIR / f"{rec.label}.parquet"


def source_key(rec: Recording) -> dict:
    """What identifies the source file's content cheaply: a hash of its absolute path (never
    the path itself), its size and its modification time."""
    st = rec.path.stat()
    path_hash = hashlib.sha256(str(rec.path.resolve()).encode("utf-8", "surrogateescape")).hexdigest()
    return {"path_sha256": path_hash[:32], "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def save(out_dir: Path, rec: Recording, faces: RecordingFaces, settings: RecordingSettings) -> Path:
    """Write ``faces`` for ``rec`` atomically; returns the file."""
    sig = faces.signals()
    meta = {
        "moviemotion": json.dumps(sig.metadata()),
        "moviemotion.fingerprint": settings.fingerprint(),
        "moviemotion.key": json.dumps(source_key(rec)),
        "moviemotion.video": json.dumps({"duration": faces.duration, "frame_fps": faces.frame_fps,
                                         "width": faces.width, "height": faces.height}),
        "moviemotion.stats": json.dumps(faces.stats),
    }
    return write_table(sig.table, stored_path(out_dir, rec), metadata=meta)


def load(out_dir: Path, rec: Recording, settings: RecordingSettings) -> RecordingFaces | None:
    """The stored result for ``rec`` if it exists and matches settings and source, else None."""
    path = stored_path(out_dir, rec)
    if not path.is_file():
        return None
    try:
        table: pa.Table = pq.read_table(path)
        meta = {k.decode(): v.decode() for k, v in (table.schema.metadata or {}).items()}
        if meta.get("moviemotion.fingerprint") != settings.fingerprint():
            return None
        if json.loads(meta["moviemotion.key"]) != source_key(rec):
            return None
        video = json.loads(meta["moviemotion.video"])
        stats = json.loads(meta.get("moviemotion.stats", "{}"))
    except (OSError, KeyError, ValueError, pa.ArrowException):
        return None  # unreadable or foreign: redo it
    table = table.replace_schema_metadata(None)
    stats["reused"] = True
    return RecordingFaces(table, video["duration"], video["frame_fps"], video["width"], video["height"], stats)
