"""Checking an XLSX archive against the limits before pyxform and openpyxl open it.

An XLSX file is a ZIP archive of XML parts. A few hundred kilobytes can inflate to
gigabytes (a "zip bomb", e.g. a huge ``sharedStrings.xml``, which openpyxl loads whole), or
hold hundreds of thousands of rows that openpyxl would stream one by one. So before the
workbook is read, the sizes the archive declares are checked, then every part is inflated
in small chunks, counting the bytes actually produced (a forged header must not get past)
and the rows of each sheet, stopping as soon as a limit is passed. That costs one extra
inflation of at most :data:`~surveys.limits.MAX_XLSX_UNCOMPRESSED_BYTES`, a few tens of
milliseconds.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib

from surveys.limits import MAX_SHEET_ROWS, MAX_XLSX_MEMBERS, MAX_XLSX_UNCOMPRESSED_BYTES
from surveys.messages import N_
from surveys.problems import ProblemList

__all__ = ["check_archive"]

_CHUNK = 64 * 1024
#: A row element of a worksheet, with or without a namespace prefix: ``<row `` / ``<x:row>``.
_ROW = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s>/]")
#: Longest possible row tag start, kept between chunks so a tag split in two is counted once.
_OVERLAP = 64


class _TooLarge(Exception):
    pass


def check_archive(data: bytes, problems: ProblemList) -> bool:
    """Whether ``data`` is a ZIP archive small enough to read; records a problem if not."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        problems.error(None, "unreadable-workbook", N_("cannot read the workbook: {reason}"), reason="not an .xlsx (ZIP) file")
        return False
    with archive:
        if len(members) > MAX_XLSX_MEMBERS:
            problems.error(None, "too-many-parts", N_("the workbook has more than {limit} parts; it is not a survey"), limit=MAX_XLSX_MEMBERS)
            return False
        if sum(member.file_size for member in members) > MAX_XLSX_UNCOMPRESSED_BYTES:
            _too_large(problems)
            return False
        try:
            total = 0
            for member in members:
                total = _inflate(archive, member, total, problems)
        except _TooLarge:
            return False
        except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError, NotImplementedError, RuntimeError) as error:
            reason = "damaged or incomplete .xlsx file" if isinstance(error, (zipfile.BadZipFile, zlib.error, EOFError)) else type(error).__name__
            problems.error(None, "unreadable-workbook", N_("cannot read the workbook: {reason}"), reason=reason)
            return False
    return True


def _inflate(archive: zipfile.ZipFile, member: zipfile.ZipInfo, total: int, problems: ProblemList) -> int:
    """Inflate one part, counting bytes (and rows of a worksheet); returns the new total."""
    is_sheet = member.filename.startswith("xl/worksheets/") and member.filename.endswith(".xml")
    rows = 0
    tail = b""
    with archive.open(member) as stream:
        while chunk := stream.read(_CHUNK):
            total += len(chunk)
            if total > MAX_XLSX_UNCOMPRESSED_BYTES:
                _too_large(problems)
                raise _TooLarge
            if is_sheet:
                window = tail + chunk
                # A match ending inside the old tail was counted with the previous chunk.
                rows += sum(1 for match in _ROW.finditer(window) if match.end() > len(tail))
                tail = window[-_OVERLAP:]
                if rows > MAX_SHEET_ROWS:
                    problems.error(None, "too-many-rows", N_("a sheet of the workbook has more than {limit} rows"), limit=MAX_SHEET_ROWS)
                    raise _TooLarge
    return total


def _too_large(problems: ProblemList) -> None:
    problems.error(
        None, "too-large-uncompressed",
        N_("the workbook unpacks to more than {limit} MB; a survey is much smaller"), limit=MAX_XLSX_UNCOMPRESSED_BYTES // (1024 * 1024),
    )
