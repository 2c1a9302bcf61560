"""``migrate`` as the owner role: the application role owns nothing and cannot change the schema."""

from __future__ import annotations

from typing import Any

from django.core.management.commands.migrate import Command as DjangoMigrate
from django.db import connections


class Command(DjangoMigrate):
    help = DjangoMigrate.help + " Runs as the database owner role (DATABASE_OWNER_URL)."

    def handle(self, *args: Any, **options: Any) -> None:
        with connections[options["database"]].as_owner():
            super().handle(*args, **options)
