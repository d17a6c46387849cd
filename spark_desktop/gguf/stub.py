"""Sparse stand-ins for GGUF files: the real header at the real size, no weights.

llama.cpp's `no_alloc` dry run needs only the header and the file size to report
exactly the buffers a real load would allocate, so a stub lets the fit estimate be
confirmed for a model that is remote or not yet downloaded, for the cost of its header.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from spark_desktop.gguf.errors import GGUFError
from spark_desktop.gguf.reader import read_header
from spark_desktop.gguf.spec import ByteSource


def write_stub(sources: Sequence[ByteSource], directory: str | os.PathLike[str]) -> list[Path]:
    """Write one sparse stub per part (named like the parts) into `directory`; return paths.

    Pass the parts in order; the first returned path is what llama.cpp should open.
    """
    out_dir = Path(directory)
    paths = []
    for source in sources:
        header = read_header(source, keep_bytes=True)
        path = out_dir / Path(source.name).name
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
            with path.open("wb") as f:
                f.write(header.header_bytes)
                f.truncate(header.file_size)
        except OSError as exc:
            raise GGUFError(f"Cannot write a header stub to {path}: {exc.strerror or exc}.") from None
        paths.append(path)
    return paths
