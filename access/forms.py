"""Forms for access control: input validation only; rules live in services."""

from django import forms

from .models import OffenceCategory
from .policy import case_reference_clean


class CaseReferenceField(forms.CharField):
    def clean(self, value):
        try:
            return case_reference_clean(super().clean(value))
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None


class PurposeForm(forms.Form):
    """Why a search is run (R-SEARCH-1)."""

    category = forms.ModelChoiceField(
        queryset=OffenceCategory.objects.filter(is_active=True), label="Offence category"
    )
    case_reference = CaseReferenceField(max_length=40, label="Incident or crime reference")
    justification = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), min_length=20,
        help_text="Why this search is needed for the case, in at least a sentence.",
    )  # fmt: skip


class AccessRequestForm(PurposeForm):
    """Extended access: serious crime only, for the days wanted."""

    date_from = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="From day")
    date_to = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="To day")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = OffenceCategory.objects.filter(
            is_active=True, serious=True
        )
        self.fields["justification"].help_text = "Why reads this old are needed for the case."


class DecisionForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
