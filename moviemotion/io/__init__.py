"""Input/output helpers shared by every part: atomic writes, tables, a lock per output folder."""

from moviemotion.io.atomic import (
    atomic_path,
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_text,
    ensure_output_dir,
    is_temp_file,
    remove_stale_temps,
)
from moviemotion.io.lock import folder_lock
from moviemotion.io.reading import read_csv_rows, read_image, read_text
from moviemotion.io.tables import write_table

__all__ = [
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "ensure_output_dir",
    "folder_lock",
    "is_temp_file",
    "remove_stale_temps",
    "read_csv_rows",
    "read_image",
    "read_text",
    "write_table",
]
