from __future__ import annotations

from django.core.management.base import BaseCommand

from accounts.demo import DEMO_PASSWORD, demo_logins, seed_demo


class Command(BaseCommand):
    help = "Load the demo tenants, members and accounts (idempotent) and print the logins."

    def handle(self, *args, **options) -> None:
        created = seed_demo()
        for slug, count in created.items():
            self.stdout.write(f"{slug}: {count} accounts created"
                              + (" (already there)" if count == 0 else ""))
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD})")
        self.stdout.write(f"  {'username':<15} {'role':<10} tenant")
        for username, tenant, role in demo_logins():
            self.stdout.write(f"  {username:<15} {role:<10} {tenant}")
