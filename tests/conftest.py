"""Test-wide guards: nothing under test may reach the network beyond this machine."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from typing import Any

import pytest

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _is_local(address: Any) -> bool:
    if isinstance(address, (str, bytes)):  # AF_UNIX path
        return True
    host = address[0]
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    if not _is_local(address):
        raise AssertionError(f"test tried to reach the network: {address!r}")
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> Any:
    if not _is_local(address):
        raise AssertionError(f"test tried to reach the network: {address!r}")
    return _real_connect_ex(self, address)


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if host not in (None, "localhost") and not _is_local((host, 0)):
        raise AssertionError(f"test tried to resolve a network host: {host!r}")
    return _real_getaddrinfo(host, *args, **kwargs)


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail any test whose code opens a connection beyond the loopback interface."""
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded_connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", _guarded_getaddrinfo)
    yield


@pytest.fixture(autouse=True)
def _key_file_outside_home(tmp_path_factory: pytest.TempPathFactory,
                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands run in tests read their key from a temporary place, never ``~/.config``."""
    monkeypatch.setenv("CONSULTBOT_KEY_FILE",
                       str(tmp_path_factory.mktemp("key") / "secret.key"))


@pytest.fixture(autouse=True)
def _command_line_in_english(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Commands speak English in tests whatever the machine's locale (tests asserting their
    words must not depend on LANG); a test that wants another language sets LANGUAGE."""
    from bot.cli_language import use_language

    monkeypatch.setenv("LANGUAGE", "en")
    yield
    use_language(None)  # a command run in-process may have picked another language
