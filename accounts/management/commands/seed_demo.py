from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError

from accounts.demo.services import DEMO_PASSWORD, demo_logins, seed_demo


def _day(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--as-of takes a date like 2026-06-30, not {value!r}") from exc


class Command(BaseCommand):
    help = "Load the demo tenants, members and accounts (idempotent) and print the logins."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--as-of", type=_day, default=None, metavar="YYYY-MM-DD",
                            help="Build the demo relative to this day (default: each demo "
                                 "tenant's today).")

    def handle(self, *args, **options) -> None:
        created = seed_demo(today=options["as_of"])
        for slug, count in created.items():
            self.stdout.write(f"{slug}: {count} accounts created"
                              + (" (already there)" if count == 0 else ""))
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD})")
        self.stdout.write(f"  {'username':<15} {'role':<10} tenant")
        for username, tenant, role in demo_logins():
            self.stdout.write(f"  {username:<15} {role:<10} {tenant}")
