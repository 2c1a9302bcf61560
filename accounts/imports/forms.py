"""The forms of an import: the upload, and the column mapping."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.imports.files import IMPORT_MAX_BYTES
from accounts.imports.models import ImportJob, ImportKind, ImportMode
from accounts.imports.specs import field_choices
from kam.forms import ServiceErrors


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What to import"), choices=ImportKind.choices)
    file = forms.FileField(label=gettext_lazy("File"), help_text=gettext_lazy(
        "CSV (UTF-8 or GB18030, any common delimiter) or Excel (.xlsx); the first row holds the "
        "column names."))
    mode = forms.ChoiceField(label=gettext_lazy("When some rows fail"), choices=ImportMode.choices,
                             initial=ImportMode.VALID_ONLY, widget=forms.RadioSelect)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > IMPORT_MAX_BYTES:
            raise ValidationError(_("The file is larger than %(mb)d MB.")
                                  % {"mb": IMPORT_MAX_BYTES // (1024 * 1024)})
        return upload


class ImportMappingForm(ServiceErrors, forms.Form):
    """One select per target field, pre-filled with the stored (suggested) mapping."""

    def __init__(self, *args, job: ImportJob, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        columns = [("", _("— not imported —")), *((c, c) for c in job.columns)]
        for name, label, required in field_choices(kind=job.kind):
            self.fields[name] = forms.ChoiceField(
                label=label, required=False, choices=columns, initial=job.mapping.get(name, ""))
            self.fields[name].import_required = required
        self.fields["mode"] = forms.ChoiceField(
            label=_("When some rows fail"), choices=ImportMode.choices, initial=job.mode,
            widget=forms.RadioSelect)

    def target_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name != "mode"]
