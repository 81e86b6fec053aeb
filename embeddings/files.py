"""Files that are either the old version or the new one, never a torn mix: what a kill -9 may interrupt.

A file is written beside its target under a temporary name, flushed to disk, and renamed over the
target (`os.replace` is atomic on POSIX). A reader that finds a file therefore finds a whole one;
which *version* it is, the manifest's digests tell.
"""

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def write_atomic(path: Path, write: Callable[[str], object]) -> None:
    """Call `write(temporary_path)`, then put the result in place of `path` in one step."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        _fsync(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync(str(path.parent))  # the rename itself, for a power cut rather than a kill


def write_text_atomic(path: Path, text: str) -> None:
    write_atomic(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def digest(path: Path) -> str:
    """SHA-256 of a file (about 1 GB/s: 0.15 s for the index of 100,000 units)."""
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _fsync(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
