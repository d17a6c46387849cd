"""Random access to a GGUF file on the Hub through HTTP byte ranges.

The GGUF reader (spark_desktop.gguf) asks for a growing prefix of the file, so a
header costs a few range requests and the weights are never fetched.
"""

from __future__ import annotations

from huggingface_hub.utils import hf_raise_for_status

from spark_desktop.hub import session
from spark_desktop.hub.errors import DownloadError


class HttpByteSource:
    """ByteSource (see spark_desktop.gguf.spec) over `GET Range:` on one Hub file."""

    def __init__(self, repo: str, path: str, revision: str, size: int) -> None:
        self.name = path.rsplit("/", 1)[-1]
        self.url = session.file_url(repo, path, revision)
        self._size = size
        self.requests = 0
        self.bytes_fetched = 0

    def size(self) -> int:
        return self._size

    def read(self, offset: int, length: int) -> bytes:
        last = min(offset + length, self._size) - 1
        if last < offset:
            return b""
        headers = session.headers()
        headers["Range"] = f"bytes={offset}-{last}"
        response = session.client().get(self.url, headers=headers, timeout=30.0)
        self.requests += 1
        if response.status_code >= 400:
            hf_raise_for_status(response)
        if response.status_code not in (200, 206):
            raise DownloadError(f"The Hub answered {response.status_code} for {self.name}.")
        body = response.content
        if response.status_code == 200:  # the server ignored the range
            body = body[offset:last + 1]
        self.bytes_fetched += len(body)
        return body
