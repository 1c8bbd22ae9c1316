"""Forms for camera-site governance: input validation only; rules live in services."""

from django import forms
from django.contrib.auth.models import User
from django.utils import timezone

from .models import (
    AssessmentFactor,
    Consultation,
    DeploymentAssessment,
    PrincipleAnswer,
    PrivacyAssessment,
    PrivacyRisk,
    Review,
    Site,
)

DAY = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TEXT = forms.Textarea(attrs={"rows": 3})


class SiteForm(forms.ModelForm):
    class Meta:
        model = Site
        fields = ["reference", "name", "area", "latitude", "longitude", "deployment", "ends_on",
                  "owner"]  # fmt: skip
        widgets = {"ends_on": DAY}
        help_texts = {"latitude": "Decimal degrees (WGS84), e.g. 52.2053.",
                      "longitude": "Decimal degrees (WGS84), e.g. 0.1218."}  # fmt: skip

    def __init__(self, *args, exact_location: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not exact_location:  # positions are for those who may see them
            del self.fields["latitude"], self.fields["longitude"]
        leads = User.objects.filter(is_active=True, groups__permissions__codename="manage_sites")
        self.fields["owner"].queryset = leads.distinct().order_by("username")
        self.fields["owner"].help_text = "The intelligence lead accountable for the site."
        if self.instance.pk and self.instance.status not in Site.EDITABLE_LOCATION:
            for name in {"latitude", "longitude", "deployment"} & set(self.fields):
                self.fields[name].disabled = True
                self.fields[name].help_text = "Fixed once approved: a review decides a relocation."

    def clean(self):
        data = super().clean()
        latitude, longitude = data.get("latitude"), data.get("longitude")
        if (latitude is None) != (longitude is None):
            raise forms.ValidationError("Give both the latitude and the longitude, or neither.")
        if latitude is not None and not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise forms.ValidationError("The latitude or longitude is out of range.")
        return data


class AssessmentForm(forms.ModelForm):
    class Meta:
        model = DeploymentAssessment
        fields = ["pressing_need", "alternatives_less_intrusive", "alternatives_more_intrusive",
                  "expected_effectiveness"]  # fmt: skip
        widgets = dict.fromkeys(fields, TEXT)


class FactorForm(forms.ModelForm):
    """One factor; its name is fixed by the form's position."""

    class Meta:
        model = AssessmentFactor
        fields = ["factor", "rating", "strategic_assessment", "crime_figures", "intelligence"]
        widgets = {"factor": forms.HiddenInput, "strategic_assessment": TEXT,
                   "crime_figures": TEXT, "intelligence": TEXT}  # fmt: skip

    @property
    def factor_label(self) -> str:
        return dict(AssessmentFactor.Factor.choices).get(self["factor"].value(), "Unknown factor")

    def clean(self):
        data = super().clean()
        evidence = [data.get(f) for f in ("strategic_assessment", "crime_figures", "intelligence")]
        if data.get("rating") not in (None, AssessmentFactor.Rating.NONE) and not any(evidence):
            raise forms.ValidationError("A rated factor needs its evidence.")
        return data


FactorFormSet = forms.formset_factory(FactorForm, extra=0, min_num=4, max_num=4,
                                      validate_min=True, validate_max=True)  # fmt: skip


def factor_formset(data=None, previous: DeploymentAssessment | None = None) -> FactorFormSet:
    """The four factors, in order, prefilled from the previous assessment when revising it."""
    earlier = {f.factor: f for f in previous.factors.all()} if previous else {}
    initial = []
    for factor in AssessmentFactor.Factor.values:
        row = {"factor": factor}
        if factor in earlier:
            row.update(forms.model_to_dict(earlier[factor], exclude=["id", "assessment"]))
        initial.append(row)
    return FactorFormSet(data, initial=initial, prefix="factors")


class PrivacyAssessmentForm(forms.Form):
    residual_risk = forms.ChoiceField(
        choices=PrivacyAssessment.Risk.choices, label="Overall residual risk"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, question in PrivacyAssessment.SCREENING.items():
            self.fields[f"screening_{key}"] = forms.TypedChoiceField(
                label=question, choices=[("yes", "Yes"), ("no", "No")],
                coerce=lambda answer: answer == "yes", widget=forms.RadioSelect,
            )  # fmt: skip
        self.order_fields([f"screening_{key}" for key in PrivacyAssessment.SCREENING])

    @property
    def screening(self):
        return [self[f"screening_{key}"] for key in PrivacyAssessment.SCREENING]

    def screening_answers(self) -> dict[str, bool]:
        return {key: self.cleaned_data[f"screening_{key}"] for key in PrivacyAssessment.SCREENING}


class RiskForm(forms.ModelForm):
    class Meta:
        model = PrivacyRisk
        fields = ["description", "likelihood", "severity", "mitigation", "residual"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2}),
                   "mitigation": forms.Textarea(attrs={"rows": 2})}  # fmt: skip


