"""Forms of the working calendar's pages: they parse; the rules are kam.calendar_services'."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.calendar_files import MAX_BYTES
from kam.calendar_models import CalendarEntry, CalendarSettings, DayKind, EntrySource, Weekday
from kam.forms import ServiceErrors

DATE_INPUT = {"type": "date"}
TIME_INPUT = {"type": "time"}


def year_choices(today: datetime.date, *also: int) -> list[tuple[int, str]]:
    """Last year to two years ahead, and any other year a record already names."""
    years = {today.year - 1, today.year, today.year + 1, today.year + 2, *also}
    return [(year, str(year)) for year in sorted(years)]


class CalendarSettingsForm(ServiceErrors, forms.Form):
    # Not required here: the service's rule says what is wrong with none.
    working_weekdays = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Working days of the week"), choices=Weekday.choices, coerce=int,
        required=False, widget=forms.CheckboxSelectMultiple)
    day_starts = forms.TimeField(label=gettext_lazy("Working day starts"),
                                 widget=forms.TimeInput(attrs=TIME_INPUT, format="%H:%M"))
    day_ends = forms.TimeField(label=gettext_lazy("Working day ends"),
                               widget=forms.TimeInput(attrs=TIME_INPUT, format="%H:%M"),
                               help_text=gettext_lazy("Response times of service requests count "
                                                      "these hours of the working days."))
    # Optional: both empty is no break (the service's rules say what is wrong with one alone).
    break_starts = forms.TimeField(label=gettext_lazy("Lunch break from"), required=False,
                                   widget=forms.TimeInput(attrs=TIME_INPUT, format="%H:%M"))
    break_ends = forms.TimeField(label=gettext_lazy("Lunch break to"), required=False,
                                 widget=forms.TimeInput(attrs=TIME_INPUT, format="%H:%M"),
                                 help_text=gettext_lazy("Optional. Response times do not count "
                                                        "the lunch break; leave both empty if "
                                                        "you have none."))
    observes_statutory_holidays = forms.BooleanField(
        label=gettext_lazy("Keep China's public holidays"), required=False,
        help_text=gettext_lazy("The official schedule's days off are not working days."))
    works_makeup_days = forms.BooleanField(
        label=gettext_lazy("Work the make-up working days (调休)"), required=False,
        help_text=gettext_lazy("The Saturdays and Sundays the official schedule makes working "
                               "days are working days (only with the public holidays)."))

    def __init__(self, *args: Any, settings: CalendarSettings, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {
            "working_weekdays": list(settings.working_weekdays),
            "day_starts": settings.day_starts, "day_ends": settings.day_ends,
            "break_starts": settings.break_starts, "break_ends": settings.break_ends,
            "observes_statutory_holidays": settings.observes_statutory_holidays,
            "works_makeup_days": settings.works_makeup_days})
        super().__init__(*args, **kwargs)


class CalendarEntryForm(ServiceErrors, forms.Form):
    day = forms.DateField(label=gettext_lazy("Date"),
                          widget=forms.DateInput(attrs=DATE_INPUT, format="%Y-%m-%d"))
    kind = forms.ChoiceField(label=gettext_lazy("Kind of day"), choices=DayKind.choices,
                             widget=forms.RadioSelect)
    name = forms.CharField(label=gettext_lazy("Name"), required=False,
                           max_length=CalendarEntry._meta.get_field("name").max_length,
                           help_text=gettext_lazy("For example 国庆节, 国庆节调休上班 or 年会."))
    source = forms.ChoiceField(label=gettext_lazy("Whose day"), choices=EntrySource.choices,
                               widget=forms.RadioSelect, initial=EntrySource.COMPANY)
    year = forms.TypedChoiceField(
        label=gettext_lazy("Official schedule of"), coerce=int, required=False, empty_value=None,
        help_text=gettext_lazy("Only for the official schedule: the year whose State Council "
                               "notice names the day (a make-up day in December may belong to "
                               "the next year's)."))

    def __init__(self, *args: Any, today: datetime.date, entry: CalendarEntry | None = None,
                 year: int | None = None, **kwargs: Any) -> None:
        if entry is not None:
            kwargs.setdefault("initial", {"day": entry.day, "kind": entry.kind, "name": entry.name,
                                          "source": entry.source, "year": entry.year})
        elif year is not None:
            kwargs.setdefault("initial", {"year": year, "source": EntrySource.COMPANY})
        super().__init__(*args, **kwargs)
        known = [y for y in (year, entry.year if entry else None) if y is not None]
        self.fields["year"].choices = year_choices(today, *known)  # type: ignore[attr-defined]


class CalendarImportForm(forms.Form):
    year = forms.TypedChoiceField(label=gettext_lazy("Year"), coerce=int)
    file = forms.FileField(label=gettext_lazy("File"), help_text=gettext_lazy(
        "CSV or iCalendar (.ics); see the columns and rules below."))

    def __init__(self, *args: Any, today: datetime.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = year_choices(today)  # type: ignore[attr-defined]

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise ValidationError(_("The file is larger than %(kb)d KB.") % {"kb": MAX_BYTES // 1024})
        return upload
