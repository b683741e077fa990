#!/usr/bin/env python3
"""Take the README's screenshot of a results page from a built site.

    consultbot site build --output public
    python scripts/site_screenshot.py public/en/survey-SURVEY_ID.html docs/results-page.png

Uses Debian's chromium through Playwright (never a downloaded browser), like tests/site.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", type=Path, help="an HTML page of a built site")
    parser.add_argument("output", type=Path, help="the PNG to write")
    parser.add_argument("--height", type=int, default=1300, help="viewport height in pixels")
    args = parser.parse_args()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 760, "height": args.height})
        page.goto(args.page.resolve().as_uri())
        args.output.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(args.output))
        browser.close()


if __name__ == "__main__":
    main()
