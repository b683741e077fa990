"""The built results site in a real browser (headless Debian Chromium through Playwright).

Pages must load with no console error and no request leaving the site, switch language,
lay Arabic out right to left, pair every chart with a table, pass axe-core without serious
or critical violations, and show exactly the numbers of ``consultbot summary --format json``
(hidden on the site exactly where hidden there).
"""

from __future__ import annotations

import concurrent.futures
import functools
import json
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.i18n import load_translations
from tests.moderation_fixtures import SURVEY
from tests.site.conftest import BuiltSite

LANGUAGES = ("en", "fr", "es", "ar", "ru", "sw")


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    # bypass_csp only lets the axe test inject its script; the pages themselves run none.
    context = browser.new_context(bypass_csp=True)
    opened = context.new_page()
    try:
        yield opened
    finally:
        context.close()


class _Watch:
    """Collects console errors, page errors and every request a page makes."""

    def __init__(self, page: Any) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", lambda r: self.requests.append(r.url))


@pytest.fixture(scope="module")
def server(built_site: BuiltSite) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(built_site.output))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    #: Requests the server could not answer (the favicon a browser asks for on its own too).
    failed: list[str] = []  # noqa: RUF012 - shared on purpose: one server per module

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if not str(code).startswith(("2", "3")):
            self.failed.append(f"{code} {self.path}")

    def log_message(self, format: str, *args: Any) -> None:
        return


def test_the_site_has_every_page_in_every_language(built_site: BuiltSite) -> None:
    for language in LANGUAGES:
        for name in ("index.html", "recommendations.html", f"survey-{SURVEY.id}.html",
                     f"survey-{SURVEY.id}.by-region.html", "survey-tiny-2026.html"):
            assert f"{language}/{name}" in built_site.pages


def test_pages_load_without_errors_and_request_nothing_outside(
        built_site: BuiltSite, page: Any, server: str) -> None:
    root = built_site.output.as_uri() + "/"
    watch = _Watch(page)
    # The site is served twice (as files, then over HTTP); a late favicon request of the
    # last file page can land after the first HTTP page has started, so "outside" means
    # outside both copies of the site, not outside the page's own copy.
    site = (root, server)
    for base, pages in ((root, built_site.pages), (server, built_site.pages[:8])):
        for name in pages:
            watch.errors.clear()
            watch.requests.clear()
            response = page.goto(base + name)
            assert response is None or response.ok, name
            assert not watch.errors, (name, watch.errors)
            outside = [url for url in watch.requests if not url.startswith(site)]
            assert not outside, (name, outside)
            assert page.evaluate("document.scripts.length") == 0, name
    page.wait_for_timeout(500)  # the browser's own favicon request comes late
    assert not _QuietHandler.failed
    assert len(watch.requests) >= 2  # the watch saw the requests (page and stylesheet)


def test_the_language_switch_leads_to_the_same_page_in_another_language(
        built_site: BuiltSite, page: Any) -> None:
    french = load_translations().translator("fr").gettext
    page.goto((built_site.output / "en" / f"survey-{SURVEY.id}.html").as_uri())
    page.get_by_role("navigation", name="Language").get_by_role("link", name="Français").click()
    assert page.url.endswith(f"/fr/survey-{SURVEY.id}.html")
    assert page.get_attribute("html", "lang") == "fr"
    nav = page.get_by_role("navigation", name=french("Sections"))
    assert nav.get_by_role("link", name=french("Results")).is_visible()
    assert french("Results") != "Results"


def test_arabic_pages_are_right_to_left(built_site: BuiltSite, page: Any) -> None:
    for name in (p for p in built_site.pages if p.startswith("ar/")):
        page.goto((built_site.output / name).as_uri())
        assert page.get_attribute("html", "dir") == "rtl", name
        assert page.get_attribute("html", "lang") == "ar", name
        assert page.evaluate("getComputedStyle(document.body).direction") == "rtl", name
    page.goto((built_site.output / "ar" / "recommendations.html").as_uri())
    assert "دفع الأجور في موعدها" in page.inner_text("main")
    page.goto((built_site.output / "en" / "index.html").as_uri())
    assert page.get_attribute("html", "dir") == "ltr"


