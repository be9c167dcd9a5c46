"""Encryption of personal data at rest (AES-GCM) and blind indexes for exact look-ups
(HMAC-SHA256), docs/decisions/0028-field-encryption.md.

A stored value reads `v1:<key id>:<base64 of nonce + ciphertext + tag>`: the version says how to
read the rest, the key id which key of the ring opens it, so `rotate_field_keys` knows what to
re-encrypt. The associated data names the table and column, so a value copied into another
column (or another table) does not open there.

Keys come from CIVICDESK_FIELD_KEYS ("k2:<base64>,k1:<base64>": the first encrypts, all
decrypt) or the file CIVICDESK_FIELD_KEYS_FILE (the same text, commas or lines), and the index
key from CIVICDESK_INDEX_KEY / CIVICDESK_INDEX_KEY_FILE. With none set, development and tests get
keys generated once into <var>/keys/ (owner-only); production refuses to start (the system check
below)."""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import os
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed

FORMAT_VERSION = "v1"
KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12  # the size AES-GCM is specified for
INDEX_HEX_LENGTH = 32  # 128 bits of HMAC: no collisions in practice, half the column size
DEV_FIELD_KEYS_FILE = "field_keys"
DEV_INDEX_KEY_FILE = "index_key"
_KEY_SETTINGS = (
    "CIVICDESK_FIELD_KEYS",
    "CIVICDESK_FIELD_KEYS_FILE",
    "CIVICDESK_INDEX_KEY",
    "CIVICDESK_INDEX_KEY_FILE",
    "CIVICDESK_KEY_DIR",
    "DEBUG",
)


class DecryptionError(Exception):
    """A stored value that does not open: tampered, moved from another column, or under a key
    that is not in the ring. Never answered with a blank: that would hide the damage."""


@dataclass(frozen=True)
class Keyring:
    keys: dict[str, bytes]
    current: str

    @property
    def current_key(self) -> bytes:
        return self.keys[self.current]


# --- keys ------------------------------------------------------------------------------------


def parse_keys(text: str) -> Keyring:
    """ "k2:<base64>,k1:<base64>" (commas or new lines) -> a ring whose first key encrypts."""
    keys: dict[str, bytes] = {}
    current = ""
    for item in text.replace("\n", ",").split(","):
        item = item.strip()
        if not item or item.startswith("#"):
            continue
        key_id, sep, encoded = item.partition(":")
        key_id = key_id.strip()
        if not sep or not key_id or not key_id.isalnum():
            raise ImproperlyConfigured(
                "Field encryption keys are written 'id:base64key' with a letters-and-digits id, "
                "separated by commas."
            )
        key = _decode_key(key_id, encoded.strip())
        if key_id in keys:
            raise ImproperlyConfigured(f"Field encryption key id {key_id!r} is given twice.")
        keys[key_id] = key
        current = current or key_id
    if not keys:
        raise ImproperlyConfigured("No field encryption key is given.")
    return Keyring(keys=keys, current=current)


def _decode_key(key_id: str, encoded: str) -> bytes:
    try:
        key = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        key = b""
    if len(key) != KEY_BYTES:
        raise ImproperlyConfigured(
            f"Field encryption key {key_id!r} must be {KEY_BYTES} random bytes in base64 "
            "(python -c 'import os,base64; print(base64.b64encode(os.urandom(32)).decode())')."
        )
    return key


def new_key_text(key_id: str) -> str:
    """A fresh "id:base64" entry for the ring (what an operator adds before rotating)."""
    return f"{key_id}:{base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()}"


def development_keys_allowed() -> bool:
    """Generated keys serve development (DEBUG) and test runs only."""
    return bool(settings.DEBUG) or "pytest" in sys.modules or sys.argv[1:2] == ["test"]


def key_dir() -> Path:
    return Path(getattr(settings, "CIVICDESK_KEY_DIR", "") or Path(settings.VAR_DIR) / "keys")


def _configured(setting: str) -> str:
    return str(getattr(settings, setting, "") or "")


def _read_secret(setting_value: str, file_setting: str) -> str | None:
    if setting_value:
        return setting_value
    path = _configured(file_setting)
    if path:
        try:
            return Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ImproperlyConfigured(f"{file_setting}: cannot read {path}: {exc}") from exc
    return None


@functools.cache
def field_keyring() -> Keyring:
    text = _read_secret(_configured("CIVICDESK_FIELD_KEYS"), "CIVICDESK_FIELD_KEYS_FILE")
    if text is None:
        text = _development_secret(DEV_FIELD_KEYS_FILE, lambda: new_key_text("dev1"))
    return parse_keys(text)


