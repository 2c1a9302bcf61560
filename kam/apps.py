from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KamConfig(AppConfig):
    name = "kam"
    verbose_name = _("KAM core")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from kam import (
            authentication,  # noqa: F401  (registers the OpenAPI auth extensions)
            notify_mail,  # noqa: F401  (registers the email and digest tasks)
        )
        from kam.db.grants import grant_after_migrate

        post_migrate.connect(grant_after_migrate, sender=self, dispatch_uid="kam-grants")