def test_every_chart_has_a_name_and_a_table_with_its_numbers(
        built_site: BuiltSite, page: Any) -> None:
    charts = 0
    for name in built_site.pages:
        page.goto((built_site.output / name).as_uri())
        for chart in page.query_selector_all("svg.chart"):
            charts += 1
            assert chart.get_attribute("role") == "img"
            title_id = chart.get_attribute("aria-labelledby")
            assert title_id and (page.text_content(f"[id='{title_id}']") or "").strip()
            base = title_id.removesuffix("-title")
            table = page.query_selector(f"[id='{base}-table']")
            assert table is not None, (name, base)
            bar_values = [t.text_content() for t in chart.query_selector_all("text")][1::2]
            shown = [c.text_content() for c in table.query_selector_all("td[data-count]")]
            assert [v.split(" (")[0] for v in bar_values] == shown, (name, base)
    assert charts > 20


@pytest.mark.parametrize("name", ["index.html", "en/index.html", f"en/survey-{SURVEY.id}.html",
                                  f"en/survey-{SURVEY.id}.by-region.html",
                                  "en/recommendations.html", "ar/recommendations.html",
                                  f"ar/survey-{SURVEY.id}.html", "fr/survey-tiny-2026.html"])
def test_axe_finds_no_serious_accessibility_problem(built_site: BuiltSite, page: Any,
                                                    axe_script: Path, name: str) -> None:
    page.goto((built_site.output / name).as_uri())
    page.add_script_tag(path=str(axe_script))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    serious = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
               for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, serious


def _json_summary(built_site: BuiltSite, capsys: pytest.CaptureFixture[str],
                  monkeypatch: pytest.MonkeyPatch, *args: str) -> dict[str, Any]:
    monkeypatch.setenv("CONSULTBOT_DATA_DIR", str(built_site.data_dir))
    monkeypatch.delenv("CONSULTBOT_MIN_CELL", raising=False)
    capsys.readouterr()
    # Playwright's sync API holds this thread's event loop; the CLI runs its own.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        assert pool.submit(main, ["summary", *args, "--format", "json"]).result() == 0
    document: dict[str, Any] = json.loads(capsys.readouterr().out)
    return document


def _public(document: dict[str, Any]) -> dict[str, Any]:
    """The CLI's JSON without hidden text languages and number ranges (never named publicly)."""
    public = json.loads(json.dumps(document))
    for question in public["questions"]:
        if question["type"] in ("text", "number"):
            for result in (question["overall"], *question.get("by_group", ())):
                result["categories"] = [c for c in result["categories"] if not c["hidden"]]
    return public


def _table(page: Any, table_id: str) -> dict[str, str | None]:
    """Answer key -> the count shown, or None where the page says it is hidden."""
    rows = page.query_selector_all(f"[id='{table_id}'] tbody tr")
    found: dict[str, str | None] = {}
    for row in rows:
        cell = row.query_selector("td[data-count]")
        found[row.get_attribute("data-key") or ""] = (
            None if cell is None else cell.get_attribute("data-count"))
    return found


def _check_result(page: Any, prefix: str, question: dict[str, Any],
                  result: dict[str, Any]) -> int:
    answered = page.query_selector(f"[id='{prefix}'] p.answered, section p.answered")
    assert answered is not None
    table = _table(page, f"{prefix}-table") if result["categories"] else {}
    data_driven = question["type"] in ("text", "number")
    hidden = 0
    for category in result["categories"]:
        if category["hidden"] is not None:
            hidden += 1
            if data_driven:  # not named on the page; gathered under "Other"
                assert category["key"] not in table
                assert table.get("") is None and "" in table
            else:
                assert table[category["key"]] is None, (prefix, category)
        else:
            assert table.get(category["key"]) == str(category["count"]), (prefix, category)
    shown_on_page = [v for v in table.values() if v is not None]
    assert len(shown_on_page) == sum(1 for c in result["categories"] if c["hidden"] is None)
    return hidden


