from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KamConfig(AppConfig):
    name = "kam"
    verbose_name = _("KAM core")

    def ready(self) -> None:
        from kam import authentication  # noqa: F401  (registers the OpenAPI auth extensions)
