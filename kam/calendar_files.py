"""A year's official schedule as a file: read from CSV or iCalendar (.ics) for the import, and
written as CSV for the export (which the import reads back).

CSV: a first line naming the columns, in English or Chinese — ``date`` / ``日期`` (2027-10-01,
2027/10/1 or 2027年10月1日), ``kind`` / ``类型`` (a day off: holiday, day off, 放假, 休, 休息;
a working day: working, working day, workday, 上班, 班, 补班, 工作日), ``name`` / ``名称``
(optional), ``source`` / ``来源`` (optional: rows marked as the company's own, as the export writes
them, are skipped). UTF-8 (with or without BOM, as Excel saves it) or GB18030; comma, semicolon or
tab between cells.

iCalendar: every all-day VEVENT (DTSTART a date; DTEND, exclusive, or DURATION spread it over
several days) is a day of the year's schedule. An event is a make-up working day when its SUMMARY
or CATEGORIES contain 班 (上班, 补班, 加班, "(班)") or the English word work (working day, workday)
or make-up; any other event is a day off. Events on dates outside the year's schedule are skipped
(holiday feeds hold many years); timed and repeating events are errors."""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from kam.calendar_models import DayKind, EntrySource
from kam.calendar_selectors import day_name, official_range, official_schedule, own_days

MAX_BYTES = 1024 * 1024
MAX_ROWS = 2000
LANGUAGES = ("en", "zh-hans")

# The column names of the CSV, in the import's and the export's two languages (English first).
COLUMNS: dict[str, tuple[str, ...]] = {
    "date": ("date", "日期", "day"),
    "kind": ("kind", "类型", "type", "类别"),
    "name": ("name", "名称", "holiday", "节日", "说明"),
    "source": ("source", "来源"),
}
_KIND_WORDS: dict[str, tuple[str, ...]] = {
    DayKind.HOLIDAY: ("holiday", "day off", "off", "rest", "放假", "休", "休息", "休息日", "假",
                      "假期", "假日", "节假日", "法定节假日"),
    DayKind.WORKING: ("working", "working day", "workday", "work day", "work", "make-up day",
                      "make-up working day", "上班", "班", "补班", "工作日", "调休上班"),
}
_SOURCE_WORDS: dict[str, tuple[str, ...]] = {
    EntrySource.OFFICIAL: ("official", "官方", "官方安排", "国务院"),
    EntrySource.COMPANY: ("company", "own", "本公司", "公司"),
}
_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
# A make-up working day in a holiday feed's event (see the module's docstring).
_WORKING_EVENT_RE = re.compile(r"班|\bwork|make-?up", re.IGNORECASE)
# A cell the export escaped with an apostrophe because it started like a formula.
_FORMULA_START = re.compile(r"'*[=+\-@\t\r]")
_FORMULA_ESCAPED = re.compile(r"'+[=+\-@\t\r]")


class CalendarFileError(ValueError):
    """The file cannot be read at all; the message is for the user."""


@dataclass
class ParsedRow:
    line: int                      # the CSV line, or the iCalendar event's number
    day: datetime.date | None
    kind: str | None
    name: str
    text: str                      # what the row said, for a row that did not parse
    errors: list[str] = field(default_factory=list)

    @property
    def kind_label(self) -> str:
        return str(DayKind(self.kind).label) if self.kind else ""


@dataclass
class ParsedFile:
    file_format: str               # "csv" or "ics"
    rows: list[ParsedRow]
    skipped: int = 0               # rows of the company's own days, or events of other years


def _norm(text: str) -> str:
    return " ".join(text.replace("\ufeff", "").strip().lower().split())


def _words(table: dict[str, tuple[str, ...]], labels: dict[str, object]) -> dict[str, str]:
    """word -> value: the fixed words and the choices' labels in both languages."""
    found = {_norm(word): value for value, words in table.items() for word in words}
    for language in LANGUAGES:
        with translation.override(language):
            found.update({_norm(str(label)): value for value, label in labels.items()})
    for value in table:
        found[value] = value
    return found


