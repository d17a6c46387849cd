"""Random access to a GGUF file on the Hub through HTTP byte ranges.

The GGUF reader (spark_desktop.gguf) asks for a growing prefix of the file, so a
header costs a few range requests and the weights are never fetched. Each range is
retried like a download (hub.retry): a 503 or a dropped connection costs a short
wait, not the whole header.
"""

from __future__ import annotations

import httpx2
from huggingface_hub.utils import hf_raise_for_status

from spark_desktop.hub import retry, session
from spark_desktop.hub.errors import DownloadError
from spark_desktop.hub.retry import RetryPolicy


class HttpByteSource:
    """ByteSource (see spark_desktop.gguf.spec) over `GET Range:` on one Hub file."""

    def __init__(self, repo: str, path: str, revision: str, size: int,
                 policy: RetryPolicy | None = None) -> None:
        self.name = path.rsplit("/", 1)[-1]
        self.url = session.file_url(repo, path, revision)
        self.policy = policy or retry.HEADER_READS
        self._size = size
        self.requests = 0
        self.bytes_fetched = 0

    def size(self) -> int:
        return self._size

    def read(self, offset: int, length: int) -> bytes:
        last = min(offset + length, self._size) - 1
        if last < offset:
            return b""
        body = retry.call(lambda: self._get(offset, last), self.policy)
        self.bytes_fetched += len(body)
        return body

    def _get(self, offset: int, last: int) -> bytes:
        """One try: the bytes [offset, last], or the Hub's error as huggingface_hub types it."""
        headers = session.headers()
        headers["Range"] = f"bytes={offset}-{last}"
        self.requests += 1
        timeout = httpx2.Timeout(self.policy.read_timeout, connect=self.policy.connect_timeout)
        response = session.client().get(self.url, headers=headers, timeout=timeout)
        if response.status_code >= 400:
            hf_raise_for_status(response)
        if response.status_code not in (200, 206):
            raise DownloadError(f"The Hub answered {response.status_code} for {self.name}.")
        body = response.content
        if response.status_code == 200:  # the server ignored the range
            body = body[offset:last + 1]
        return body
