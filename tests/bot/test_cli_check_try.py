"""``consultbot check`` and ``consultbot try`` as a user runs them: real processes."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from pyxform.xls2json_backends import md_table_to_workbook

ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "surveys" / "examples"
YAML_EXAMPLE = EXAMPLES / "human-rights-dialogue.yaml"
XLSX_EXAMPLE = EXAMPLES / "economic-partnership.xlsx"


def consultbot(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin, capture_output=True, text=True, cwd=ROOT, timeout=120, check=False,
    )


def broken_xlsform(path: Path) -> Path:
    buffer = io.BytesIO()
    md_table_to_workbook("""
| survey |
| | type | name | label |
| | select_one missing_list | colour | Favourite colour? |
| | text | colour | Why? |
""").save(buffer)
    path.write_bytes(buffer.getvalue())
    return path


# --------------------------------------------------------------------------- check


def test_check_examples_exit_zero() -> None:
    result = consultbot("check", *(str(path) for path in sorted(EXAMPLES.iterdir())))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{XLSX_EXAMPLE}: OK" in result.stdout
    assert f"{YAML_EXAMPLE}: OK" in result.stdout


def test_check_broken_xlsform_names_every_problem_with_its_row(tmp_path: Path) -> None:
    path = broken_xlsform(tmp_path / "broken.xlsx")
    result = consultbot("check", str(path))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert any(line.startswith(f"{path}: row 2: ") and "missing_list" in line for line in lines), lines
    assert any(line.startswith(f"{path}: row 3: ") and "duplicate" in line and "colour" in line for line in lines), lines


def test_check_broken_yaml_uses_line_numbers_and_still_reports_valid_files(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("id: s\ntitle: T\nlanguages: [en]\nquestions:\n  - {id: q, type: slider, label: Q}\n", encoding="utf-8")
    result = consultbot("check", str(YAML_EXAMPLE), str(path))
    assert result.returncode == 1
    assert f"{path}: line 5: " in result.stdout and "slider" in result.stdout
    assert f"{YAML_EXAMPLE}: OK" in result.stdout


def test_check_warnings_do_not_fail(tmp_path: Path) -> None:
    path = tmp_path / "partial.yaml"
    path.write_text("id: s\ntitle: {en: T, fr: T}\nlanguages: [en, fr]\nquestions:\n  - {id: q, type: text, label: Q}\n", encoding="utf-8")
    result = consultbot("check", str(path))
    assert result.returncode == 0
    assert f"{path}: line 5: warning: " in result.stdout


def test_check_unknown_and_missing_files(tmp_path: Path) -> None:
    text_file = tmp_path / "notes.txt"
    text_file.write_text("hello", encoding="utf-8")
    result = consultbot("check", str(text_file), str(tmp_path / "absent.yaml"))
    assert result.returncode == 1
    assert f"{text_file}: not a survey file" in result.stdout
    assert f"{tmp_path / 'absent.yaml'}: cannot read the file" in result.stdout


# ----------------------------------------------------------------------------- try


def test_try_yaml_example_completes_reasks_and_skips() -> None:
    answers = [
        "1",        # role: human rights organisation
        "1,2,3,4",  # too many priorities -> constraint message
        "1,2",
        "2",        # no restrictions -> count and date are skipped
        "9",        # out of the scale
        "4",        # safe enough -> the follow-up is skipped
        "3",
        "",         # skip the optional recommendation
    ]
    result = consultbot("try", str(YAML_EXAMPLE), stdin="\n".join(answers) + "\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Please choose at most three issues." in out
    assert "Please choose a whole number from 1 to 5." in out
    assert "How many separate incidents" not in out
    assert "What would make you feel safer" not in out
    assert "Thank you. We will share" in out  # the closing note is shown
    review = out.split("Your answers:")[1]
    assert "priorities: Freedom of expression and of the press, Freedom of assembly and association" in review
    assert "restrictions_experienced: No" in review
    assert "recommendation: —" in review
    assert "restriction_count" not in review


def test_try_yaml_example_in_french() -> None:
    answers = ["2", "5", "1", "3", "", "1", "Rien ne me protège.", "2", "Libérer les défenseurs détenus."]
    result = consultbot("try", str(YAML_EXAMPLE), "--lang", "fr", stdin="\n".join(answers) + "\n")
    assert result.returncode == 0, result.stderr
    assert "À quel titre répondez-vous ?" in result.stdout
    assert "role: Syndicat" in result.stdout
    assert "restriction_count: 3" in result.stdout
    assert "last_incident: —" in result.stdout
    assert "safety_concerns: Rien ne me protège." in result.stdout


def test_try_xlsform_example_completes_reasks_and_skips() -> None:
    answers = [
        "1",     # business
        "0",     # employees out of range -> constraint message
        "25",
        "1,2",   # sectors
        "150",   # export share -> constraint message
        "12,5",  # decimal comma accepted
        "1",     # not familiar -> the assessment group is skipped
        "2",     # never consulted -> the date is skipped
        "",      # no recommendation
    ]
    result = consultbot("try", str(XLSX_EXAMPLE), stdin="\n".join(answers) + "\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Enter a whole number between 1 and 500000." in out
    assert "A share must be between 0 and 100." in out
    assert "Overall, what effect" not in out
    assert "When were you last consulted?" not in out
    review = out.split("Your answers:")[1]
    assert "employees: 25" in review
    assert "export_share: 12.5" in review
    assert "sectors: Agriculture and food, Manufacturing" in review
    assert "expected_impact" not in review


def test_try_xlsform_example_in_arabic_through_the_group() -> None:
    answers = ["2", "3", "4", "2", "1,6", "1", "", "1", "2024-02-30", "2024-02-29", ""]
    result = consultbot("try", str(XLSX_EXAMPLE), "--lang", "ar", stdin="\n".join(answers) + "\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "ما هي الجهة التي تمثلونها؟" in out
    assert "لا يمكن الجمع بين «لا شيء مما سبق» وإجابات أخرى." in out  # 'none' with another concern
    assert "concerns: معايير العمل" in out
    assert "labour_details: —" in out
    assert "last_consulted: 2024-02-29" in out


def test_try_falls_back_to_the_default_language() -> None:
    answers = ["1", "1", "2", "4", "3", ""]
    result = consultbot("try", str(YAML_EXAMPLE), "--lang", "de", stdin="\n".join(answers) + "\n")
    assert result.returncode == 0, result.stderr
    assert "not available in 'de'; using 'en'" in result.stderr
    assert "In which capacity are you answering?" in result.stdout


def test_try_fails_clearly_when_input_ends_early() -> None:
    result = consultbot("try", str(YAML_EXAMPLE), stdin="1\n")
    assert result.returncode == 1
    assert "Input ended before the survey was complete." in result.stderr


def test_try_refuses_a_broken_file(tmp_path: Path) -> None:
    result = consultbot("try", str(broken_xlsform(tmp_path / "broken.xlsx")))
    assert result.returncode == 1
    assert "row 2:" in result.stderr and "row 3:" in result.stderr


# ------------------------------------------------------- hostile files and XLSForm fidelity


def xlsform_file(path: Path, markdown: str) -> Path:
    buffer = io.BytesIO()
    md_table_to_workbook(markdown).save(buffer)
    path.write_bytes(buffer.getvalue())
    return path


def test_check_accepts_kobo_range_rows_without_parameters(tmp_path: Path) -> None:
    path = xlsform_file(tmp_path / "kobo.xlsx", "| survey |\n| | type | name | label | parameters |\n"
                        "| | range | a | A | |\n| | range | b | B | end=5 |\n")
    result = consultbot("check", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_check_refuses_hostile_files_with_a_line_not_a_traceback(tmp_path: Path) -> None:
    deep = tmp_path / "deep.yaml"
    deep.write_text("id: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("a: &a [x, x]\nb: [*a, *a]\n", encoding="utf-8")
    huge_min = tmp_path / "min.yaml"
    huge_min.write_text("id: s\ntitle: S\nlanguages: [en]\nquestions:\n  - {id: q, type: number, label: Q, min: 1e400}\n", encoding="utf-8")
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (3 * 1024 * 1024))
    result = consultbot("check", str(deep), str(bomb), str(huge_min), str(big))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    out = result.stdout
    assert f"{deep}: line 1: the file is nested more than 20 levels deep" in out
    assert f"{bomb}: line 2: YAML aliases (*name) are not allowed" in out
    assert f"{huge_min}: line 5: min of question 'q' must be a number from" in out
    assert f"{big}: the file is larger than 2048 KB, the most a survey file may be" in out
    assert "4 of 4 files have errors." in result.stderr


CASCADE = """
| survey |
| | type | name | label | choice_filter | calculation | relevant |
| | select_one region | region | Region? | | | |
| | select_one district | district | District? | region=${region} | | |
| | calculate | north | | | ${region} = 'north' | |
| | text | why | Why the north? | | | ${north} = 'true' |
| choices |
| | list_name | name | label | region |
| | region | north | North | |
| | region | south | South | |
| | district | north_1 | North-1 | north |
| | district | south_1 | South-1 | south |
| | district | south_2 | South-2 | south |
"""


def test_try_offers_only_the_filtered_choices_and_refuses_the_others(tmp_path: Path) -> None:
    path = xlsform_file(tmp_path / "cascade.xlsx", CASCADE)
    answers = ["2", "North-1", "3", "2"]  # south; a northern district is refused; 3 is not on the list
    result = consultbot("try", str(path), stdin="\n".join(answers) + "\n")
    assert result.returncode == 0, result.stderr
    district = result.stdout.split("District?")[1]
    assert "1. South-1" in district and "2. South-2" in district and "North-1\n" not in district.split(">")[0]
    assert district.count("Not accepted:") == 2
    review = result.stdout.split("Your answers:")[1]
    assert "district: South-2" in review
    assert "Why the north?" not in result.stdout  # the calculation made it irrelevant
    assert "Calculated: north = false" in review
