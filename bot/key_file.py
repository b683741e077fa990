"""Where the server secret key file is, for the operator commands (backup, restore, doctor).

The bot itself reads ``Config.key_file`` (``CONSULTBOT_KEY_FILE``, or its default). The
operator commands also accept ``--key-file``, and they look at an older installation's
``<data dir>/secret.key`` when the configured file does not exist yet — exactly the key the
bot would use (it keeps working with a warning until ``consultbot move-key``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from bot.config import default_key_file
from storage import ServerSecret
from storage.keyfile import legacy_key_file, read_key_file

__all__ = ["LEGACY_NAME", "key_file_location", "load_server_secret"]

LEGACY_NAME = legacy_key_file(Path(".")).name


def key_file_location(data_dir: Path, explicit: Path | None = None,
                      env: Mapping[str, str] | None = None) -> Path:
    """The key file the bot would use for ``data_dir`` (it may not exist yet)."""
    environ = os.environ if env is None else env
    if explicit is not None:
        return explicit
    configured = environ.get("CONSULTBOT_KEY_FILE", "").strip()
    path = Path(configured).expanduser() if configured else default_key_file(environ)
    legacy = legacy_key_file(data_dir)
    if not path.exists() and legacy.exists():
        return legacy
    return path


def load_server_secret(path: Path) -> ServerSecret:
    """Read an existing key file with the bot's own checks (size, mode 0600, regular file).

    Raises:
        SecretKeyError: The file is missing, unsafe or damaged.
    """
    return ServerSecret(read_key_file(path))
