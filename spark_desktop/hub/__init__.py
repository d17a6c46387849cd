"""Hugging Face Hub: search GGUF repositories, list their variants, download them.

The only package that speaks HTTP to the Hub; it uses huggingface_hub for URLs,
token, metadata and the cache layout.
"""

from spark_desktop.hub.downloads import DownloadProgress, Downloads, State
from spark_desktop.hub.errors import (
    ChecksumError,
    DiskFullError,
    DownloadError,
    HubAccessError,
    HubBusyError,
    OfflineError,
    RepoNotFoundError,
    UnsafeFileNameError,
    VariantNotFoundError,
)
from spark_desktop.hub.retry import RetryPolicy
from spark_desktop.hub.search import SearchResult, search
from spark_desktop.hub.variants import (
    HubFile,
    RepoFiles,
    Variant,
    VariantFit,
    choose,
    find_variant,
    fit_all,
    fit_function,
    is_reference,
    list_variants,
    remote_spec,
)

__all__ = [
    "ChecksumError", "DiskFullError", "DownloadError", "DownloadProgress", "Downloads",
    "HubAccessError", "HubBusyError", "HubFile", "OfflineError", "RepoFiles",
    "RepoNotFoundError", "RetryPolicy", "SearchResult", "State", "UnsafeFileNameError",
    "Variant", "VariantFit", "VariantNotFoundError", "choose", "find_variant", "fit_all",
    "fit_function", "is_reference", "list_variants", "remote_spec", "search",
]
