"""What visit cadence plugs into the seams (called from ``VisitsConfig.ready``): its nightly job,
the visibility selector of its rows, the 360° page's cadence section, the account list's
"next visit due" column and my day's accounts behind on visits."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def cadence_ready() -> None:
    from accounts.account.list_columns import ListColumn, register_list_column
    from accounts.profile.sections import ProfileSection, register_profile_section
    from kam import visibility
    from visits.cadence import jobs  # noqa: F401  (registers the job)
    from visits.cadence.models import CadenceStatus
    from visits.cadence.selectors import cadence_visible_queryset, next_visit_due_annotation

    visibility.register_selector(CadenceStatus, cadence_visible_queryset)
    register_profile_section(ProfileSection(key="cadence", title=_("Visit cadence"),
                                            url_name="visits:account-cadence", order=90))
    register_list_column(ListColumn(key="next_visit_due", title=_("Next visit due"),
                                    annotations=next_visit_due_annotation,
                                    cell_template="visits/cadence/_next_due_cell.html"))
    from kam.myday import MyDaySection, register_my_day_section
    from visits.cadence.myday import my_day_behind_cadence

    register_my_day_section(MyDaySection(key="cadence", title=_("Accounts behind on visits"),
                                         template="visits/cadence/_my_day.html",
                                         load=my_day_behind_cadence, order=30))