def parse_date(text: str) -> datetime.date | None:
    match = _DATE_RE.match(text.strip())
    if match is None:
        return None
    try:
        return datetime.date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def parse_schedule(data: bytes, *, year: int) -> ParsedFile:
    """The days of a CSV or iCalendar file, each with the errors of its own cells (the rules of a
    calendar day and of the import run afterwards: kam.calendar_services.import_errors)."""
    if not data.strip():
        raise CalendarFileError(_("The file is empty."))
    if len(data) > MAX_BYTES:
        raise CalendarFileError(_("The file is larger than %(kb)d KB.") % {"kb": MAX_BYTES // 1024})
    head = data.lstrip(codecs.BOM_UTF8).lstrip()[:15].upper()
    if head.startswith(b"BEGIN:VCALENDAR"):
        return _parse_ics(data, year=year)
    return _parse_csv(data)


# --- CSV ------------------------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        candidates: tuple[str, ...] = ("utf-8-sig",)
    else:
        candidates = ("utf-8", "gb18030")
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return text
    raise CalendarFileError(_("This is neither a CSV file (text in UTF-8 or GB18030) nor an "
                              "iCalendar file (.ics)."))


def _cell(row: list[str], index: int | None) -> str:
    if index is None or index >= len(row):
        return ""
    cell = row[index].strip()
    return cell[1:] if _FORMULA_ESCAPED.match(cell) else cell


def _parse_csv(data: bytes) -> ParsedFile:
    text = _decode(data)
    try:
        delimiter = csv.Sniffer().sniff(text[:2048], delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    kinds = _words(_KIND_WORDS, dict(DayKind.choices))
    sources = _words(_SOURCE_WORDS, dict(EntrySource.choices))
    aliases = {_norm(name): column for column, names in COLUMNS.items() for name in names}
    columns: dict[str, int] | None = None
    parsed = ParsedFile(file_format="csv", rows=[])
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if columns is None:
                columns = {}
                for index, cell in enumerate(row):
                    columns.setdefault(aliases.get(_norm(cell), ""), index)
                if "date" not in columns or "kind" not in columns:
                    raise CalendarFileError(_(
                        "The first line must name the columns: date, kind, name (or 日期, 类型, "
                        "名称)."))
                continue
            if len(parsed.rows) >= MAX_ROWS:
                raise CalendarFileError(_("The file has more than %(n)d rows: a year's schedule "
                                          "has a few dozen.") % {"n": MAX_ROWS})
            source_text = _cell(row, columns.get("source"))
            if source_text and sources.get(_norm(source_text)) == EntrySource.COMPANY:
                parsed.skipped += 1
                continue
            parsed.rows.append(_csv_row(reader.line_num, row, columns, kinds, sources))
    except csv.Error as exc:
        raise CalendarFileError(_("Line %(line)d cannot be read as CSV (%(error)s).") % {
            "line": reader.line_num, "error": exc}) from exc
    if columns is None:
        raise CalendarFileError(_("The file is empty."))
    return parsed


def _csv_row(line: int, row: list[str], columns: dict[str, int], kinds: dict[str, str],
             sources: dict[str, str]) -> ParsedRow:
    date_text, kind_text = _cell(row, columns["date"]), _cell(row, columns["kind"])
    source_text = _cell(row, columns.get("source"))
    result = ParsedRow(line=line, day=parse_date(date_text), kind=kinds.get(_norm(kind_text)),
                       name=_cell(row, columns.get("name")), text=delimited(row))
    if result.day is None:
        result.errors.append(_("“%(value)s” is not a date: write it as 2027-10-01.") % {
            "value": date_text} if date_text else _("The date is missing."))
    if result.kind is None:
        result.errors.append(_("“%(value)s” is not a kind of day: write 放假 (holiday) or 上班 "
                               "(working).") % {"value": kind_text}
                             if kind_text else _("The kind of day is missing."))
    if source_text and _norm(source_text) not in sources:
        result.errors.append(_("“%(value)s” is not a source: leave it empty or write official "
                               "(官方安排).") % {"value": source_text})
    return result


def delimited(cells: Iterable[str]) -> str:
    return ", ".join(cell.strip() for cell in cells)


# --- iCalendar ------------------------------------------------------------------------------------


def _event_text(event: Any, name: str) -> str:
    """A text property of an event; CATEGORIES (one line or several) as their words."""
    value = event.get(name)
    values = value if isinstance(value, list) else [value]
    words: list[str] = []
    for item in values:
        if item is None:
            continue
        cats = getattr(item, "cats", None)
        words += [str(cat) for cat in cats] if cats is not None else [str(item)]
    return " ".join(word.strip() for word in words if word.strip())


def _event_end(event: Any, start: datetime.date) -> datetime.date | None:
    """The day after the event's last day (DTEND, else DTSTART + DURATION, else one day)."""
    try:
        if event.get("DTEND") is not None:
            end = event.decoded("DTEND")
        elif event.get("DURATION") is not None:
            end = start + event.decoded("DURATION")
        else:
            end = start + datetime.timedelta(days=1)
    except (ValueError, TypeError, KeyError):
        return None
    if isinstance(end, datetime.datetime):
        return end.date()
    return end if isinstance(end, datetime.date) else None


def _event_days(event: Any) -> tuple[list[datetime.date], str | None]:
    """The dates an event covers, or the error that keeps it out."""
    try:
        start = event.decoded("DTSTART")
    except KeyError:
        return [], _("The event has no date (DTSTART).")
    except (ValueError, TypeError):
        return [], _("The event's date cannot be read.")
    # icalendar keeps a value it could not parse as its text (and notes it in event.errors).
    if isinstance(start, (str, bytes)) or any(name == "DTSTART" for name, _e in event.errors):
        return [], _("The event's date cannot be read.")
    if isinstance(start, datetime.datetime) or not isinstance(start, datetime.date):
        return [], _("Not an all-day event: it has a time of day.")
    if event.get("RRULE") is not None:
        return [], _("Repeating events are not supported: give each day its own event.")
    end = _event_end(event, start)
    if end is None:
        return [], _("The event's end cannot be read.")
    length = (end - start).days
    if not 1 <= length <= 366:
        return [], _("The event ends before it starts, or lasts more than a year.")
    return [start + datetime.timedelta(days=i) for i in range(length)], None


def _parse_ics(data: bytes, *, year: int) -> ParsedFile:
    import icalendar

    try:
        calendar = icalendar.Calendar.from_ical(data)
    except (ValueError, IndexError, KeyError, TypeError) as exc:
        raise CalendarFileError(_("This iCalendar file cannot be read (%(error)s).") % {
            "error": str(exc)[:200]}) from exc
    first, last = official_range(year)
    parsed = ParsedFile(file_format="ics", rows=[])
    for number, event in enumerate(calendar.walk("VEVENT"), start=1):
        summary = _event_text(event, "SUMMARY")
        marks = f"{summary} {_event_text(event, 'CATEGORIES')}"
        kind = DayKind.WORKING if _WORKING_EVENT_RE.search(marks) else DayKind.HOLIDAY
        days, error = _event_days(event)
        if error is not None:
            parsed.rows.append(ParsedRow(line=number, day=None, kind=kind, name=summary,
                                         text=summary, errors=[error]))
            continue
        for day in days:
            if not first <= day <= last:
                parsed.skipped += 1
                continue
            parsed.rows.append(ParsedRow(line=number, day=day, kind=kind, name=summary,
                                         text=summary))
        if len(parsed.rows) > MAX_ROWS:
            raise CalendarFileError(_("The file has more than %(n)d days for this year: a year's "
                                      "schedule has a few dozen.") % {"n": MAX_ROWS})
    return parsed


# --- the export -----------------------------------------------------------------------------------


def _escaped(value: str) -> str:
    """A cell that starts like a formula gets a leading apostrophe (the spreadsheets' "this is
    text"); the import drops it again. The same rule as the account exports."""
    return "'" + value if _FORMULA_START.match(value) else value


def export_csv(year: int) -> str:
    """The year's official schedule in force (the stored one, else the built-in one) and the
    company's own days, in the import's format and the reader's language: importing the file as
    the year's schedule stores its official days again (the own days are skipped)."""
    language = 1 if (translation.get_language() or "").startswith("zh") else 0
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([names[language] for names in COLUMNS.values()])
    kinds, sources = dict(DayKind.choices), dict(EntrySource.choices)
    days = [(d, EntrySource.OFFICIAL) for d in official_schedule(year)]
    days += [(d, EntrySource.COMPANY) for d in own_days(year)]
    for d, source in sorted(days, key=lambda pair: (pair[0].day, pair[1] == EntrySource.COMPANY)):
        writer.writerow([d.day.isoformat(), str(kinds[d.kind]), _escaped(day_name(d.name)),
                         str(sources[source])])
    return "\ufeff" + out.getvalue()  # the BOM: Excel opens UTF-8 (Chinese) correctly
