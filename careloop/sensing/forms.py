"""The upload form: a source format with an adapter, and one file of the size and kind it expects. For a
generic CSV it also takes the column mapping, checked against the uploaded file's header before any job
exists; each problem is shown at its field.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from careloop.pipeline.generic_csv import Ambiguity
from careloop.sensing.csv_mapping import MappingError, checked_mapping, first_line_header
from careloop.sensing.csv_streams import CSV_TARGETS
from careloop.sensing.registry import FORMATS

UPLOADABLE = ("apple_health", "beiwe", "fitbit", "omh", "csv")
MAPPING_FIELDS = ("time_column", "time_format", "timezone", "value_column", "stream", "unit", "duration_s",
                  "separator", "ambiguous")
HEADER_LIMIT = 64 << 10  # bytes of the first line read for its column names


class UploadForm(forms.Form):
    source_format = forms.ChoiceField(label=_("Format"), choices=[])
    upload = forms.FileField(label=_("File"))
    time_column = forms.CharField(label=_("Time column"), required=False, max_length=200)
    time_format = forms.CharField(
        label=_("Time format"), required=False, max_length=100, initial="%Y-%m-%d %H:%M:%S",
        help_text=_("epoch_s (seconds since 1970), epoch_ms (milliseconds), or a pattern such as "
                    "%Y-%m-%dT%H:%M:%S%z; a pattern without %z is local time in the time zone below."),
    )
    timezone = forms.CharField(
        label=_("Time zone"), required=False, max_length=64,
        help_text=_("An IANA zone such as Europe/London; the patient's own by default."),
    )
    value_column = forms.CharField(label=_("Value column"), required=False, max_length=200)
    stream = forms.ChoiceField(
        label=_("The values are"), required=False,
        choices=[("", "—"), *((t.stream, f"{t.label} ({t.unit})") for t in CSV_TARGETS.values())],
    )
    unit = forms.CharField(
        label=_("Unit"), required=False, max_length=20,
        help_text=_("Heart rate: bpm. HRV: ms, or s (converted to ms). Steps: count."),
    )
    duration_s = forms.IntegerField(
        label=_("Each value covers (seconds)"), required=False, min_value=0, max_value=86_400, initial=0,
        help_text=_("0 for a reading at one moment (heart rate); 3600 for hourly step counts."),
    )
    separator = forms.ChoiceField(
        label=_("Separator"), required=False, initial=",",
        choices=[(",", _("comma")), (";", _("semicolon")), ("\t", _("tab"))],
    )
    ambiguous = forms.ChoiceField(
        label=_("A local time repeated when clocks go back"), required=False, initial=Ambiguity.RAISE,
        choices=[(Ambiguity.RAISE, _("is an error")), (Ambiguity.EARLIEST, _("is the first one")),
                 (Ambiguity.LATEST, _("is the second one"))],
    )

    def __init__(self, *args: Any, default_timezone: str = "UTC", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.default_timezone = default_timezone
        self.fields["source_format"].choices = [(name, FORMATS[name].label) for name in UPLOADABLE]  # type: ignore[attr-defined]
        self.fields["timezone"].initial = default_timezone

    def mapping_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in MAPPING_FIELDS]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload, name = data.get("upload"), data.get("source_format")
        if upload is None or name is None:
            return data
        limit = settings.CARELOOP_SENSING_UPLOAD_MAX_MB << 20
        if upload.size is not None and upload.size > limit:
            raise forms.ValidationError(_("The file is larger than %(mb)s MB.") % {"mb": limit >> 20})
        expected = FORMATS[name].expects
        if PurePath(upload.name or "").suffix.lower() != expected:
            raise forms.ValidationError(_("This format expects a %(suffix)s file.") % {"suffix": expected})
        data["column_mapping"] = self.column_mapping(data, upload) if name == "csv" else {}
        return data

    def column_mapping(self, data: dict[str, Any], upload: UploadedFile) -> dict[str, Any]:
        """The checked mapping as JSON; each problem is added to its field (the form is then invalid)."""
        raw = {name: data[name] for name in MAPPING_FIELDS if data.get(name) not in (None, "")}
        try:
            mapping = checked_mapping(raw, default_timezone=self.default_timezone,
                                      header=first_line_header(first_line(upload)))
        except MappingError as error:
            for field, message in error.errors.items():
                self.add_error(field if field in self.fields else None, message)
            return {}
        return mapping.model_dump(mode="json")


def first_line(upload: UploadedFile) -> bytes:
    upload.seek(0)
    line = upload.readline(HEADER_LIMIT)
    upload.seek(0)
    return bytes(line)