def test_the_site_shows_the_numbers_of_the_json_summary_and_hides_the_same(
        built_site: BuiltSite, page: Any, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    overall = _json_summary(built_site, capsys, monkeypatch, SURVEY.id)
    downloaded = json.loads((built_site.output / "data" / f"{SURVEY.id}.json").read_text())
    assert downloaded == _public(overall)
    remedy = next(q for q in overall["questions"] if q["id"] == "remedy")
    # A hidden language of text answers is left out, never named ("sw: hidden" would say
    # someone wrote Swahili), in the JSON summary as on the site.
    assert not any(
        c["hidden"] for c in remedy["overall"]["categories"])
    page.goto((built_site.output / "en" / f"survey-{SURVEY.id}.html").as_uri())
    assert page.get_attribute("p.overview", "data-respondents") == str(
        overall["respondents"]["count"])
    hidden = 0
    for question in overall["questions"]:
        prefix = f"q-{question['id']}"
        answered = page.get_attribute(f"#{prefix} p.answered", "data-count")
        assert answered == ("" if question["overall"]["answered"]["hidden"]
                            else str(question["overall"]["answered"]["count"]))
        hidden += _check_result(page, prefix, question, question["overall"])
    assert hidden > 0  # the seeded data has small groups: the comparison covers hiding

    by_region = _json_summary(built_site, capsys, monkeypatch, SURVEY.id, "--by", "region")
    assert json.loads((built_site.output / "data" / f"{SURVEY.id}.by-region.json")
                      .read_text()) == _public(by_region)
    page.goto((built_site.output / "en" / f"survey-{SURVEY.id}.by-region.html").as_uri())
    groups = by_region["by"]["groups"]
    for question in by_region["questions"]:
        if "by_group" not in question:
            continue
        for number, (group, result) in enumerate(zip(groups, question["by_group"],
                                                     strict=True), start=1):
            prefix = f"q-{question['id']}-g{number}"
            if group["hidden"] is not None:
                assert page.query_selector(f"[id='{prefix}-table']") is None
                continue
            _check_result(page, prefix, question, result)


def test_a_survey_with_too_few_answers_shows_no_number(built_site: BuiltSite,
                                                       page: Any) -> None:
    page.goto((built_site.output / "en" / "survey-tiny-2026.html").as_uri())
    text = page.inner_text("main")
    # Three answers: less than one publication step, so not even the count is shown.
    assert "Nothing is published yet" in text
    assert "3" not in text
    assert page.query_selector("table.results") is None
    assert page.query_selector("svg.chart") is None


def test_the_tracker_shows_status_milestones_and_the_addressed_figures(
        built_site: BuiltSite, page: Any) -> None:
    page.goto((built_site.output / "en" / "recommendations.html").as_uri())
    pay = page.locator("#rec-pay-on-time")
    assert "Status: Implemented" in pay.inner_text()
    assert pay.locator("progress").get_attribute("value") == "100"
    assert "June 1, 2026" in pay.inner_text() and "(reached)" in pay.inner_text()
    addressed = _table(page, "addressed-pay-on-time-table")
    assert set(addressed) == {"yes", "partly", "no"}
    assert addressed["no"] is None  # 2 said no: a small group, hidden
    officers = page.locator("#rec-safety-officers")
    assert "In progress" in officers.inner_text()
    assert officers.locator("progress").get_attribute("value") == "40"
    assert "(planned)" in officers.inner_text()
    link = pay.get_by_role("link", name="Which issues affect you?")
    link.click()
    assert page.url.endswith(f"survey-{SURVEY.id}.html#q-issues")
    footer = page.inner_text("footer")
    assert "audit log" in footer and len(page.inner_text("code.hash")) == 64
