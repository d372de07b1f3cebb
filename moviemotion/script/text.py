"""Reading text files whose encoding nobody wrote down, and normalizing words for matching.

Subtitle and screenplay files come as UTF-8 (with or without a byte-order mark), UTF-16 with a
mark, or Windows cp1252 (Western European releases). :func:`read_text` tries, in this order,
UTF-8 with BOM / UTF-16 with BOM (by the mark), strict UTF-8, then strict cp1252, and refuses a
file that decodes under none of them or that holds binary control bytes.

>>> normalize("You're lucky, your blood's still flowing .")
'youre lucky your bloods still flowing'
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from moviemotion.errors import InputError

_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
# control bytes that never appear in text (tab, newlines, form feed are allowed)
_BINARY = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def read_text(path: str | Path, what: str = "text file") -> tuple[str, str]:
    """``(text, encoding)`` of a text file; one-line :class:`InputError` when unreadable."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such {what}" if not p.exists() else f"{p}: not a file")
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(f"{p}: cannot read the {what} ({exc.strerror})") from None
    if not data.strip():
        raise InputError(f"{p}: the {what} is empty")
    encodings = [enc for bom, enc in _BOMS if data.startswith(bom)][:1] or ["utf-8", "cp1252"]
    for enc in encodings:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if _BINARY.search(text):
            raise InputError(f"{p}: not a {what} (binary data; is it the right file?)")
        return text.replace("\r\n", "\n").replace("\r", "\n"), enc
    raise InputError(f"{p}: cannot decode the {what} (neither UTF-8 nor cp1252; "
                     "re-save it as UTF-8)")


_DROP = re.compile(r"[^\w\s]")
_SPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """Lower case, accents and punctuation dropped, spaces collapsed: what fuzzy matching sees."""
    t = unicodedata.normalize("NFKD", text)
    t = "".join(c for c in t if not unicodedata.combining(c))
    return _SPACE.sub(" ", _DROP.sub("", t.lower().replace("-", " "))).strip()


def words(text: str) -> int:
    """Number of words."""
    return len(text.split())
