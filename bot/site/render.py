"""Writing the results site: every page in every language, the stylesheet and the downloads.

Layout of the output directory (all links are relative, so any static host or a plain
``file://`` copy works)::

    index.html                  choose a language
    site.css, favicon.svg      (a browser asks for an icon; without one, every page logs a 404)
    data/<survey>.json          overall published tables (``summary --format json``)
    data/<survey>.by-<q>.json   the tables broken down by question q
    data/<survey>.csv           all of them in long form
    <lang>/index.html           the published surveys
    <lang>/survey-<id>.html     a survey's results
    <lang>/survey-<id>.by-<q>.html   the same, broken down by question q
    <lang>/recommendations.html the accountability tracker

Templates are Jinja2 with autoescape on (labels come from survey authors) and the i18n
extension bound to the bot's gettext catalogs, one language at a time.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from bot.recommendations import SCALES, STATUS_LABELS, AddressedScale, Status
from bot.site.content import PublishedSurvey, SiteContent
from bot.site.downloads import summary_csv, summary_json
from bot.site.views import Formatter, bar_chart, result_rows
from surveys.perturbation import MAX_NOISE

__all__ = ["SiteFiles", "survey_page", "write_site"]


@dataclass(frozen=True, slots=True)
class SiteFiles:
    """What a build wrote: the pages and the downloads, relative to the output directory."""

    pages: tuple[str, ...]
    downloads: tuple[str, ...]


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("bot.site", "templates"),
        autoescape=select_autoescape(["html"], default=True),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(result_rows=result_rows, bar_chart=bar_chart)
    return env


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def survey_page(survey_id: str, by: str | None = None) -> str:
    """The file name of a survey's page (overall, or broken down by ``by``)."""
    return f"survey-{survey_id}.html" if by is None else f"survey-{survey_id}.by-{by}.html"


def write_site(content: SiteContent, output: Path, *, languages: Iterable[str],
               translator: Callable[[str], Any]) -> SiteFiles:
    """Render every page in every language into ``output`` (created if needed).

    Args:
        languages: The site's languages, the default first.
        translator: Language -> an object with ``gettext`` and ``ngettext``.
    """
    output.mkdir(parents=True, exist_ok=True)
    languages = tuple(languages)
    env = _environment()
    downloads = _write_downloads(content, output)
    for name in ("site.css", "favicon.svg"):
        with resources.as_file(resources.files("bot.site") / "static" / name) as source:
            shutil.copyfile(source, output / name)
    pages: list[str] = []
    names = {lang: _autonym(lang) for lang in languages}
    for language in languages:
        translation = translator(language)
        env.install_gettext_callables(  # type: ignore[attr-defined]  # added by jinja2.ext.i18n
            translation.gettext, translation.ngettext, newstyle=True)
        if language == languages[0]:
            _write(output / "index.html", env.get_template("languages.html").render(
                languages=[(lang, names[lang], Formatter(lang, str, content.min_cell).rtl)
                           for lang in languages]))
            pages.append("index.html")
        fmt = Formatter(language, translation.gettext, content.min_cell)
        common = {
            "fmt": fmt, "language": language, "languages": names, "content": content,
            "status_label": lambda s, t=translation: t.gettext(STATUS_LABELS[Status(s)]),
            "answer_label": _answer_labels(translation.gettext),
            "survey_page": survey_page, "max_noise": MAX_NOISE,
        }
        by_survey = {s.survey.id: s for s in content.surveys}
        jobs: list[tuple[str, str, dict[str, Any]]] = [
            ("index.html", "index.html", {}),
            ("recommendations.html", "tracker.html", {"surveys": by_survey}),
        ]
        for published in content.surveys:
            jobs.extend(_survey_jobs(published, content))
        for name, template, extra in jobs:
            html = env.get_template(template).render(page=name, **common, **extra)
            _write(output / language / name, html)
            pages.append(f"{language}/{name}")
    return SiteFiles(tuple(pages), downloads)


def _survey_jobs(published: PublishedSurvey, content: SiteContent
                 ) -> list[tuple[str, str, dict[str, Any]]]:
    survey_id = published.survey.id
    recs = [t for t in content.recommendations if t.recommendation.survey_id == survey_id]
    jobs = [(survey_page(survey_id), "survey.html",
             {"published": published, "summary": published.overall, "by": None,
              "recommendations": recs})]
    for by, summary in published.breakdowns.items():
        jobs.append((survey_page(survey_id, by), "survey.html",
                     {"published": published, "summary": summary, "by": by,
                      "recommendations": recs}))
    return jobs


def _answer_labels(gettext: Callable[[str], str]) -> Callable[[str], str]:
    labels = {key: gettext(label) for scale in AddressedScale for key, label in SCALES[scale]}
    return lambda key: labels.get(key, key)


def _autonym(language: str) -> str:
    from babel import Locale

    locale = Locale.parse(language)
    name = locale.get_display_name(locale) or language
    return name[:1].upper() + name[1:]


def _write_downloads(content: SiteContent, output: Path) -> tuple[str, ...]:
    written = []
    for published in content.surveys:
        survey_id = published.survey.id
        files = {f"data/{survey_id}.json": summary_json(published.overall),
                 f"data/{survey_id}.csv": summary_csv([published.overall,
                                                       *published.breakdowns.values()])}
        for by, summary in published.breakdowns.items():
            files[f"data/{survey_id}.by-{by}.json"] = summary_json(summary)
        for name, text in files.items():
            _write(output / name, text)
            written.append(name)
    return tuple(written)
