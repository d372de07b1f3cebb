"""Input/output helpers shared by every part: atomic writes and tables."""

from moviemotion.io.atomic import (
    atomic_path,
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_text,
    ensure_output_dir,
)
from moviemotion.io.tables import write_table

__all__ = [
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "ensure_output_dir",
    "write_table",
]
