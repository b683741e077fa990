"""``consultbot site build|serve``: the static public results site.

``build`` writes every page in every language the bot ships into ``--output`` (see
``bot.site``); ``serve`` shows a built site on ``http://127.0.0.1:PORT`` for a quick look
(only on the loopback interface: publish with a real static host).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from bot.cli_language import _
from bot.commands import add_config_argument, configuration, has_database

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``site`` with ``build`` and ``serve``."""
    parser = subparsers.add_parser(
        "site", help=_("build the public results site"),
        description=_("Write the published results and the recommendations tracker as a "
                      "static site, in every language of the bot."))
    actions = parser.add_subparsers(dest="site_action", metavar="ACTION")
    actions.required = True
    build = actions.add_parser(
        "build", help=_("write the site into a directory"),
        description=_("Write the static site (HTML, CSS, SVG charts, CSV and JSON tables) "
                      "into DIR. Every number is the published, protected one."))
    build.add_argument("--output", type=Path, metavar="DIR", required=True,
                       help=_("the directory to write the site into"))
    build.add_argument("--include-invite-only", action="store_true",
                       help=_("also publish invite-only surveys and their recommendations "
                              "(by default the site does not show that they exist)"))
    add_config_argument(build)
    build.set_defaults(handler=run_build)
    serve = actions.add_parser(
        "serve", help=_("show a built site on this computer"),
        description=_("Serve DIR on http://127.0.0.1:PORT until interrupted."))
    serve.add_argument("directory", type=Path, metavar="DIR", help=_("a built site"))
    serve.add_argument("--port", type=int, default=8000, help=_("the port (default: 8000)"))
    serve.set_defaults(handler=run_serve)


def run(args: argparse.Namespace) -> int:
    """Dispatch to the chosen action."""
    return int(run_build(args) if args.site_action == "build" else run_serve(args))


def run_build(args: argparse.Namespace) -> int:
    """Build the site; 0 on success, 1 when the audit log does not verify, 2 without data."""
    config = configuration(args)
    if config is None or not has_database(config.data_dir):
        return 2
    return asyncio.run(_build(config, args.output, args.include_invite_only))


async def _build(config: Any, output: Path, include_invite_only: bool) -> int:
    from bot.i18n import load_translations
    from bot.site import AuditLogBroken, build_site
    from storage import Storage

    translations = load_translations()
    async with await Storage.open(config.data_dir, key_file=config.key_file) as storage:
        try:
            files = await build_site(storage, output, languages=translations.languages,
                                     translator=translations.translator,
                                     min_cell=config.min_cell,
                                     include_invite_only=include_invite_only,
                                     progress=_reading)
        except AuditLogBroken as error:
            print(_("The audit log does not verify ({reason}); the site was not built. "
                    "Run 'consultbot audit verify'.").format(reason=error), file=sys.stderr)
            return 1
    print(_("Site written to {dir}: {pages} pages, {files} downloads.").format(
        dir=output, pages=len(files.pages), files=len(files.downloads)))
    return 0


def _reading(survey_id: str, number: int, total: int) -> None:
    print(_("Reading the published results of {id} ({number} of {total})…").format(
        id=survey_id, number=number, total=total), file=sys.stderr)


def run_serve(args: argparse.Namespace) -> int:
    """Serve a built site on the loopback interface until Ctrl-C."""
    import functools
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    directory = Path(args.directory)
    if not (directory / "index.html").is_file():
        print(_("{dir} holds no built site; run 'consultbot site build --output {dir}' first."
                ).format(dir=directory), file=sys.stderr)
        return 2
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(directory))
    with ThreadingHTTPServer(("127.0.0.1", args.port), handler) as server:
        print(_("Serving {dir} on http://127.0.0.1:{port}/ (Ctrl-C stops).").format(
            dir=directory, port=server.server_address[1]), file=sys.stderr)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            return 0
    return 0
