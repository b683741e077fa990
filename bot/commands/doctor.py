"""``consultbot doctor``: check an installation and say what to fix, one line per finding.

Exit 0 when everything is fine, 1 when anything failed, 2 when there are only warnings
(with ``--quick``, warnings exit 0: that mode is the container's health check, and Docker
reserves exit code 2).
"""

from __future__ import annotations

import argparse
import sys

from bot.cli_language import _
from bot.commands import add_installation_arguments

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``doctor``."""
    parser = subparsers.add_parser(
        "doctor",
        help=_("check the configuration, files, database and disk; say what to fix"),
        description=_(
            "Check the configuration, the permissions of the data directory and the secret "
            "key, the token (with --online), pending migrations, free disk space, database "
            "integrity and the audit chain. Exit 0: all OK; 1: something failed; 2: "
            "warnings only."),
    )
    parser.add_argument("--online", action="store_true",
                        help=_("also ask Telegram whether the token is valid (getMe)"))
    parser.add_argument("--quick", action="store_true",
                        help=_("skip the slow checks (for container health checks); warnings "
                               "then exit 0"))
    parser.add_argument("--min-free-mb", type=int, default=200, metavar="MB",
                        help=_("fail below this much free disk space (default: 200)"))
    parser.add_argument("--healthz", metavar="URL", default=None,
                        help=_("also check the running bot's health endpoint, e.g. "
                               "http://127.0.0.1:9090/healthz"))
    add_installation_arguments(parser, key_file=True)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print the findings and return the exit code."""
    from bot.config import ConfigError  # imported here: keeps --help fast
    from bot.config_loading import load_config
    from bot.doctor import DoctorOptions, Finding, Level, exit_code, run_diagnosis

    try:
        config = load_config(args.config)
    except ConfigError as error:
        print(Finding(Level.FAIL, _("configuration"), str(error)))
        return 1
    findings = [Finding(Level.OK, _("configuration"), _("loaded"))]
    findings += run_diagnosis(DoctorOptions(
        data_dir=args.data_dir or config.data_dir, token=config.token, api_url=config.api_url,
        key_file=args.key_file, online=args.online, quick=args.quick,
        min_free_mb=args.min_free_mb, healthz_url=args.healthz))
    for finding in findings:
        print(finding)
    sys.stdout.flush()
    return exit_code(findings, quick=args.quick)
