"""The portal's forms: they read and shape what was typed; the services decide."""

from __future__ import annotations

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from civicdesk.cases.choices import Satisfaction


class SubmitForm(forms.Form):
    category = forms.CharField(label=_("What is it about?"), max_length=32)
    description = forms.CharField(
        label=_("What happened?"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=2000,
        help_text=_("Where, since when, who is affected, what you would like done."),
    )
    address = forms.CharField(label=_("Address or place"), max_length=300, required=False)
    area = forms.CharField(label=_("Area"), max_length=32, required=False)
    latitude = forms.FloatField(
        required=False, min_value=-90, max_value=90, widget=forms.HiddenInput
    )
    longitude = forms.FloatField(
        required=False, min_value=-180, max_value=180, widget=forms.HiddenInput
    )
    name = forms.CharField(label=_("Your name"), max_length=100, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    email = forms.EmailField(label=_("Email (optional)"), required=False)
    confidential = forms.BooleanField(
        label=_("Keep my identity from the other side"),
        required=False,
        help_text=_("The person or body you complain about is not told who you are."),
    )
    anonymous = forms.BooleanField(
        label=_("Report anonymously"),
        required=False,
        help_text=_(
            "Only for complaints and safety hazards. You then follow the case with the "
            "tracking secret shown after sending; we cannot contact you."
        ),
    )
    # The files come from request.FILES (the service checks them); the field carries their errors.
    photos = forms.Field(required=False, label=_("Photos"))
    # A field people never see: bots fill every field they find.
    website = forms.CharField(required=False, label=_("Leave this empty"))
    idempotency_key = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)


class TrackForm(forms.Form):
    code = forms.CharField(label=_("Receipt code"), max_length=20)
    phone_digits = forms.CharField(
        label=_("Last four digits of your phone"), max_length=4, required=False
    )
    secret = forms.CharField(
        label=_("or the tracking secret on your receipt"), max_length=12, required=False
    )


class RateForm(forms.Form):
    satisfaction = forms.ChoiceField(
        label=_("Are you satisfied with how your matter was handled?"),
        choices=Satisfaction.choices,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Anything you want to add (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Your reasons"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    version = forms.IntegerField(widget=forms.HiddenInput)