# Blank rows are left out; at least one risk is needed.
RiskFormSet = forms.formset_factory(RiskForm, extra=2, min_num=1, validate_min=True)


def privacy_forms(data=None, previous: PrivacyAssessment | None = None):
    """The DPIA form and its risks, prefilled from the previous DPIA when revising it."""
    initial, risks = {}, []
    if previous:
        initial = {f"screening_{key}": "yes" if answer else "no"
                   for key, answer in previous.screening.items()}  # fmt: skip
        initial["residual_risk"] = previous.residual_risk
        risks = [forms.model_to_dict(risk, exclude=["id", "assessment"])
                 for risk in previous.risks.all()]  # fmt: skip
    return PrivacyAssessmentForm(data, initial=initial), RiskFormSet(
        data, initial=risks, prefix="risks"
    )


class ConsultationForm(forms.ModelForm):
    class Meta:
        model = Consultation
        fields = ["method", "consultee", "consulted_on", "response", "reason_not_consulted"]
        widgets = {"consulted_on": DAY, "response": TEXT, "reason_not_consulted": TEXT}
        labels = {"method": "How"}

    def clean(self):
        data = super().clean()
        if data.get("method") == Consultation.Method.NOT_CONSULTED:
            if not data.get("reason_not_consulted", "").strip():
                self.add_error("reason_not_consulted", "Say why consulting would defeat the "
                                                       "purpose of the deployment.")  # fmt: skip
            data["consultee"], data["consulted_on"], data["response"] = "", None, ""
            return data
        for field in ("consultee", "consulted_on", "response"):
            if not data.get(field):
                self.add_error(field, "Needed for a consultation: who, when and what they said.")
        if data.get("consulted_on") and data["consulted_on"] > timezone.localdate():
            self.add_error("consulted_on", "A consultation is recorded once it has happened.")
        data["reason_not_consulted"] = ""
        return data


class DecisionForm(forms.Form):
    approve = forms.TypedChoiceField(
        choices=[("yes", "Approve"), ("no", "Reject")], coerce=lambda value: value == "yes"
    )
    note = forms.CharField(required=False, widget=TEXT, label="Reason or advice")


class TransitionForm(forms.Form):
    to = forms.ChoiceField(choices=Site.Status.choices)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReviewForm(forms.Form):
    findings = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}))
    outcome = forms.ChoiceField(choices=Review.Outcome.choices, widget=forms.RadioSelect)
    next_review_due = forms.DateField(
        required=False, widget=DAY, help_text="When continuing: at most 12 months away (the "
        "default)."
    )  # fmt: skip


class PrincipleAnswerForm(forms.ModelForm):
    class Meta:
        model = PrincipleAnswer
        fields = ["principle", "answer", "evidence", "action", "action_owner", "action_due"]
        widgets = {"principle": forms.HiddenInput, "answer": forms.RadioSelect,
                   "evidence": forms.Textarea(attrs={"rows": 3}),
                   "action": forms.Textarea(attrs={"rows": 2}), "action_due": DAY}  # fmt: skip

    def clean(self):
        """A principle not fully met has an action planned (R-SITE-5)."""
        data = super().clean()
        if (
            data.get("answer") not in (None, PrincipleAnswer.Answer.YES)
            and not (data.get("action") or "").strip()
        ):
            self.add_error("action", "Plan an action: this principle is not fully met.")
        return data


PrincipleFormSet = forms.formset_factory(PrincipleAnswerForm, extra=0, min_num=12, max_num=12,
                                         validate_min=True, validate_max=True)  # fmt: skip
