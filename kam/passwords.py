"""Password validation with every message in the user's language.

Django 5.2.x changed the msgid of the minimum-length message ("… at least %(min_length)d
characters." became "… at least %d characters.") without a zh-Hans translation of the new one, so
the Chinese settings page showed that one sentence in English beside the others in Chinese. The
validator below says it in words of our own catalog; the others keep Django's (translated)."""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.utils.translation import ngettext


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    def get_error_message(self) -> str:
        return ngettext(
            "This password is too short: it needs at least %(min_length)d character.",
            "This password is too short: it needs at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}
