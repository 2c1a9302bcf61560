from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareConfig(AppConfig):
    name = "care"
    verbose_name = _("Customer care")

    def ready(self) -> None:
        # What the app plugs into the seams of kam and accounts: its nightly job, the
        # visibility selector of its reminders (visible exactly when their account is), its kind
        # of notification, the default festivals of a new company and the 360° page's care
        # section (loaded after the page).
        from accounts.profile.sections import ProfileSection, register_profile_section
        from care import (
            jobs,  # noqa: F401  (registers the job)
            notifications,
        )
        from care.models import CareReminder
        from care.selectors import care_reminder_visible_queryset
        from care.services import festivals_seed
        from kam import visibility
        from kam.services import register_tenant_setup

        visibility.register_selector(CareReminder, care_reminder_visible_queryset)
        notifications.register()
        register_tenant_setup(festivals_seed)
        register_profile_section(ProfileSection(key="care", title=_("Customer care"),
                                                url_name="care:account-care", order=110))
        _register_my_day_and_feed()
        from accounts.demo.services import register_demo_step
        from care.demo import seed_care

        register_demo_step(seed_care)


def _register_my_day_and_feed() -> None:
    """My day's care reminders of the next 14 days; the calendar feed's optional care source."""
    from care.myday import care_events, my_day_care
    from kam.feed import FeedSource, register_feed_source
    from kam.myday import MyDaySection, register_my_day_section

    register_my_day_section(MyDaySection(key="care", title=_("Customer care, next 14 days"),
                                         template="care/_my_day.html", load=my_day_care,
                                         order=40))
    register_feed_source(FeedSource(key="care", label=_("Care reminders for your customers"),
                                    load=care_events, optional=True, order=30))
