from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        # The 360° page's timeline: transactions per month, contacts, contracts. Other apps
        # register their own sources the same way from their ready() (see accounts.timeline).
        from accounts import jobs  # noqa: F401  (registers the nightly jobs)
        from accounts.tier_timeline import tier_changes_source
        from accounts.timeline import register_builtin_sources, register_timeline_source

        register_builtin_sources()
        register_timeline_source(tier_changes_source)  # tier changes (issue 5)
