from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from kam.models import Tenant
from kam.services import api_key_create
from kam.tenancy import tenant_context


class Command(BaseCommand):
    help = "Create an API key for a tenant and print it once."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--tenant", required=True, help="tenant slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--scopes", default="read", help="comma-separated: read,write")

    def handle(self, *args, **options) -> None:
        try:
            tenant = Tenant.objects.get(slug=options["tenant"])
        except Tenant.DoesNotExist as exc:
            raise CommandError(f"No tenant with slug {options['tenant']!r}") from exc
        scopes = [s.strip() for s in options["scopes"].split(",") if s.strip()]
        with tenant_context(tenant):
            try:
                key, raw = api_key_create(name=options["name"], scopes=scopes)
            except ValidationError as exc:
                raise CommandError("; ".join(
                    f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items()
                )) from exc
        self.stderr.write(f"Created key {key.name!r} ({', '.join(key.scopes)}) for {tenant.slug}. "
                          "It is shown once:")
        self.stdout.write(raw)
