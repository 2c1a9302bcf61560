"""Reading an uploaded file: sniffing what it is (CSV in UTF-8 / UTF-8 with BOM / GB18030 and its
delimiter, or xlsx; ``ImportFileError`` for anything else), the streaming CSV and xlsx row readers,
header cleaning, opening a job's stored file as (headers, numbered data rows) with
``_open_job_file``, and the preview shown on the mapping page (``import_preview``). The size and
sniffing limits live here too.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

from django.utils.translation import gettext as _

from accounts.exports.files import FORMULA_ESCAPED
from accounts.imports.models import (
    ImportFormat,
    ImportJob,
)

IMPORT_MAX_BYTES = 200 * 1024 * 1024
PREVIEW_ROWS = 10
_SNIFF_BYTES = 64 * 1024
_MAX_COLUMNS = 300


class ImportFileError(ValueError):
    """The file cannot be read as CSV or xlsx; the message is for the user."""


# --- reading files ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Sniffed:
    file_format: str
    encoding: str = ""
    delimiter: str = ","


_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _sniff(head: bytes, *, whole: bool) -> _Sniffed:
    """Decide what a file is from its first bytes; ImportFileError for anything we cannot read."""
    if not head.strip():
        raise ImportFileError(_("The file is empty."))
    if head.startswith(b"PK\x03\x04"):
        return _Sniffed(file_format=ImportFormat.XLSX)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(_("Old Excel files (.xls) are not supported: save the sheet as "
                                ".xlsx or CSV and upload it again."))
    if head.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
        text = head[len(codecs.BOM_UTF8):].decode("utf-8", errors="replace")
    else:
        encoding, text = "", ""
        for candidate in ("utf-8", "gb18030"):
            try:
                # A character cut at the end of the sample is not an error (final=False).
                text = codecs.getincrementaldecoder(candidate)().decode(head, final=whole)
            except UnicodeDecodeError:
                continue
            encoding = candidate
            break
    if not encoding or "\x00" in text or len(_CONTROL_RE.findall(text)) > max(8, len(text) // 100):
        raise ImportFileError(_("This is not a CSV or Excel (xlsx) file: its content is neither "
                                "text in UTF-8 or GB18030 nor a workbook."))
    if "\n" not in text and "\r" not in text and not whole:
        raise ImportFileError(_("The first line is longer than %(n)d KB: this does not look like "
                                "a CSV file.") % {"n": _SNIFF_BYTES // 1024})
    lines = text.splitlines()
    sample = "\n".join(lines[: max(2, min(len(lines) - 1, 20))])[:1024]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","  # one column, or too little to tell: the CSV default
    return _Sniffed(file_format=ImportFormat.CSV, encoding=encoding, delimiter=delimiter)


def _cell_text(value: Any) -> str:
    """An xlsx cell as the text a CSV would have held."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


def _csv_cell(cell: str) -> str:
    """A CSV export wrote a cell that starts like a formula with one more leading apostrophe
    (accounts.exports.files): read it back as it was, so an export imports onto itself."""
    return cell[1:] if FORMULA_ESCAPED.match(cell) else cell


def _csv_rows(fh: IO[bytes], sniffed: _Sniffed) -> Iterator[list[str]]:
    text = io.TextIOWrapper(fh, encoding=sniffed.encoding, newline="")
    reader = csv.reader(text, delimiter=sniffed.delimiter)
    line = 0
    try:
        for row in reader:
            line = reader.line_num
            yield [_csv_cell(cell.strip()) for cell in row]
    except csv.Error as exc:
        raise ImportFileError(_("Line %(line)d of the file cannot be read as CSV (%(error)s).")
                              % {"line": line + 1, "error": exc}) from exc
    except UnicodeDecodeError as exc:
        raise ImportFileError(_("After line %(line)d the file is not valid %(encoding)s text.")
                              % {"line": line, "encoding": sniffed.encoding.upper()}) from exc
    finally:
        text.detach()


def _xlsx_rows(fh: IO[bytes]) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(fh, read_only=True, data_only=True)
    # openpyxl raises almost anything on a broken workbook (BadZipFile, KeyError, XML parse
    # errors, TypeError…); all of them mean the same thing to the user.
    except Exception as exc:
        raise ImportFileError(_("This file is not a valid Excel (xlsx) workbook.")) from exc
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise ImportFileError(_("The workbook has no sheet."))
        try:
            for values in sheet.iter_rows(values_only=True):
                yield [_cell_text(v) for v in values]
        except ImportFileError:
            raise
        except Exception as exc:  # see above
            raise ImportFileError(_("The workbook's first sheet cannot be read.")) from exc
    finally:
        workbook.close()


def _data_rows(rows: Iterator[list[str]]) -> Iterator[tuple[int, list[str]]]:
    """(row number as a spreadsheet shows it, cells) of the non-empty rows after the header."""
    for number, row in enumerate(rows, start=2):
        if any(row):
            yield number, row


def _clean_headers(row: list[str]) -> list[str]:
    while row and not row[-1]:
        row = row[:-1]
    headers: list[str] = []
    for i, cell in enumerate(row, start=1):
        name = cell.lstrip("\ufeff").strip() or f"column_{i}"
        base, n = name, 2
        while name in headers:
            name, n = f"{base} ({n})", n + 1
        headers.append(name)
    return headers


@contextmanager
def _open_table(fh: IO[bytes], sniffed: _Sniffed) -> Iterator[tuple[list[str], Iterator]]:
    rows = _xlsx_rows(fh) if sniffed.file_format == ImportFormat.XLSX else _csv_rows(fh, sniffed)
    try:
        header = next(rows, None)
        if header is None or not any(header):
            raise ImportFileError(_("The file has no header row."))
        headers = _clean_headers(header)
        if len(headers) > _MAX_COLUMNS:
            raise ImportFileError(_("The file has %(n)d columns; at most %(max)d are supported.")
                                  % {"n": len(headers), "max": _MAX_COLUMNS})
        yield headers, _data_rows(rows)
    finally:
        rows.close()


@contextmanager
def _open_job_file(job: ImportJob) -> Iterator[tuple[list[str], Iterator[tuple[int, list[str]]]]]:
    with job.file.storage.open(job.file.name, "rb") as fh:
        head = fh.read(_SNIFF_BYTES)
        fh.seek(0)
        sniffed = _sniff(head, whole=len(head) < _SNIFF_BYTES)
        with _open_table(fh, sniffed) as table:
            yield table


def import_preview(*, job: ImportJob, n: int = PREVIEW_ROWS) -> list[list[str]]:
    """The first ``n`` data rows, padded to the header's width."""
    width = len(job.columns)
    out: list[list[str]] = []
    with _open_job_file(job) as (_headers, rows):
        for _number, row in rows:
            out.append((row + [""] * width)[:width])
            if len(out) >= n:
                break
    return out