@functools.cache
def index_key() -> bytes:
    text = _read_secret(_configured("CIVICDESK_INDEX_KEY"), "CIVICDESK_INDEX_KEY_FILE")
    if text is None:
        text = _development_secret(
            DEV_INDEX_KEY_FILE, lambda: base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()
        )
    return _decode_key("index", text.strip())


def _development_secret(name: str, make: Any) -> str:
    if not development_keys_allowed():
        raise ImproperlyConfigured(
            "No field encryption keys: set CIVICDESK_FIELD_KEYS (or CIVICDESK_FIELD_KEYS_FILE) "
            "and CIVICDESK_INDEX_KEY (or CIVICDESK_INDEX_KEY_FILE); see docs/operations.md."
        )
    folder = key_dir()
    path = folder / name
    if not path.exists():
        _write_once(folder, path, make())
    return path.read_text(encoding="utf-8")


def _write_once(folder: Path, path: Path, text: str) -> None:
    """Writes the file unless another process got there first: written aside, then linked
    into place (the link fails if the name exists), so no process reads half a key."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = folder / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text + "\n")
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink()


def forget_keys(**kwargs: Any) -> None:
    """Drops the cached rings (tests change the settings; an operator restarts instead)."""
    if kwargs.get("setting", _KEY_SETTINGS[0]) in _KEY_SETTINGS:
        field_keyring.cache_clear()
        index_key.cache_clear()


setting_changed.connect(forget_keys, dispatch_uid="civicdesk-crypto-forget-keys")


# --- values ----------------------------------------------------------------------------------


def associated_data(table: str, column: str) -> bytes:
    return f"civicdesk:{FORMAT_VERSION}:{table}.{column}".encode()


def encrypt(plaintext: str, *, table: str, column: str, keyring: Keyring | None = None) -> str:
    """The stored form of a non-blank value. Blank stays blank (see EncryptedCharField)."""
    ring = keyring or field_keyring()
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = AESGCM(ring.current_key).encrypt(
        nonce, plaintext.encode("utf-8"), associated_data(table, column)
    )
    encoded = base64.urlsafe_b64encode(nonce + sealed).decode("ascii").rstrip("=")
    return f"{FORMAT_VERSION}:{ring.current}:{encoded}"


def key_id_of(stored: str) -> str:
    """The id of the key a stored value is under ("" for blank); DecryptionError if the value
    is not in the stored form at all."""
    if not stored:
        return ""
    _version, key_id, _rest = _split(stored)
    return key_id


def _split(stored: str) -> tuple[str, str, str]:
    parts = stored.split(":", 2)
    if len(parts) != 3 or parts[0] != FORMAT_VERSION:
        raise DecryptionError("The stored value is not in the encrypted form (v1:key:data).")
    return parts[0], parts[1], parts[2]


def decrypt(stored: str, *, table: str, column: str, keyring: Keyring | None = None) -> str:
    if not stored:
        return ""
    ring = keyring or field_keyring()
    _version, key_id, encoded = _split(stored)
    key = ring.keys.get(key_id)
    if key is None:
        raise DecryptionError(
            f"{table}.{column}: the value is under key {key_id!r}, which is not in the ring."
        )
    try:
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        plain = AESGCM(key).decrypt(
            raw[:NONCE_BYTES], raw[NONCE_BYTES:], associated_data(table, column)
        )
    except (InvalidTag, ValueError, binascii.Error) as exc:
        raise DecryptionError(
            f"{table}.{column}: the value does not open (altered, or moved from another column)."
        ) from exc
    return plain.decode("utf-8")


def blind_index(value: str, *, purpose: str) -> str:
    """A keyed hash for exact look-ups: equal values give equal indexes, and without the index
    key nothing can be learned from it (not even by hashing every phone number). The purpose
    keeps the index of one kind of value from matching another's."""
    if not value:
        return ""
    digest = hmac.new(index_key(), f"{purpose}\x00{value}".encode(), hashlib.sha256)
    return digest.hexdigest()[:INDEX_HEX_LENGTH]


# --- start-up check ----------------------------------------------------------------------------


@checks.register(checks.Tags.security, deploy=False)
def check_field_keys(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Production (DEBUG off) does not start without its keys: a generated key on one server
    would make data that no other server, and no restored backup, can read."""
    try:
        field_keyring.cache_clear()
        index_key.cache_clear()
        field_keyring()
        index_key()
    except ImproperlyConfigured as exc:
        return [checks.Critical(str(exc), id="civicdesk.E028")]
    return []
