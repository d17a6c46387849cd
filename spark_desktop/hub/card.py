"""A repository's model card (README.md) and whether the user is logged in to the Hub.

The GUI shows both; they live here because only the hub package speaks to the Hub.
"""

from __future__ import annotations

from huggingface_hub import get_token
from huggingface_hub.utils import hf_raise_for_status

from spark_desktop.hub import retry, session
from spark_desktop.hub.errors import OfflineError
from spark_desktop.hub.names import check_repo_id

#: Model cards longer than this are cut (a card is prose, not data).
MAX_CARD_BYTES = 512 * 1024


def model_card(repo: str, revision: str = "main") -> str:
    """The README.md of `repo` as Markdown ("" when the repository has none)."""
    check_repo_id(repo)
    if session.is_offline():
        raise OfflineError("You are offline; the model card needs the internet.")

    def fetch() -> bytes:
        response = session.client().get(session.file_url(repo, "README.md", revision),
                                         headers=session.headers(), timeout=20.0)
        if response.status_code == 404:
            return b""
        hf_raise_for_status(response)
        return response.content

    with session.hub_errors(repo):
        content = retry.call(fetch)
    return content[:MAX_CARD_BYTES].decode("utf-8", errors="replace")


def logged_in() -> bool:
    """True when a Hub token is present (`hf auth login` or HF_TOKEN); no network used."""
    return bool(get_token())
