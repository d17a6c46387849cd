"""The one module that knows where files live.

Everything else asks here. The data folder (settings, database, logs) comes from
platformdirs unless `--data-dir` or SPARK_DESKTOP_DATA_DIR says otherwise; the
models folder defaults to the Hugging Face cache (shared with `hf` and other tools)
unless `--models-dir` or SPARK_DESKTOP_MODELS_DIR says otherwise.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "spark-desktop"
DATA_ENV = "SPARK_DESKTOP_DATA_DIR"
MODELS_ENV = "SPARK_DESKTOP_MODELS_DIR"


def configure(data_dir: str | os.PathLike[str] | None = None,
              models_dir: str | os.PathLike[str] | None = None) -> None:
    """Apply command-line overrides; they travel to child processes via the environment."""
    if data_dir is not None:
        os.environ[DATA_ENV] = str(Path(data_dir).expanduser().resolve())
    if models_dir is not None:
        os.environ[MODELS_ENV] = str(Path(models_dir).expanduser().resolve())


def _private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)
    return path


def data_dir() -> Path:
    """Settings, database and logs; created 0700 on first use."""
    override = os.environ.get(DATA_ENV)
    path = Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME))
    return _private_dir(path)


def hf_cache_dir() -> Path:
    """The Hugging Face hub cache as `huggingface_hub` resolves it (HF_HUB_CACHE, HF_HOME)."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    home = os.environ.get("HF_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "huggingface")
    return Path(home).expanduser() / "hub"


def models_dir() -> Path:
    """Where downloads go: the override, else the Hugging Face hub cache."""
    override = os.environ.get(MODELS_ENV)
    path = Path(override) if override else hf_cache_dir()
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_path() -> Path:
    return data_dir() / "history.sqlite3"


def settings_path() -> Path:
    return data_dir() / "settings.json"


def mcp_config_path() -> Path:
    """The MCP servers the person configured (the `mcpServers` JSON other apps use; 0600:
    its env and headers may hold keys)."""
    return data_dir() / "mcp.json"


def log_dir() -> Path:
    return _private_dir(data_dir() / "logs")


def imports_dir() -> Path:
    """Single GGUF files the user imported (linked or copied here)."""
    return data_dir() / "imports"


def library_cache_path() -> Path:
    """Cached GGUF headers of the library, keyed by path, size and mtime."""
    return data_dir() / "library-headers.json"


def downloads_state_path() -> Path:
    """The download queue, so downloads resume after a restart."""
    return data_dir() / "downloads.json"


def window_state_path() -> Path:
    """Window geometry and last page (QSettings INI file)."""
    return data_dir() / "window.ini"


def engine_log_path() -> Path:
    """The worker's log: llama.cpp's own output and the worker's stderr."""
    return log_dir() / "engine.log"


def backend_quirks_path() -> Path:
    """CPU features of llama.cpp turned off on this machine, per backend build."""
    return data_dir() / "backend-quirks.json"


def measured_runs_path() -> Path:
    """Decode and prefill speeds measured on this machine, one JSON line per reply."""
    return data_dir() / "measured-runs.jsonl"


def model_engine_log_path(model_id: str) -> Path:
    """The worker log of one model the host holds (each worker its own file)."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in model_id)
    return log_dir() / f"engine-{safe}.log"


def host_token_path() -> Path:
    """The per-user token by which this user's processes reach the running host (0600)."""
    return data_dir() / "host-token"


def api_keys_path() -> Path:
    """The app's API keys for its server, one `name key` per line (0600)."""
    return data_dir() / "api-keys"


def host_discovery_path() -> Path:
    """Where the running host says it listens (address, port, process id)."""
    return data_dir() / "host.json"
def rpc_cache_dir() -> Path:
    """Where `rpc-server --cache` keeps tensors peers sent, so a reload skips the network."""
    return _private_dir(data_dir() / "rpc-cache")
