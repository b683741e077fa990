"""``consultbot run`` refuses a bad set-up with one clear message and no traceback."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.commands import run as run_command

GOOD_SURVEY = "id: ok\ntitle: OK\nlanguages: [en]\nquestions:\n  - {id: q, type: text, label: Hello}\n"


def run(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], config: Path | None = None) -> int:
    for key in list(os.environ):
        # The key file stays the temporary one the test session set (never ~/.config).
        if key.startswith("CONSULTBOT_") and key != "CONSULTBOT_KEY_FILE":
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return run_command.run(argparse.Namespace(config=config))


def test_missing_token(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(monkeypatch, {}) == 2
    err = capsys.readouterr().err
    assert err.startswith("consultbot: CONSULTBOT_TOKEN is not set")


def test_invalid_survey_files_are_all_listed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    surveys = tmp_path / "surveys"
    surveys.mkdir()
    (surveys / "good.yaml").write_text(GOOD_SURVEY, encoding="utf-8")
    (surveys / "bad.yaml").write_text("id: Bad Id\nquestions: []\n", encoding="utf-8")
    (surveys / "worse.yml").write_text("id: [\n", encoding="utf-8")
    code = run(monkeypatch, {"CONSULTBOT_TOKEN": "1:x", "CONSULTBOT_SURVEYS": str(surveys),
                             "CONSULTBOT_DATA_DIR": str(tmp_path / "data")})
    assert code == 2
    err = capsys.readouterr().err
    assert "the survey files have errors; the bot was not started" in err
    assert "bad.yaml: line" in err and "worse.yml: line" in err
    assert "good.yaml" not in err
    assert not (tmp_path / "data").exists()  # nothing was started


def test_surveys_directory_missing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    code = run(monkeypatch, {"CONSULTBOT_TOKEN": "1:x", "CONSULTBOT_SURVEYS": str(tmp_path / "nope")})
    assert code == 2
    assert "is not a directory" in capsys.readouterr().err


def test_unwritable_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                             capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    code = run(monkeypatch, {"CONSULTBOT_TOKEN": "1:x", "CONSULTBOT_DATA_DIR": str(blocker / "data")})
    assert code == 2
    assert "cannot write to the data directory" in capsys.readouterr().err


def test_bad_config_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                         capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "consultbot.toml"
    path.write_text("min_cell = 2\ntoken = 'x'\n", encoding="utf-8")
    assert run(monkeypatch, {}, config=path) == 2
    assert "CONSULTBOT_MIN_CELL must be at least 3" in capsys.readouterr().err


def test_the_console_script_prints_no_traceback(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CONSULTBOT_")}
    result = subprocess.run([sys.executable, "-m", "bot.cli", "run"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "CONSULTBOT_TOKEN is not set" in result.stderr


def test_help_lists_every_setting_with_its_help_and_default() -> None:
    from bot.config import SETTINGS

    result = subprocess.run([sys.executable, "-m", "bot.cli", "run", "--help"],
                            capture_output=True, text=True, timeout=60, check=True)
    text = " ".join(result.stdout.split())  # argparse wraps lines
    for entry in SETTINGS:
        assert f"{entry.env_var} (TOML: {entry.key})" in text
        assert " ".join(entry.help.replace("`", "").replace("*", "").split()) in text
        assert "Default: " + " ".join(entry.shown_default.replace("`", "").split()) in text
