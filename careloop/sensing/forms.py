"""The upload form: a source format with an adapter, and one file of the size and kind it expects."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from careloop.sensing.registry import FORMATS

UPLOADABLE = ("apple_health", "beiwe", "fitbit", "omh")


class UploadForm(forms.Form):
    source_format = forms.ChoiceField(label=_("Format"), choices=[])
    upload = forms.FileField(label=_("File"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source_format"].choices = [(name, FORMATS[name].label) for name in UPLOADABLE]  # type: ignore[attr-defined]

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
        return data
