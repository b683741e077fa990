"""The checks of the configuration table that look at files: the two keys.

A setting's ``check`` (:func:`bot.config.setting`) runs once every setting is read. These
two read the disk, unlike the parsers of :mod:`bot.config_values`, which only read text:
the secret key file must be outside the data directory (a copy of the directory would
otherwise carry the key to every pseudonym), and the moderators' public key must be one
the bot can seal reports to. :class:`ConfigError` lives here because the checks raise it;
:mod:`bot.config` re-exports it, and everyone imports it from there.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli_language import _

if TYPE_CHECKING:
    from bot.config import Config

__all__ = ["ConfigError", "key_file_outside_data_dir", "report_key_loads"]


class ConfigError(ValueError):
    """A configuration problem, with a message an operator can act on without a traceback."""


def key_file_outside_data_dir(config: Config) -> None:
    """Refuse a key file inside the data directory (by resolved path, or as a hard link there).

    Whoever copies the data directory would otherwise hold the key that turns every chat id
    into its pseudonym. Paths are compared after resolving symbolic links; a key "moved"
    with ``ln`` instead of ``mv`` is found by comparing inodes with the data directory's
    files (the first :data:`_HARD_LINK_SEARCH` of them: a data directory holds a handful).
    """
    data_dir = config.data_dir.resolve()
    key_file = config.key_file.resolve()
    if key_file.is_dir():
        raise ConfigError(_("CONSULTBOT_KEY_FILE ({path}) is a directory; name the key file "
                            "itself, e.g. /etc/consultbot/secret.key").format(path=config.key_file))
    inside = key_file == data_dir or key_file.is_relative_to(data_dir)
    if not inside and key_file.is_file() and data_dir.is_dir():
        inside = _hard_linked_inside(key_file, data_dir)
    if inside:
        raise ConfigError(_(
            "CONSULTBOT_KEY_FILE ({path}) is inside the data directory CONSULTBOT_DATA_DIR "
            "({dir}): whoever copies the data directory would hold the key to every pseudonym. "
            "Keep the key elsewhere, e.g. ~/.config/consultbot/secret.key, or a systemd "
            "credential.").format(path=config.key_file, dir=config.data_dir))


_HARD_LINK_SEARCH = 10_000


def _hard_linked_inside(key_file: Path, data_dir: Path) -> bool:
    key_stat = key_file.stat()
    if key_stat.st_nlink < 2:
        return False
    for found in itertools.islice(data_dir.rglob("*"), _HARD_LINK_SEARCH):
        try:
            if os.path.samestat(key_stat, found.lstat()):
                return True
        except OSError:
            continue  # unreadable or gone: cannot be the key we just read
    return False


def report_key_loads(config: Config) -> None:
    """Refuse a moderators' public key file the bot could not seal reports to.

    The file is read with the loader :meth:`storage.Storage.open` uses, so what passes here is
    exactly what the bot accepts. Checked with the configuration, a missing or malformed key
    stops ``consultbot run`` with one clear line before it contacts Telegram, instead of
    failing (or, worse, falling back to server-key encryption) once the bot is up.
    """
    if config.report_key is None:
        return
    # Imported here: PyNaCl is paid for only where sealing is configured (``summary`` stays quick).
    from storage.sealing import PUBLIC_KEY_NAME, PrivateKeyGiven, load_public_key

    try:
        load_public_key(config.report_key)
    except PrivateKeyGiven:
        raise ConfigError(_(
            "CONSULTBOT_REPORT_KEY ({path}) is the moderators' PRIVATE key: reports sealed to "
            "it could be read by nobody, and it must never be on the server. Move it back to "
            "the moderators' computer and point CONSULTBOT_REPORT_KEY at the public key file "
            "({name}).").format(path=config.report_key, name=PUBLIC_KEY_NAME)) from None
    except FileNotFoundError:
        raise ConfigError(_(
            "CONSULTBOT_REPORT_KEY ({path}): no such file; point it at the moderators' public "
            "key file ({name}) that 'consultbot keygen' wrote, or unset it to encrypt reports "
            "with the server key").format(path=config.report_key, name=PUBLIC_KEY_NAME)) from None
    except OSError as error:
        raise ConfigError(_(
            "CONSULTBOT_REPORT_KEY ({path}): cannot read the file ({reason})").format(
            path=config.report_key, reason=error.strerror or error)) from None
    except ValueError:
        raise ConfigError(_(
            "CONSULTBOT_REPORT_KEY ({path}) is not a moderators' public key: the file must hold "
            "the one base64 key line of the {name} file that 'consultbot keygen' wrote").format(
            path=config.report_key, name=PUBLIC_KEY_NAME)) from None
