"""Where the server secret key file is, for the operator commands (backup, restore, doctor).

Interim: until the configuration table carries ``key_file`` (``CONSULTBOT_KEY_FILE``), the
operator commands find it here, in the order ARCHITECTURE.md gives: ``--key-file``, then
``CONSULTBOT_KEY_FILE``, then ``$CREDENTIALS_DIRECTORY/consultbot-key`` (systemd), then the
legacy ``<data dir>/secret.key`` of older installations, then
``~/.config/consultbot/secret.key``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from storage import ServerSecret
from storage.secret import KEY_FILE_NAME

__all__ = ["LEGACY_NAME", "key_file_location", "load_server_secret"]

LEGACY_NAME = KEY_FILE_NAME
_CREDENTIAL_NAME = "consultbot-key"


def key_file_location(data_dir: Path, explicit: Path | None = None,
                      env: Mapping[str, str] | None = None) -> Path:
    """The key file the bot would use for ``data_dir`` (it may not exist yet)."""
    environ = os.environ if env is None else env
    if explicit is not None:
        return explicit
    if environ.get("CONSULTBOT_KEY_FILE", "").strip():
        return Path(environ["CONSULTBOT_KEY_FILE"].strip()).expanduser()
    if environ.get("CREDENTIALS_DIRECTORY", "").strip():
        return Path(environ["CREDENTIALS_DIRECTORY"].strip()) / _CREDENTIAL_NAME
    legacy = data_dir / LEGACY_NAME
    if legacy.exists():
        return legacy
    return Path("~/.config/consultbot/secret.key").expanduser()


def load_server_secret(path: Path) -> ServerSecret:
    """Read an existing key file with the bot's own checks (size, mode 0600, regular file).

    Raises:
        SecretKeyError: The file is missing, unsafe or damaged.
    """
    # ServerSecret only loads from a data directory today; _read holds the checks.
    return ServerSecret(ServerSecret._read(path))
