"""The API's JSON parser: DRF's, with a cap on nesting and errors in the caller's language.

Python's JSON decoder recurses once per level, so a body of a few kilobytes of ``[`` ends in a
RecursionError (a 500) and, below that, deep values reach code that recurses over them. No body the
API documents is nested more than two levels (a bulk request: a list of objects), so anything
deeper than ``MAX_DEPTH`` is bad input, a 400 like any other unparsable body.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from itertools import accumulate
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.utils.json import strict_constant

MAX_DEPTH = 32

# A JSON string (valid JSON: the body has been parsed already), and what is not a bracket.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def nesting_depth(text: str) -> int:
    """How deeply the containers of a valid JSON text nest (0 for a scalar)."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:  # cannot be deeper than that
        return 0
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, map(ord, brackets))), default=0)


def _encoding(parser_context: Mapping[str, Any]) -> str:
    """The charset of the Content-Type, or the default; text encodings only (as DRF: a bytes
    codec such as bz2_codec would inflate a small body past DATA_UPLOAD_MAX_MEMORY_SIZE)."""
    encoding = parser_context.get("encoding") or settings.DEFAULT_CHARSET
    try:
        "".encode(encoding)
    except (LookupError, UnicodeError) as exc:
        raise ParseError(_("The character set %(charset)s is not supported.")
                         % {"charset": encoding}) from exc
    return encoding


def _too_deep() -> ParseError:
    return ParseError(_("The body is nested too deeply: at most %(depth)d levels.")
                      % {"depth": MAX_DEPTH})


class ApiJSONParser(JSONParser):
    """``application/json`` like DRF's parser (strict: no NaN or Infinity), nested at most
    ``MAX_DEPTH`` levels; every failure is a ParseError (400) with a translated message."""

    def parse(self, stream: Any, media_type: str | None = None,
              parser_context: Mapping[str, Any] | None = None) -> Any:
        encoding = _encoding(parser_context or {})
        raw = stream.read()
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as exc:
            raise ParseError(_("The body is not valid %(encoding)s text.")
                             % {"encoding": encoding.upper()}) from exc
        try:
            data = json.loads(text, parse_constant=strict_constant if self.strict else None)
        except RecursionError as exc:
            raise _too_deep() from exc
        except json.JSONDecodeError as exc:
            raise ParseError(_("The body is not valid JSON (line %(line)d, column %(column)d).")
                             % {"line": exc.lineno, "column": exc.colno}) from exc
        except ValueError as exc:  # NaN, Infinity (strict_constant)
            raise ParseError(_("The body is not valid JSON.")) from exc
        if nesting_depth(text) > MAX_DEPTH:
            raise _too_deep()
        return data
