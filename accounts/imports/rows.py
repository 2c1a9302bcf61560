"""The building blocks a run validates rows with: ``ImportAbort`` (stop and roll everything back),
the failed-rows report (``_Report``, a CSV of the original columns plus an errors column, in the
language of the run, kept in a temporary file until stored), one row of the file (``_Row``) and
the per-field cleaners that apply the model fields' own ``clean()`` (``_model_cleaner``) or check a
reference (``_ref_cleaner``).
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import models
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from accounts.account.validators import normalize_uscc
from accounts.imports.models import (
    ImportJob,
)


class ImportAbort(Exception):
    """Stop the import and roll everything back; ``message`` is shown on the job."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _Report:
    """The failed rows, as CSV (original columns + errors), in a temporary file until stored."""

    def __init__(self, headers: list[str]) -> None:
        self.count = 0
        self._binary = tempfile.TemporaryFile()
        self._text = io.TextIOWrapper(self._binary, encoding="utf-8-sig", newline="")
        self._writer = csv.writer(self._text)
        self._writer.writerow([*headers, _("Errors")])
        self._width = len(headers)

    def add(self, raw: list[str], errors: dict[str, list[str]]) -> None:
        """One failed row: its cells as they were, and per column its errors ("行业：…；员工人数：…"
        in Chinese, "Industry: …; Employees: …" in English)."""
        self.count += 1
        parts = [pgettext("failed rows", "%(column)s: %(errors)s")
                 % {"column": column, "errors": " ".join(messages)}
                 for column, messages in errors.items()]
        text = parts[0] if parts else ""
        for part in parts[1:]:  # "; " in English; Chinese messages end in 。 and need no more
            text = pgettext("failed rows", "%(errors)s; %(more)s") % {"errors": text, "more": part}
        self._writer.writerow([*(raw + [""] * self._width)[: self._width], text])

    def store(self, job: ImportJob) -> str:
        self._text.flush()
        self._binary.seek(0)
        job.report.save("failed.csv", File(self._binary), save=False)
        return job.report.name

    def close(self) -> None:
        self._text.close()


@dataclass
class _Row:
    number: int
    raw: list[str]
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(str(message))


_DATE_SEP_RE = re.compile(r"^(\d{4})[/.年](\d{1,2})[/.月](\d{1,2})日?(?:[ T]00:00(?::00)?)?$")
_NUMBER_JUNK = str.maketrans("", "", ", ，¥￥")


def _choice_lookup(model_field: models.Field) -> dict[str, str]:
    """Codes, and labels in every language, to the code: 能源 / Energy / energy → energy."""
    lookup: dict[str, str] = {}
    for code, _label in model_field.flatchoices:
        lookup[str(code).lower()] = code
    for lang, _name in settings.LANGUAGES:
        with translation.override(lang):
            for code, label in model_field.flatchoices:
                lookup.setdefault(str(label).strip().lower(), code)
    return lookup


# Yes / no cells as spreadsheets write them (Excel's TRUE, 是/否, ✓); anything else is the model
# field's own error.
_BOOLEANS = {**dict.fromkeys(("true", "t", "1", "yes", "y", "是", "√", "✓"), True),
             **dict.fromkeys(("false", "f", "0", "no", "n", "否", "×", "✗"), False)}


def _model_cleaner(model_field: models.Field, *, required: bool) -> Callable[[str], Any]:
    """The model field's own clean() — the validation full_clean() runs in the services."""
    choices = _choice_lookup(model_field) if model_field.choices else None
    is_decimal = isinstance(model_field, models.DecimalField)
    is_date = isinstance(model_field, models.DateField)
    is_uscc = model_field.name == "unified_social_credit_code"
    is_boolean = isinstance(model_field, models.BooleanField)

    def clean(raw: str) -> Any:
        if raw == "":
            if required:
                raise ValidationError(_("This field is required."))
            if model_field.has_default():
                return model_field.get_default()
            return None if model_field.null else ""
        value: Any = raw
        if choices is not None:
            value = choices.get(raw.lower(), raw)
        elif is_decimal:
            value = raw.translate(_NUMBER_JUNK)
        elif is_date:
            match = _DATE_SEP_RE.match(raw)
            if match:
                value = "{}-{}-{}".format(*match.groups())
        elif is_uscc:
            value = normalize_uscc(raw)
        elif is_boolean:
            value = _BOOLEANS.get(raw.strip().lower(), raw)
        return model_field.clean(value, None)

    return clean


def _ref_cleaner(*, required: bool, lower: bool = False) -> Callable[[str], str]:
    def clean(raw: str) -> str:
        if raw == "" and required:
            raise ValidationError(_("This field is required."))
        if len(raw) > 254:
            raise ValidationError(_("Ensure this value has at most %(max)d characters.")
                                  % {"max": 254})
        return raw.lower() if lower else raw

    return clean
