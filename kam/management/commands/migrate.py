"""``migrate`` as the owner role: the application role owns nothing and cannot change the schema."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.core.management.commands.migrate import Command as DjangoMigrate
from django.db import connections

if TYPE_CHECKING:
    from kam.db.base import DatabaseWrapper


class Command(DjangoMigrate):
    help = DjangoMigrate.help + " Runs as the database owner role (DATABASE_OWNER_URL)."

    def handle(self, *args: Any, **options: Any) -> None:
        with cast("DatabaseWrapper", connections[options["database"]]).as_owner():  # ENGINE: kam.db
            super().handle(*args, **options)
