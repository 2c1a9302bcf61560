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
