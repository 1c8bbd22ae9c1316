"""Forms for the read store: input validation only; rules live in services."""

from django import forms
from django.utils import timezone

from access.forms import PurposeForm
from access.policy import standard_start
from cameras.models import Camera
from deployments.models import Site

from .models import Read, RetentionPolicy
from .search import MAX_PAGE

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE = forms.DateInput(attrs={"type": "date"})


class SearchForm(PurposeForm):
    """A plate search and its purpose."""

    plate = forms.CharField(
        max_length=32, label="Plate", required=False,
        help_text="A full VRM, or part of one: ? for one character, * for any (e.g. AB1?C*). "
        "Empty: every vehicle at a site or camera (at most 7 days).",
    )  # fmt: skip
    captured_from = forms.DateTimeField(widget=DATETIME, label="From")
    captured_to = forms.DateTimeField(widget=DATETIME, label="To", required=False)
    area = forms.ChoiceField(required=False)
    site = forms.ModelChoiceField(queryset=Site.objects.all(), required=False,
                                  empty_label="Any site")  # fmt: skip
    camera = forms.ModelChoiceField(queryset=Camera.objects.all(), required=False,
                                    empty_label="Any camera")  # fmt: skip
    direction = forms.ChoiceField(choices=[("", "Either"), *Read.Direction.choices],
                                  required=False)  # fmt: skip
    page = forms.IntegerField(min_value=1, max_value=MAX_PAGE, required=False,
                              widget=forms.HiddenInput)  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        areas = Site.objects.values_list("area", flat=True).distinct().order_by("area")
        self.fields["area"].choices = [("", "Any area"), *((area, area) for area in areas)]
        self.fields["captured_from"].initial = timezone.localtime(standard_start())


class PlaceForm(forms.Form):
    """One place and time of a stakeout."""

    site = forms.ModelChoiceField(queryset=Site.objects.all(), required=False,
                                  empty_label="(not used)")  # fmt: skip
    start = forms.DateTimeField(widget=DATETIME, required=False, label="From")
    end = forms.DateTimeField(widget=DATETIME, required=False, label="To")

    def clean(self):
        data = super().clean()
        if data.get("site") and not (data.get("start") and data.get("end")):
            raise forms.ValidationError("Give the place's time range.")
        return data


PlaceFormSet = forms.formset_factory(PlaceForm, extra=5, max_num=5)


class HoldForm(forms.Form):
    """Why reads must be kept past retention, and when the hold is looked at again."""

    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), min_length=20,
        help_text="Why the reads must be kept past retention (investigation, prosecution).",
    )  # fmt: skip
    review_on = forms.DateField(widget=DATE, label="Review by")


class PlateHoldForm(PurposeForm, HoldForm):
    """Hold one plate's reads over a period, for a case."""

    vrm = forms.CharField(max_length=32, label="Plate")
    period_from = forms.DateTimeField(widget=DATETIME, label="From")
    period_to = forms.DateTimeField(widget=DATETIME, label="To")

    field_order = ["category", "case_reference", "justification", "vrm", "period_from",
                   "period_to", "reason", "review_on"]  # fmt: skip


class RetentionPolicyForm(forms.ModelForm):
    class Meta:
        model = RetentionPolicy
        fields = ["reads_days", "alerts_days", "tracks_days", "frames_hours", "reason"]
        labels = {"reads_days": "Reads and images (days)", "alerts_days": "Hits and alerts (days)",
                  "tracks_days": "GPS tracks (days)", "frames_hours": "Diagnostic frames (hours)",
                  "reason": "Why it changes"}  # fmt: skip
        widgets = {"reason": forms.Textarea(attrs={"rows": 2})}
