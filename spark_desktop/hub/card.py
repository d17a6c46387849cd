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


def card_license(repo: str, revision: str = "main") -> str | None:
    """The licence the model card's metadata names (`license:`; `license_name:` for
    "other"), or None when the card has none or its metadata cannot be parsed."""
    from huggingface_hub import RepoCard

    markdown = model_card(repo, revision)
    try:
        data = RepoCard(markdown).data
    except Exception:  # noqa: BLE001 (a card's broken YAML leaves the licence unknown)
        return None
    value = data.get("license")
    if value == "other" and data.get("license_name"):
        value = data.get("license_name")
    return str(value) if value else None


def logged_in() -> bool:
    """True when a Hub token is present (`hf auth login` or HF_TOKEN); no network used."""
    return bool(get_token())
