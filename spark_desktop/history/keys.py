"""The key of the encrypted history: where it comes from, the only module that handles it.

Two kinds of key, recorded in a small JSON file beside the database (`<db>.keys.json`,
0600; it holds how to get the key, never the key itself):

- "keyring": a random 256-bit key kept in the OS keyring (Secret Service through the
  `keyring` package), so a normal start asks nothing. The entry is named after a random
  database id, so a database copied to another machine finds no key there.
- "passphrase": a key derived from the user's passphrase with scrypt (memory-hard); the
  salt and cost parameters are stored, the key is not.

Each record carries a check value (an HMAC of a constant under the key) so a wrong
passphrase is told apart from a damaged file without reading the database. During a key
change the file lists the new record before the old one; opening tries them in order, so a
crash halfway through a re-key leaves a database that opens with either.

Headless use: `--passphrase-file F` or SPARK_DESKTOP_PASSPHRASE_FILE. Without a usable
keyring and without a passphrase, `NoKeyStoreError` says the choices; nothing falls back to
plaintext on its own.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from spark_desktop.history.errors import (
    KeyringUnavailableError,
    MissingKeyError,
    NoKeyStoreError,
    PassphraseRequiredError,
    WrongPassphraseError,
)

PASSPHRASE_FILE_ENV: Final = "SPARK_DESKTOP_PASSPHRASE_FILE"
KEYRING_SERVICE: Final = "spark-desktop"
KEY_BYTES: Final = 32
SCRYPT_N: Final = 1 << 15  # 32 MiB with r=8: about 0.1 s here, costly to guess at scale
SCRYPT_R: Final = 8
SCRYPT_P: Final = 1
_CHECK_LABEL: Final = b"spark-desktop history key check v1"
_SQLITE_MAGIC: Final = b"SQLite format 3\x00"

KeyKind = Literal["keyring", "passphrase"]


@dataclass(frozen=True)
class KeyRecord:
    """How to obtain one key of the database: its kind, KDF parameters and check value."""

    kind: KeyKind
    check: str
    keyring_user: str | None = None
    salt: str | None = None
    n: int = SCRYPT_N
    r: int = SCRYPT_R
    p: int = SCRYPT_P

    def to_json(self) -> dict[str, Any]:
        if self.kind == "keyring":
            return {"kind": self.kind, "keyring_user": self.keyring_user, "check": self.check}
        return {"kind": self.kind, "salt": self.salt, "n": self.n, "r": self.r, "p": self.p,
                "check": self.check}


def key_info_path(database: Path) -> Path:
    """The file beside the database that says how to get its key."""
    return database.with_name(database.name + ".keys.json")


def is_plaintext(database: Path) -> bool:
    """True for an existing, non-empty file that starts like an unencrypted SQLite file."""
    try:
        with database.open("rb") as handle:
            return handle.read(16) == _SQLITE_MAGIC
    except FileNotFoundError:
        return False


def is_new(database: Path) -> bool:
    return not database.exists() or database.stat().st_size == 0


def check_value(key: bytes) -> str:
    return hmac.new(key, _CHECK_LABEL, hashlib.sha256).hexdigest()[:32]


def derive(passphrase: str, salt: bytes, n: int = SCRYPT_N, r: int = SCRYPT_R,
           p: int = SCRYPT_P) -> bytes:
    """scrypt: a key from a passphrase that costs memory, not only time, to guess."""
    return hashlib.scrypt(passphrase.encode("utf-8"), salt=salt, n=n, r=r, p=p,
                          maxmem=256 * n * r + (1 << 20), dklen=KEY_BYTES)


def read_records(database: Path) -> list[KeyRecord]:
    """The key records beside `database`, newest first; [] when there is no such file."""
    try:
        raw = json.loads(key_info_path(database).read_text(encoding="utf-8"))
        return [KeyRecord(**entry) for entry in raw["keys"]]
    except FileNotFoundError:
        return []
    except (ValueError, KeyError, TypeError) as exc:
        raise MissingKeyError(database, f"its key file {key_info_path(database)} is damaged "
                              f"({exc})") from exc


def write_records(database: Path, records: Sequence[KeyRecord],
                  target: Path | None = None) -> None:
    """Write the key file atomically (temp file, fsync, rename), 0600."""
    target = target or key_info_path(database)
    temp = target.with_name(target.name + ".tmp")
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    body = json.dumps({"version": 1, "keys": [r.to_json() for r in records]}, indent=2)
    fd = os.open(temp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    try:
        os.write(fd, body.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temp, target)
    fsync_path(target.parent)


def fsync_path(path: Path) -> None:
    """Make a file's or a folder's own writes durable (a rename is a write to its folder)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _system_keyring() -> Any | None:
    """The OS keyring, or None when there is none worth trusting.

    A backend the user chose (PYTHON_KEYRING_BACKEND, keyringrc.cfg) is used as chosen;
    otherwise only a recommended one (priority >= 1: Secret Service, KWallet, macOS), so a
    plaintext file keyring that happens to be installed is never picked silently."""
    import keyring
    import keyring.core
    from keyring.backends import fail

    chosen = keyring.core.load_env() or keyring.core.load_config()
    backend = chosen or keyring.get_keyring()
    if isinstance(backend, fail.Keyring):
        return None
    if chosen is None and not keyring.core.recommended(backend):
        return None
    return backend


