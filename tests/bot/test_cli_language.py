"""The command line speaks the operator's language (bot.cli_language)."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.cli_language import environment_wishes
from bot.i18n import load_translations

ROOT = Path(__file__).resolve().parents[2]
#: A help text and an error of `consultbot summary`, as message ids.
HELP = "configuration file (consultbot.toml)"
MISSING = "Cannot read the private key {path}: {reason}"


def _french(message: str) -> str:
    text = load_translations().translator("fr").gettext(message)
    assert text != message  # the catalog translates it, or this test proves nothing
    return text


@pytest.mark.parametrize(("environ", "wishes"), [
    ({"LANGUAGE": "fr_FR:es", "LANG": "ru_RU.UTF-8"}, ("fr-fr", "es")),
    ({"LC_ALL": "ar_EG.UTF-8@latin", "LANG": "fr_FR.UTF-8"}, ("ar-eg",)),
    ({"LC_MESSAGES": "sw_KE", "LANG": "fr_FR.UTF-8"}, ("sw-ke",)),
    ({"LANG": "pt_BR.UTF-8"}, ("pt-br",)),
    ({"LANGUAGE": "", "LANG": "C.UTF-8"}, ()),
    ({"LANGUAGE": "POSIX:fr"}, ()),  # gettext never reaches what follows C/POSIX
    ({}, ()),
])
def test_the_wishes_are_read_as_gettext_reads_them(environ: dict[str, str],
                                                   wishes: tuple[str, ...]) -> None:
    assert environment_wishes(environ) == wishes


def test_help_is_in_the_language_the_environment_asks_for(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("LANGUAGE", "de:fr")  # no German catalog: the next wish serves
    with pytest.raises(SystemExit):
        main(["summary", "--help"])
    out = capsys.readouterr().out
    assert " ".join(_french(HELP).split()) in " ".join(out.split())
    assert HELP not in " ".join(out.split())


def test_errors_are_translated_and_english_is_the_fallback(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        tmp_path: Path) -> None:
    missing = tmp_path / "absent.key"
    arguments = ["reports", "--key", str(missing), "--data-dir", str(tmp_path)]
    monkeypatch.setenv("LANGUAGE", "fr")
    assert main(arguments) == 2
    french = capsys.readouterr().err
    assert _french(MISSING).split("{")[0].strip() in french
    monkeypatch.setenv("LANGUAGE", "de")  # nothing we speak: the message ids
    assert main(arguments) == 2
    assert MISSING.split("{")[0].strip() in capsys.readouterr().err


def test_a_configuration_error_is_translated_with_its_reason(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("LANGUAGE", "fr")
    monkeypatch.setenv("CONSULTBOT_TOKEN", "123456:ABCdefGHIjklMNOpqrsTUVwxyz0123456789")
    monkeypatch.setenv("CONSULTBOT_MIN_CELL", "1")
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    limit = _french("must be at least {low} (got {value})").format(low=3, value=1)
    reason = _french("smaller groups would let participants be re-identified")
    assert f"CONSULTBOT_MIN_CELL {limit}: {reason}" in err


def test_survey_file_problems_are_in_the_operators_language(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        tmp_path: Path) -> None:
    """`consultbot run` and `consultbot try` list a broken survey's problems translated."""
    surveys = tmp_path / "surveys"
    surveys.mkdir()
    broken = surveys / "broken.yaml"
    broken.write_text("id: Not A Valid Id\nquestions: []\n", encoding="utf-8")
    monkeypatch.setenv("CONSULTBOT_TOKEN", "123456:ABCdefGHIjklMNOpqrsTUVwxyz0123456789")
    monkeypatch.setenv("CONSULTBOT_SURVEYS", str(surveys))
    monkeypatch.setenv("CONSULTBOT_DATA_DIR", str(tmp_path / "data"))
    outputs = {}
    for language in ("en", "fr"):
        monkeypatch.setenv("LANGUAGE", language)
        assert main(["run"]) == 2
        assert main(["try", str(broken)]) == 1
        outputs[language] = capsys.readouterr().err.splitlines()
    english, french = outputs["en"], outputs["fr"]
    assert len(english) == len(french) >= 4  # header + problems (run), problems (try)
    assert french[0] == "consultbot: " + _french(
        "the survey files have errors; the bot was not started:")
    for line_en, line_fr in zip(english[1:], french[1:], strict=True):
        assert line_en.startswith(str(broken)) and line_fr.startswith(str(broken))
        assert line_en != line_fr  # every problem translated, none left in English


def test_a_refused_recommendation_change_is_explained_in_the_operators_language(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        tmp_path: Path) -> None:
    from tests.moderation_fixtures import seeded_data_dir

    monkeypatch.setenv("CONSULTBOT_DATA_DIR", str(seeded_data_dir(tmp_path / "data")))
    monkeypatch.setenv("LANGUAGE", "fr")
    assert main(["recs", "status", "no-such-rec", "accepted"]) == 1
    expected = _french("There is no recommendation '{id}'.").format(id="no-such-rec")
    assert expected in capsys.readouterr().err


def test_the_installed_command_follows_lang() -> None:
    """The console script as an operator starts it, with only LANG set."""
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "export", "--help"], cwd=ROOT,
        env={"LANG": "es_ES.UTF-8", "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=60, check=True)
    spanish = load_translations().translator("es").gettext(HELP)
    assert spanish != HELP
    assert " ".join(spanish.split()) in " ".join(result.stdout.split())


#: Calls whose text arguments an operator reads, with the keywords that carry text.
_OPERATOR_TEXT = {"print": (), "add_parser": ("help", "description"),
                  "add_argument": ("help",), "ArgumentParser": ("description",),
                  "ConfigError": (), "ValueError": ()}


def _untranslated(path: Path) -> list[str]:
    """Literal texts with words in ``path`` that reach a terminal without ``_()``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", getattr(node.func, "attr", None))
        if name not in _OPERATOR_TEXT:
            continue
        texts = [k.value for k in node.keywords if k.arg in _OPERATOR_TEXT[name]]
        if name in ("print", "ConfigError", "ValueError"):
            texts += node.args
        for text in texts:
            parts = ([text.value] if isinstance(text, ast.Constant) else
                     [v.value for v in text.values if isinstance(v, ast.Constant)]
                     if isinstance(text, ast.JoinedStr) else [])
            words = " ".join(str(part) for part in parts)
            if re.search(r"[A-Za-z]{2,} [A-Za-z]{2,}", words):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {words[:60]!r}")
    return found


def test_every_text_the_command_line_shows_is_marked_for_translation() -> None:
    files = [ROOT / "bot" / name for name in ("cli.py", "doctor.py", "config.py",
                                             "config_values.py", "config_loading.py",
                                             "survey_files.py")]
    files += sorted((ROOT / "bot" / "commands").glob("*.py"))
    assert len(files) > 15
    assert [problem for path in files for problem in _untranslated(path)] == []
