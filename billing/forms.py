"""Forms check input (formats, check digits, required combinations); rules across objects live in services."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.eu import vat as eu_vat
from stdnum.nl import btw, postcode

from billing.countries import VAT_PREFIX, country_name, in_eu
from billing.models import BillingDetails, BillingProfile, Invoice

KVK = re.compile(r"[0-9]{8}\Z")
PREFIX = re.compile(r"[A-Z0-9]{1,10}\Z")


def _postcode(value: str, country: str) -> str:
    value = value.strip()
    if value and country == "NL":
        if not postcode.is_valid(value):
            raise forms.ValidationError(_("“%(value)s” is not a Dutch postcode; write it as 1234 AB."),
                                        params={"value": value}, code="postcode")
        compact = postcode.compact(value)
        return f"{compact[:4]} {compact[4:]}"
    return value


def _vat(value: str, country: str) -> str:
    value = value.strip()
    if not value:
        return ""
    compact = eu_vat.compact(value)
    if country == "NL":
        if not btw.is_valid(compact):
            raise forms.ValidationError(
                _("“%(value)s” is not a valid Dutch VAT number (btw-id): NL, nine digits, B and two digits, e.g. "
                  "NL000099998B57."), params={"value": value}, code="vat")
        return btw.compact(compact)
    prefix = VAT_PREFIX.get(country, country)
    if in_eu(country):
        if not compact.startswith(prefix):
            raise forms.ValidationError(_("A VAT number from %(country)s starts with %(prefix)s."),
                                        params={"country": country_name(country), "prefix": prefix}, code="vat")
        if not eu_vat.is_valid(compact):
            raise forms.ValidationError(_("“%(value)s” is not a valid VAT number: check the digits."),
                                        params={"value": value}, code="vat")
    return compact


class BillingProfileForm(forms.ModelForm):
    class Meta:
        model = BillingProfile
        fields = ["legal_name", "address", "postcode", "city", "country", "kvk_number", "vat_number", "iban", "bic",
                  "invoice_prefix", "payment_term_days", "email", "footer"]
        widgets = {"footer": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "kvk_number": _("Eight digits, from the Chamber of Commerce (Kamer van Koophandel) register."),
            "vat_number": _("With the country prefix, e.g. NL000099998B57."),
            "invoice_prefix": _("Capital letters and digits, e.g. CMI: numbers then read CMI-2026-000001."),
            "payment_term_days": _("Invoices are due this many days after their date."),
            "footer": _("Printed at the foot of every invoice (e.g. your terms)."),
        }

    def clean_postcode(self) -> str:
        return _postcode(self.cleaned_data.get("postcode", ""), self.data.get("country", "NL"))

    def clean_kvk_number(self) -> str:
        value = "".join(self.cleaned_data.get("kvk_number", "").split())
        if value and not KVK.match(value):
            raise forms.ValidationError(_("A KvK number has exactly eight digits, e.g. 12345678."), code="kvk")
        return value

    def clean_vat_number(self) -> str:
        return _vat(self.cleaned_data.get("vat_number", ""), self.data.get("country", "NL"))

    def clean_iban(self) -> str:
        value = self.cleaned_data.get("iban", "").strip()
        if value and not stdnum_iban.is_valid(value):
            raise forms.ValidationError(_("“%(value)s” is not a valid IBAN: check the country code and the digits."),
                                        params={"value": value}, code="iban")
        return stdnum_iban.compact(value) if value else ""

    def clean_bic(self) -> str:
        value = self.cleaned_data.get("bic", "").strip()
        if value and not stdnum_bic.is_valid(value):
            raise forms.ValidationError(_("“%(value)s” is not a BIC: 8 or 11 letters and digits, e.g. INGBNL2A."),
                                        params={"value": value}, code="bic")
        return stdnum_bic.compact(value) if value else ""

    def clean_invoice_prefix(self) -> str:
        value = self.cleaned_data.get("invoice_prefix", "").strip().upper()
        if value and not PREFIX.match(value):
            raise forms.ValidationError(_("Use up to ten capital letters and digits, no spaces or dashes."),
                                        code="prefix")
        return value

    def clean_payment_term_days(self) -> int:
        value = self.cleaned_data["payment_term_days"]
        if not 1 <= value <= 120:
            raise forms.ValidationError(_("Choose a payment term from 1 to 120 days."), code="term")
        return value


class BillingDetailsForm(forms.ModelForm):
    class Meta:
        model = BillingDetails
        fields = ["bill_to", "address", "postcode", "city", "country", "employer_name", "employer_address",
                  "employer_postcode", "employer_city", "employer_country", "employer_vat_number", "po_reference",
                  "employer_email"]
        widgets = {"bill_to": forms.RadioSelect}
        help_texts = {
            "employer_vat_number": _("An employer in another EU country with a valid VAT number is invoiced without "
                                     "VAT (reverse charge)."),
            "po_reference": _("Printed on the invoice if your employer needs it."),
        }

    EMPLOYER_REQUIRED = ("employer_name", "employer_address", "employer_postcode", "employer_city")

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("bill_to") == BillingDetails.BillTo.EMPLOYER:
            for name in self.EMPLOYER_REQUIRED:
                if not cleaned.get(name):
                    self.add_error(name, _("Needed when your invoices go to your employer."))
        for name, country in (("postcode", "country"), ("employer_postcode", "employer_country")):
            if name in cleaned:
                try:
                    cleaned[name] = _postcode(cleaned[name], cleaned.get(country, "NL"))
                except forms.ValidationError as error:
                    self.add_error(name, error)
        if cleaned.get("employer_vat_number"):
            try:
                cleaned["employer_vat_number"] = _vat(cleaned["employer_vat_number"], cleaned.get("employer_country",
                                                                                                  "NL"))
            except forms.ValidationError as error:
                self.add_error("employer_vat_number", error)
        return cleaned


class InvoiceFilterForm(forms.Form):
    q = forms.CharField(label=_("Customer or number"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("Any")), ("open", _("Open")), ("overdue", _("Overdue")),
                                        ("paid", _("Paid")), ("credited", _("Credited"))])
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("Any")), *Invoice.Kind.choices])
    fee = forms.ChoiceField(label=_("Fee"), required=False)
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, fees: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["fee"]).choices = [("", _("Any")), *fees]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("start") and cleaned.get("end") and cleaned["start"] > cleaned["end"]:
            self.add_error("end", _("The end of the period is before its start."))
        return cleaned


class ExportForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("Until"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("start") and cleaned.get("end") and cleaned["start"] > cleaned["end"]:
            self.add_error("end", _("The end of the period is before its start."))
        return cleaned


class PaymentForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount received"), max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    paid_on = forms.DateField(label=_("Received on"), widget=forms.DateInput(attrs={"type": "date"}))
    reference = forms.CharField(label=_("Bank reference"), max_length=120, required=False,
                                help_text=_("The bank's reference of the transfer: the same reference is never "
                                            "recorded twice."))
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class CreditNoteForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=_("Printed on the credit note."))
    scope = forms.ChoiceField(label=_("Credit"), widget=forms.RadioSelect, initial="full",
                              choices=[("full", _("The whole invoice (what is left of it)")),
                                       ("partial", _("Part of it: the amounts below"))])

    def __init__(self, *args: Any, lines: list[Any], remaining: dict[int, Decimal], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            terms = _("incl. VAT") if line.unit_price_includes_vat else _("excl. VAT")
            self.fields[f"line_{line.pk}"] = forms.DecimalField(
                label=f"{line.description} ({terms})", required=False, max_digits=12, decimal_places=2,
                min_value=Decimal(0), max_value=max(remaining[line.pk], Decimal(0)),
                help_text=_("At most %(left)s") % {"left": remaining[line.pk]})

    def amounts(self) -> dict[int, Decimal] | None:
        if self.cleaned_data["scope"] == "full":
            return None
        return {line.pk: self.cleaned_data.get(f"line_{line.pk}") or Decimal(0) for line in self.lines}

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("scope") == "partial" and not any(
                cleaned.get(f"line_{line.pk}") for line in self.lines):
            raise forms.ValidationError(_("Enter the amount to credit on at least one line."), code="nothing")
        return cleaned


class StatementUploadForm(forms.Form):
    file = forms.FileField(label=_("Bank statement (CSV or CAMT.053 XML)"))


class OrderForm(forms.Form):
    item = forms.ChoiceField(label=_("What"), widget=forms.RadioSelect)
    quantity = forms.IntegerField(label=_("How many"), min_value=1, max_value=20, initial=1)

    def __init__(self, *args: Any, items: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["item"]).choices = items