def read_passphrase_file(path: str | os.PathLike[str]) -> str:
    """The passphrase in a file: its first line, without the line break."""
    try:
        text = Path(path).expanduser().read_text(encoding="utf-8")
    except OSError as exc:
        raise NoKeyStoreError(f"The passphrase file {path} cannot be read ({exc.strerror}).") \
            from exc
    passphrase = text.splitlines()[0] if text else ""
    if not passphrase:
        raise NoKeyStoreError(f"The passphrase file {path} is empty.")
    return passphrase


@dataclass(frozen=True)
class KeySource:
    """What this process can offer to unlock or create an encrypted history.

    passphrase: the user's passphrase (from a prompt or a file), if any.
    keyring: a keyring backend; None means the OS keyring (resolved when needed).
    use_keyring: False to never touch a keyring (passphrase-only)."""

    passphrase: str | None = field(default=None, repr=False)
    keyring: Any | None = None
    use_keyring: bool = True

    def _backend(self) -> Any | None:
        if not self.use_keyring:
            return None
        return self.keyring if self.keyring is not None else _system_keyring()

    def new_record(self) -> tuple[KeyRecord, bytes]:
        """A fresh key: from the passphrase when there is one, else random in the keyring."""
        if self.passphrase is not None:
            salt = secrets.token_bytes(16)
            key = derive(self.passphrase, salt)
            return KeyRecord(kind="passphrase", check=check_value(key),
                             salt=base64.b64encode(salt).decode("ascii")), key
        backend = self._backend()
        if backend is None:
            raise NoKeyStoreError()
        key = secrets.token_bytes(KEY_BYTES)
        user = f"history-{uuid.uuid4().hex}"
        try:
            backend.set_password(KEYRING_SERVICE, user, key.hex())
        except Exception as exc:
            raise KeyringUnavailableError(str(exc)) from exc
        return KeyRecord(kind="keyring", check=check_value(key), keyring_user=user), key

    def candidates(self, database: Path, records: Sequence[KeyRecord]) -> list[bytes]:
        """The keys this source can produce for `records`, in their order.

        Raises PassphraseRequiredError, WrongPassphraseError or MissingKeyError, with the
        reason that fits, when it can produce none."""
        keys: list[bytes] = []
        wants_passphrase = any(r.kind == "passphrase" for r in records)
        for record in records:
            key = self._key_for(record)
            if key is not None and hmac.compare_digest(check_value(key), record.check):
                keys.append(key)
        if keys:
            return keys
        if wants_passphrase and self.passphrase is None:
            raise PassphraseRequiredError(database)
        if wants_passphrase:
            raise WrongPassphraseError(database)
        raise MissingKeyError(database, "the key it was encrypted with is not in this "
                              "machine's keyring (was the database copied from another "
                              "machine, or the keyring entry deleted?)")

    def _key_for(self, record: KeyRecord) -> bytes | None:
        if record.kind == "passphrase":
            if self.passphrase is None or record.salt is None:
                return None
            return derive(self.passphrase, base64.b64decode(record.salt),
                          record.n, record.r, record.p)
        backend = self._backend()
        if backend is None or record.keyring_user is None:
            return None
        try:
            stored = backend.get_password(KEYRING_SERVICE, record.keyring_user)
        except Exception as exc:
            raise KeyringUnavailableError(str(exc)) from exc
        try:
            return bytes.fromhex(stored) if stored else None
        except ValueError:
            return None

    def forget(self, records: Sequence[KeyRecord]) -> None:
        """Delete the keyring entries of records no longer in use (best effort)."""
        backend = self._backend()
        for record in records:
            if record.kind == "keyring" and backend is not None:
                try:
                    backend.delete_password(KEYRING_SERVICE, record.keyring_user)
                except Exception:  # noqa: BLE001,S110 - already gone is fine
                    pass


