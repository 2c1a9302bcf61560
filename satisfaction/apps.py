from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SatisfactionConfig(AppConfig):
    name = "satisfaction"
    verbose_name = _("Service and satisfaction")

    def ready(self) -> None:
        # What the app plugs into the seams: the visibility of requests (exactly their
        # account's), the kinds of events it notifies about, and the minute SLA sweep's task.
        from kam import visibility
        from satisfaction.requests import notifications
        from satisfaction.requests.models import ServiceRequest
        from satisfaction.requests.selectors import request_visible_queryset
        from satisfaction.sla import sweep  # noqa: F401  (registers the beat's task)

        visibility.register_selector(ServiceRequest, request_visible_queryset)
        notifications.register()
