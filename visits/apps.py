from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "visits"
    verbose_name = _("Visits")

    def ready(self) -> None:
        # What the app plugs into the seams of kam and accounts: the visibility selector of each
        # model with an account (visits, follow-ups: visible exactly when their account is), the
        # 360° timeline's sources and the 360° page's visits section (loaded after the page); the
        # nightly jobs (missed visits, overdue follow-ups) and the kinds of events they notify.
        from accounts.profile.sections import ProfileSection, register_profile_section
        from accounts.profile.timeline import register_timeline_source
        from kam import visibility
        from visits import jobs  # noqa: F401  (registers the nightly jobs)
        from visits.followups import notifications as follow_up_notifications
        from visits.followups.models import FollowUp
        from visits.followups.selectors import follow_up_visible_queryset
        from visits.followups.timeline import follow_ups_done_source
        from visits.visit import notifications as visit_notifications
        from visits.visit.models import Visit
        from visits.visit.selectors import visit_visible_queryset
        from visits.visit.timeline import visits_source

        for model, selector in ((Visit, visit_visible_queryset),
                                (FollowUp, follow_up_visible_queryset)):
            visibility.register_selector(model, selector)
        for source in (visits_source, follow_ups_done_source):
            register_timeline_source(source)
        register_profile_section(ProfileSection(key="visits", title=_("Visits and follow-ups"),
                                                url_name="visits:account-visits"))
        visit_notifications.register()
        follow_up_notifications.register()
        from visits.cadence.apps import cadence_ready

        cadence_ready()
        _register_my_day()
        _register_feed()
        from accounts.demo.services import register_demo_step
        from visits.demo import seed_visits

        register_demo_step(seed_visits)


def _register_feed() -> None:
    """The member's calendar feed's sources (kam.feed): their visits, their open follow-ups."""
    from kam.feed import FeedSource, register_feed_source
    from visits.feed import follow_up_events, visit_events

    register_feed_source(FeedSource(key="visits", label=_("Your visits"), load=visit_events,
                                    order=10))
    register_feed_source(FeedSource(key="follow-ups", label=_("Your open follow-ups"),
                                    load=follow_up_events, order=20))


def _register_my_day() -> None:
    """My day's sections (kam.myday): this week's visits, the follow-ups due by Sunday."""
    from kam.myday import MyDaySection, register_my_day_section
    from visits.myday import my_day_follow_ups, my_day_visits

    register_my_day_section(MyDaySection(key="visits", title=_("Visits this week"),
                                         template="visits/_my_day_visits.html",
                                         load=my_day_visits, order=10))
    register_my_day_section(MyDaySection(key="follow-ups", title=_("Follow-ups due"),
                                         template="visits/_my_day_follow_ups.html",
                                         load=my_day_follow_ups, order=20))
