"""Report settings in the configuration (issue 4)."""

from __future__ import annotations

import pytest

from bot.config import ConfigError
from bot.config_loading import load_config


def test_defaults() -> None:
    config = load_config(env={})
    assert config.report_categories == () and config.report_channels == ()
    assert (config.report_retention_days, config.report_digest_hours) == (90, 6.0)
    assert (config.report_max_file_mb, config.reports_per_hour) == (10.0, 10)


def test_values_from_the_environment() -> None:
    config = load_config(env={
        "CONSULTBOT_REPORT_CATEGORIES": "wages, safety,other",
        "CONSULTBOT_REPORT_CHANNELS": "Front Line Defenders: https://example.org/help | Hotline 1,2",
        "CONSULTBOT_REPORT_DIGEST_TIMES": "08:00,18:30",
        "CONSULTBOT_REPORT_RETENTION_DAYS": "30",
    })
    assert config.report_categories == ("wages", "safety", "other")
    assert config.report_channels == ("Front Line Defenders: https://example.org/help",
                                      "Hotline 1,2")
    assert config.report_digest_times == ("08:00", "18:30")
    assert config.report_retention_days == 30


@pytest.mark.parametrize(("key", "value"), [
    ("CONSULTBOT_REPORT_CATEGORIES", "Labour Rights"),
    ("CONSULTBOT_REPORT_DIGEST_TIMES", "8h"),
    ("CONSULTBOT_REPORT_MAX_FILE_MB", "25"),
    ("CONSULTBOT_REPORT_RETENTION_DAYS", "0"),
    ("CONSULTBOT_REPORTS_PER_HOUR", "many"),
])
def test_invalid_values_are_refused(key: str, value: str) -> None:
    with pytest.raises(ConfigError):
        load_config(env={key: value})
