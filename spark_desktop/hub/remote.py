"""Random access to a GGUF file on the Hub through HTTP byte ranges.

The GGUF reader asks for small pieces of the header; each miss fetches a block of
at least MIN_FETCH bytes (growing with the request), so a whole header costs a few
requests and never the whole file.
"""

from __future__ import annotations

from spark_desktop.hub import session
from spark_desktop.hub.errors import DownloadError

MIN_FETCH = 512 * 1024


class HttpByteSource:
    """ByteSource (see spark_desktop.gguf.spec) over `GET Range:` on a Hub file."""

    def __init__(self, repo: str, path: str, revision: str, size: int) -> None:
        self.name = path.rsplit("/", 1)[-1]
        self.url = session.file_url(repo, path, revision)
        self._size = size
        self._start = 0
        self._data = b""
        self.requests = 0

    def size(self) -> int:
        return self._size

    def read(self, offset: int, length: int) -> bytes:
        end = min(offset + length, self._size)
        if offset >= end:
            return b""
        if not (self._start <= offset and end <= self._start + len(self._data)):
            self._fetch(offset, max(end - offset, MIN_FETCH, 2 * len(self._data)))
        return self._data[offset - self._start:end - self._start]

    def _fetch(self, offset: int, length: int) -> None:
        last = min(offset + length, self._size) - 1
        headers = session.headers()
        headers["Range"] = f"bytes={offset}-{last}"
        response = session.client().get(self.url, headers=headers, timeout=30.0)
        self.requests += 1
        if response.status_code not in (200, 206):
            from huggingface_hub.utils import hf_raise_for_status

            hf_raise_for_status(response)
            raise DownloadError(f"The Hub answered {response.status_code} for {self.name}.")
        body = response.content
        if response.status_code == 200:  # server ignored the range
            body = body[offset:last + 1]
        self._start, self._data = offset, body