_session: dict[str, str] = {}  # the passphrase the GUI asked for at start, for this process


def remember_passphrase(passphrase: str) -> None:
    """Keep the passphrase the user typed at start for every later open in this process."""
    _session["passphrase"] = passphrase


def passphrase_remembered() -> bool:
    return "passphrase" in _session


def app_key_source() -> KeySource:
    """The key source of the app: the passphrase typed at start (GUI) or the passphrase
    file if one is configured, with the OS keyring as well."""
    if "passphrase" in _session:
        return KeySource(passphrase=_session["passphrase"])
    file = os.environ.get(PASSPHRASE_FILE_ENV)
    if file:
        return KeySource(passphrase=read_passphrase_file(file))
    return KeySource()


def needs_passphrase(database: Path) -> bool:
    """True when the history opens only with a passphrase and none is at hand yet, so the
    GUI should ask for it before opening."""
    if is_new(database) or is_plaintext(database):
        return False
    records = read_records(database)
    if not records or any(r.kind == "keyring" for r in records):
        return False
    return "passphrase" not in _session and not os.environ.get(PASSPHRASE_FILE_ENV)


def passphrase_matches(database: Path, passphrase: str) -> bool:
    """Whether `passphrase` is one the key file expects (reads only the key file)."""
    try:
        KeySource(passphrase=passphrase, use_keyring=False).candidates(
            database, read_records(database))
    except (WrongPassphraseError, PassphraseRequiredError, MissingKeyError):
        return False
    return True


def configure(passphrase_file: str | os.PathLike[str] | None) -> None:
    """Apply `--passphrase-file`; it travels to child processes via the environment."""
    if passphrase_file is not None:
        os.environ[PASSPHRASE_FILE_ENV] = str(Path(passphrase_file).expanduser().resolve())


def database_key(database: Path, source: KeySource | None) -> list[bytes] | None:
    """The candidate keys to open `database` with; None to open it as plain SQLite.

    An existing plaintext history stays plaintext until the user converts it; a new one is
    encrypted whenever a key source is given. Creating a key writes the key file only; the
    database file itself is never touched here."""
    if is_plaintext(database):
        return None
    if is_new(database):
        if source is None:
            return None
        record, key = source.new_record()
        write_records(database, [record])
        return [key]
    records = read_records(database)
    if not records:
        return None  # damaged, or encrypted and its key file lost: database.py says so
    if source is None:
        if any(r.kind == "passphrase" for r in records):
            raise PassphraseRequiredError(database)
        raise MissingKeyError(database, "it is encrypted and was opened without its key")
    return source.candidates(database, records)
