"""Sparse stand-ins for GGUF files: the real header at the real size, no weights.

llama.cpp's `no_alloc` dry run needs only the header and the file size to report
exactly the buffers a real load would allocate, so a stub lets the fit estimate be
confirmed for a model that is remote or not yet downloaded, for the cost of its header.
The one writer of such files: the dry run, tests, benchmarks and tools all use it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from spark_desktop.gguf.errors import GGUFError
from spark_desktop.gguf.reader import read_header
from spark_desktop.gguf.spec import ByteSource


def write_sparse(path: str | os.PathLike[str], header: bytes, size: int) -> Path:
    """Write `header` followed by a hole up to `size` bytes (zeros, not stored on disk)."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as f:
            f.write(header)
            f.truncate(max(size, len(header)))
    except OSError as exc:
        raise GGUFError(f"Cannot write a header stub to {path}: {exc.strerror or exc}.") from None
    return path


def write_stub(sources: Sequence[ByteSource], directory: str | os.PathLike[str]) -> list[Path]:
    """Write one sparse stub per part (named like the parts) into `directory`; return paths.

    Pass the parts in order; the first returned path is what llama.cpp should open.
    """
    paths = []
    for source in sources:
        header = read_header(source, keep_bytes=True)
        paths.append(write_sparse(Path(directory) / Path(source.name).name,
                                  header.header_bytes, header.file_size))
    return paths


@contextmanager
def temporary_stub(sources: Sequence[ByteSource]) -> Iterator[Path]:
    """The stub of a model (e.g. one not downloaded) in a temporary folder, removed on exit;
    yields the path llama.cpp should open."""
    with tempfile.TemporaryDirectory(prefix="spark-desktop-stub-") as folder:
        yield write_stub(sources, folder)[0]
