"""Forms for hotlists and alerts: input validation only; rules live in services."""

from django import forms

from cameras.models import Camera

from .models import Alert, Hotlist, HotlistEntry, Priority


class AlertFilterForm(forms.Form):
    """The console's filters. Choices come from what the operator may see."""

    OPEN = "open"
    STATUS_CHOICES = [(OPEN, "Open (not closed)"), *Alert.Status.choices, ("", "Any status")]

    hotlist = forms.ModelChoiceField(queryset=None, required=False, empty_label="All my lists")
    priority = forms.TypedChoiceField(
        choices=[("", "Any priority"), *Priority.choices], coerce=int, required=False
    )
    area = forms.ChoiceField(required=False)
    camera = forms.ModelChoiceField(
        queryset=Camera.objects.select_related("site"), required=False, empty_label="Any camera"
    )
    status = forms.ChoiceField(choices=STATUS_CHOICES, required=False, initial=OPEN)

    def __init__(self, data, *, hotlists, **kwargs):
        # Unless the filters say otherwise, open alerts on every list.
        data = data.copy()
        data.setdefault("status", self.OPEN)
        super().__init__(data, **kwargs)
        self.fields["hotlist"].queryset = hotlists
        areas = (
            Camera.objects.values_list("site__area", flat=True).distinct().order_by("site__area")
        )
        self.fields["area"].choices = [("", "Any area"), *((area, area) for area in areas)]

    def filter(self, alerts):
        """The alerts that pass the filters. Invalid filters (a list no longer received, a
        camera gone) are shown as errors and the rest apply; open alerts by default."""
        self.is_valid()
        data = {"status": self.OPEN, **self.cleaned_data}
        if data.get("hotlist"):
            alerts = alerts.filter(hotlist=data["hotlist"])
        if data.get("priority"):
            alerts = alerts.filter(priority=data["priority"])
        if data.get("area"):
            alerts = alerts.filter(camera__site__area=data["area"])
        if data.get("camera"):
            alerts = alerts.filter(camera=data["camera"])
        if data["status"] == self.OPEN:
            alerts = alerts.exclude(status__in=[Alert.Status.ACCEPTED, Alert.Status.REJECTED])
        elif data["status"]:
            alerts = alerts.filter(status=data["status"])
        return alerts


class VerifyForm(forms.Form):
    CHOICES = [("yes", "The plate in the image is the VRM"), ("no", "It is not: a misread")]

    image_matches = forms.TypedChoiceField(
        choices=CHOICES, coerce=lambda value: value == "yes", widget=forms.RadioSelect,
        label="Compare the plate patch with the VRM",
    )  # fmt: skip


class AcceptForm(forms.Form):
    outcome = forms.ChoiceField(choices=[("", "Choose the outcome"), *Alert.Outcome.choices])
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class RejectForm(forms.Form):
    reason = forms.ChoiceField(choices=[("", "Choose the reason"), *Alert.RejectReason.choices])
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class HotlistForm(forms.ModelForm):
    class Meta:
        model = Hotlist
        fields = ["name", "description", "source", "default_priority", "protective_marking",
                  "fuzzy_tolerance", "is_active", "webhook_url"]  # fmt: skip

    def __init__(self, *args, owner, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner = owner

    def clean_name(self) -> str:
        return owned_name_unique(self.cleaned_data["name"], self.owner, self.instance.pk)


def owned_name_unique(name: str, owner, pk: int | None) -> str:
    """A list's name, refused where its owner already keeps a list of that name (only theirs:
    names of lists they may not see are none of their business)."""
    if Hotlist.objects.filter(owner=owner, name=name).exclude(pk=pk).exists():
        raise forms.ValidationError("You already keep a list of this name.")
    return name


DAY = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class HotlistEntryForm(forms.ModelForm):
    """Every field of a vehicle of interest (R-HOT-2)."""

    warning_markers = forms.MultipleChoiceField(
        choices=HotlistEntry.Warning.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip

    class Meta:
        model = HotlistEntry
        fields = ["vrm", "make", "model", "colour", "reason", "action", "instruction",
                  "warning_markers", "information", "intelligence_grading", "source_reference",
                  "owner_contact", "priority", "valid_from", "expires_at"]  # fmt: skip
        widgets = {"valid_from": DAY, "expires_at": DAY,
                   "instruction": forms.Textarea(attrs={"rows": 2}),
                   "information": forms.Textarea(attrs={"rows": 2})}  # fmt: skip


class MissingPersonForm(forms.Form):
    """A missing-person entry, fast: the VRM and what to know; the rest has defaults."""

    vrm = forms.CharField(max_length=16, label="VRM")
    information = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}),
                                  label="Who is missing, and the risk")  # fmt: skip
