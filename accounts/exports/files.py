"""The two file formats of an export: CSV streamed to the client as it is produced, Excel written
row by row to a temporary file (XlsxWriter's constant-memory mode), then streamed from disk."""

from __future__ import annotations

import csv
import re
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO, Any

from django.http import FileResponse, StreamingHttpResponse


class _Echo:
    def write(self, value: str) -> str:
        return value


# A text cell that starts like a formula (=, +, -, @, a tab or a carriage return) is run by Excel,
# LibreOffice and Google Sheets when the CSV is opened: "=cmd|' /C calc'!A0" in an account name.
# Such a cell gets a leading apostrophe, the spreadsheets' own mark for "this is text" (OWASP's
# advice). Text already starting with apostrophes before such a character gets one more, so the
# rule can be undone exactly (drop one leading apostrophe where FORMULA_ESCAPED matches). Numbers
# are not text: a negative amount stays -12.50, a number. (The Excel export needs none of this:
# XlsxWriter writes text as text, strings_to_formulas=False.)
FORMULA_START = re.compile(r"'*[=+\-@\t\r]")
FORMULA_ESCAPED = re.compile(r"'+[=+\-@\t\r]")


def csv_cell(value: Any) -> Any:
    if isinstance(value, str) and FORMULA_START.match(value):
        return "'" + value
    return value


def stream_csv(rows: Iterable[list[Any]], filename: str) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def generate() -> Iterator[str]:
        yield "\ufeff"  # so Excel opens UTF-8 (Chinese) correctly
        for row in rows:
            yield writer.writerow([csv_cell(value) for value in row])

    response = StreamingHttpResponse(generate(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def write_xlsx(rows: Iterable[list[Any]], sheet_title: str) -> IO[bytes]:
    """XlsxWriter in constant-memory mode: each row goes to disk as it is written (about three
    times faster than openpyxl's write-only mode at 100k rows; openpyxl still reads imports)."""
    import xlsxwriter

    out = tempfile.NamedTemporaryFile(suffix=".xlsx")  # returned: the response closes it
    workbook = xlsxwriter.Workbook(out.name, {
        "constant_memory": True, "default_date_format": "yyyy-mm-dd", "strings_to_numbers": False,
        "strings_to_formulas": False, "strings_to_urls": False,
    })
    sheet = workbook.add_worksheet(sheet_title[:31])
    for index, row in enumerate(rows):
        sheet.write_row(index, 0, row)
    workbook.close()
    out.seek(0)
    return out


def xlsx_response(rows: Iterable[list[Any]], filename: str) -> FileResponse:
    return FileResponse(write_xlsx(rows, filename), as_attachment=True,
                        filename=f"{filename}.xlsx",
                        content_type="application/vnd.openxmlformats-officedocument."
                                     "spreadsheetml.sheet")
