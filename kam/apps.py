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
        _remember_previous_login()


def _remember_previous_login() -> None:
    """My day shows what changed since the user's previous login, which Django's own receiver
    overwrites (User.last_login := now) as they log in: ours takes its place, keeps the previous
    value in the new session (kam.myday.SESSION_PREVIOUS_LOGIN), then does what it did."""
    from django.contrib.auth.models import update_last_login
    from django.contrib.auth.signals import user_logged_in

    from kam.myday import SESSION_PREVIOUS_LOGIN

    def remember_then_update(sender, user, request=None, **kwargs) -> None:
        if request is not None and hasattr(request, "session"):
            previous = user.last_login
            request.session[SESSION_PREVIOUS_LOGIN] = previous.isoformat() if previous else None
        update_last_login(sender, user, **kwargs)

    user_logged_in.disconnect(dispatch_uid="update_last_login")
    user_logged_in.connect(remember_then_update, dispatch_uid="kam-update-last-login", weak=False)
