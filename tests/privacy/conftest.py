"""The privacy attacks on the running bot use the handler tests' bot fixture."""

from tests.handlers.conftest import env  # noqa: F401  # a fixture, used by name in the tests
