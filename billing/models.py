"""Billing: the issuer's profile, dated VAT rates, what is owed (charges), invoices and credit notes, payments.

Tenant tables (all but `VatRate`, which is platform data) have a non-null `organisation` leading their indexes
and unique constraints, `TenantManager`, and row-level security (migration 0002).

**Immutability.** An issued invoice or credit note is a legal document: its document fields and lines never
change. `Invoice.save` refuses a change to any field outside `SETTLEMENT_FIELDS` (status, when it was paid, its
PDF once rendered); lines cannot be saved twice or deleted; on PostgreSQL a trigger refuses the same at the
database (migration 0003), so not even a raw UPDATE gets through. Corrections are credit notes.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Organisation
from accounts.tenancy import TenantManager
from billing.countries import country_choices

VAT_CATEGORIES = [
    ("standard", _("Standard rate")),
    ("reduced", _("Reduced rate")),
    ("zero", _("Zero rate")),
    ("exempt", _("Exempt")),
]


def amount_field(label: Any, **extra: Any) -> models.DecimalField:
    return models.DecimalField(label, max_digits=12, decimal_places=2, **extra)


class BillingProfile(models.Model):
    """Who issues the organisation's invoices: the legal details every invoice must carry."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="billing_profile")
    legal_name = models.CharField(_("legal name"), max_length=200, blank=True)
    address = models.CharField(_("street and number"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, choices=country_choices, default="NL")
    kvk_number = models.CharField(_("chamber of commerce (KvK) number"), max_length=8, blank=True)
    vat_number = models.CharField(_("VAT number"), max_length=20, blank=True)
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    invoice_prefix = models.CharField(_("invoice number prefix"), max_length=10, blank=True)
    payment_term_days = models.PositiveSmallIntegerField(_("payment term (days)"), default=30)
    email = models.EmailField(_("billing e-mail address"), blank=True,
                              help_text=_("Shown on invoices for questions about them."))
    footer = models.TextField(_("footer text"), blank=True, max_length=500)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantManager()

    REQUIRED = ("legal_name", "address", "postcode", "city", "country", "kvk_number", "vat_number", "iban",
                "invoice_prefix")

    class Meta:
        verbose_name = _("billing profile")
        verbose_name_plural = _("billing profiles")

    def __str__(self) -> str:
        return self.legal_name or str(self.organisation_id)

    def missing(self) -> list[str]:
        """Labels of the fields an invoice needs that are still empty."""
        return [str(getattr(self._meta.get_field(name), "verbose_name", name)) for name in self.REQUIRED
                if not getattr(self, name)]

    @property
    def complete(self) -> bool:
        return not self.missing()

    def address_lines(self) -> list[str]:
        from billing.countries import country_name

        return [line for line in (self.address, f"{self.postcode} {self.city}".strip(),
                                  country_name(self.country)) if line]


class VatRateQuerySet(models.QuerySet["VatRate"]):
    def in_force(self, country: str, category: str, on: dt.date) -> VatRate | None:
        return (self.filter(country=country, category=category, valid_from__lte=on)
                .filter(models.Q(valid_until__isnull=True) | models.Q(valid_until__gte=on))
                .order_by("-valid_from").first())


class VatRate(models.Model):
    """A VAT rate of one country and category, valid from a date (until a date, or still).

    Platform data, edited by platform administrators in the Django admin; an invoice line takes the rate in
    force on its tax point.
    """

    country = models.CharField(_("country"), max_length=2, choices=country_choices)
    category = models.CharField(_("category"), max_length=10, choices=VAT_CATEGORIES)
    rate = models.DecimalField(_("rate (%)"), max_digits=5, decimal_places=2)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = VatRateQuerySet.as_manager()

    class Meta:
        verbose_name = _("VAT rate")
        verbose_name_plural = _("VAT rates")
        ordering = ["country", "category", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["country", "category", "valid_from"], name="vatrate_country_cat_from"),
            models.CheckConstraint(condition=models.Q(valid_until__isnull=True)
                                   | models.Q(valid_until__gte=models.F("valid_from")), name="vatrate_dates_order"),
        ]

    def __str__(self) -> str:
        return f"{self.country} {self.category} {self.rate}% from {self.valid_from}"

    def clean(self) -> None:
        overlapping = VatRate.objects.filter(country=self.country, category=self.category).exclude(pk=self.pk)
        end = self.valid_until or dt.date.max
        for other in overlapping:
            other_end = other.valid_until or dt.date.max
            if other.valid_from <= end and self.valid_from <= other_end:
                raise ValidationError(_("This period overlaps the rate %(rate)s%% valid from %(date)s: end that one "
                                        "first.") % {"rate": other.rate, "date": other.valid_from})


class BillingDetails(models.Model):
    """Where a professional's invoices go, per organisation: to themselves, or to their employer."""

    class BillTo(models.TextChoices):
        SELF = "self", _("Me")
        EMPLOYER = "employer", _("My employer")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    bill_to = models.CharField(_("send invoices to"), max_length=10, choices=BillTo.choices, default=BillTo.SELF)
    address = models.CharField(_("street and number"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, choices=country_choices, default="NL")
    employer_name = models.CharField(_("employer's name"), max_length=200, blank=True)
    employer_address = models.CharField(_("employer's street and number"), max_length=200, blank=True)
    employer_postcode = models.CharField(_("employer's postcode"), max_length=20, blank=True)
    employer_city = models.CharField(_("employer's city"), max_length=100, blank=True)
    employer_country = models.CharField(_("employer's country"), max_length=2, choices=country_choices,
                                        default="NL")
    employer_vat_number = models.CharField(_("employer's VAT number"), max_length=20, blank=True)
    po_reference = models.CharField(_("purchase order reference"), max_length=60, blank=True)
    employer_email = models.EmailField(_("employer's e-mail address for invoices"), blank=True,
                                       help_text=_("Optional: the invoice e-mail goes to you, and to this address "
                                                   "too."))
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("billing details")
        verbose_name_plural = _("billing details")
        constraints = [models.UniqueConstraint(fields=["organisation", "user"], name="billingdetails_org_user")]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.bill_to}"


class Charge(models.Model):
    """Something a professional owes: the fee, the reason, the tax point — claimed once by its `source_key`.

    The unique constraint on (organisation, source_key) is the claim: a submission, a person's annual
    contribution for a year, an order is billed once however often (or however concurrently) its trigger runs.
    A charge is invoiced at once when the organisation's billing profile is complete, else when it becomes so.
    """

    class Trigger(models.TextChoices):
        SUBMISSION = "submission", _("Dossier submitted")
        CERTIFICATION = "certification", _("Certification applied for")
        ANNUAL = "annual", _("Annual")
        ORDER = "order", _("Ordered")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    source_key = models.CharField(max_length=120)
    trigger = models.CharField(_("why"), max_length=15, choices=Trigger.choices)
    scheme_code = models.CharField(max_length=80)
    scheme_version_id = models.BigIntegerField()
    fee_code = models.CharField(_("fee"), max_length=80)
    quantity = models.DecimalField(max_digits=9, decimal_places=2, default=Decimal(1))
    tax_point = models.DateField(_("tax point"))
    # The submission it bills (its id only: the model moves between apps, billing only needs to find it again).
    submission_id = models.BigIntegerField(null=True, blank=True)
    review_after_payment = models.BooleanField(default=False)
    invoice = models.ForeignKey("Invoice", on_delete=models.PROTECT, null=True, blank=True, related_name="charges")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("charge")
        verbose_name_plural = _("charges")
        constraints = [models.UniqueConstraint(fields=["organisation", "source_key"], name="charge_org_source")]
        indexes = [
            models.Index(fields=["organisation", "submission_id"], name="charge_org_submission_idx"),
            models.Index(fields=["organisation", "invoice"], name="charge_org_invoice_idx"),
        ]

    def __str__(self) -> str:
        return self.source_key


class Invoice(models.Model):
    """An invoice or a credit note, as issued: every field art. 226 of the EU VAT directive and Dutch law ask for.

    The issuer's and customer's details are copied in when it is issued, so later changes to a profile or an
    address never change an issued document.
    """

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("Invoice")
        CREDIT_NOTE = "credit_note", _("Credit note")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        PAID = "paid", _("Paid")
        CREDITED = "credited", _("Credited")
        SETTLED = "settled", pgettext_lazy("credit note", "Settled")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.INVOICE)
    number = models.CharField(_("number"), max_length=40)
    year = models.PositiveSmallIntegerField()
    sequence = models.PositiveIntegerField()
    credit_of = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="credit_notes",
                                  verbose_name=_("credits invoice"))
    issue_date = models.DateField(_("invoice date"))
    tax_point = models.DateField(_("supply date"))
    due_date = models.DateField(_("due date"))
    currency = models.CharField(_("currency"), max_length=3)
    language = models.CharField(max_length=8)
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    customer_name = models.CharField(_("customer"), max_length=200)
    customer_attention = models.CharField(max_length=200, blank=True)
    customer_address = models.TextField()
    customer_country = models.CharField(max_length=2)
    customer_vat_number = models.CharField(max_length=20, blank=True)
    customer_email = models.EmailField()
    po_reference = models.CharField(_("purchase order"), max_length=60, blank=True)
    issuer_name = models.CharField(max_length=200)
    issuer_address = models.TextField()
    issuer_country = models.CharField(max_length=2)
    issuer_kvk = models.CharField(max_length=8)
    issuer_vat = models.CharField(max_length=20)
    issuer_iban = models.CharField(max_length=34)
    issuer_bic = models.CharField(max_length=11, blank=True)
    issuer_email = models.EmailField(blank=True)
    footer = models.TextField(blank=True)
    reverse_charge = models.BooleanField(default=False)
    payment_reference = models.CharField(_("payment reference"), max_length=35)
    net_total = amount_field(_("net"))
    vat_total = amount_field(_("VAT"))
    total = amount_field(_("total"))
    vat_breakdown = models.JSONField(default=list)  # [{"rate": "21", "net": "650.00", "vat": "136.50"}]
    fee_codes = models.CharField(max_length=300, blank=True)  # the fees on it, for filters and exports
    reason = models.TextField(_("reason"), blank=True)  # a credit note's reason
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # Settlement: the only fields that change after issue.
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    pdf = models.FileField(upload_to="invoices/", blank=True, max_length=200)

    objects = TenantManager()

    SETTLEMENT_FIELDS = frozenset({"status", "paid_at", "pdf"})

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issue_date", "-sequence"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "number"], name="invoice_org_number"),
            models.UniqueConstraint(fields=["organisation", "year", "sequence"], name="invoice_org_year_sequence"),
            models.UniqueConstraint(fields=["organisation", "payment_reference"], name="invoice_org_payment_ref"),
        ]
        indexes = [
            models.Index(fields=["organisation", "customer", "issue_date"], name="invoice_org_customer_idx"),
            models.Index(fields=["organisation", "status", "due_date"], name="invoice_org_status_due_idx"),
            models.Index(fields=["organisation", "issue_date", "id"], name="invoice_org_issue_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            changed = self._changed_fields()
            if changed - self.SETTLEMENT_FIELDS:
                fields = ", ".join(sorted(changed))
                raise ValidationError(f"An issued invoice never changes ({fields}): issue a credit note instead.")
            update_fields = kwargs.get("update_fields")
            if update_fields is None:
                kwargs["update_fields"] = sorted(changed) or ["status"]
        super().save(*args, **kwargs)

    def _changed_fields(self) -> set[str]:
        stored = type(self).objects.for_organisation(self.organisation_id).filter(pk=self.pk).values().first()
        if stored is None:
            return set()
        changed = set()
        for item in self._meta.concrete_fields:
            current, before = getattr(self, item.attname), stored[item.attname]
            if isinstance(item, models.FileField):
                if (getattr(current, "name", current) or "") != (before or ""):
                    changed.add(item.name)
            elif item.to_python(current) != item.to_python(before):
                changed.add(item.name)
        return changed

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValidationError("Issued invoices are never deleted: issue a credit note instead.")

    @property
    def is_credit_note(self) -> bool:
        return self.kind == self.Kind.CREDIT_NOTE

    # The related rows, scoped to the invoice's organisation (reverse relations are not, for the ORM wall).
    def line_items(self) -> models.QuerySet:
        return InvoiceLine.objects.for_organisation(self.organisation_id).filter(invoice=self).order_by("position")

    def payment_items(self) -> models.QuerySet:
        return Payment.objects.for_organisation(self.organisation_id).filter(invoice=self)

    def credit_note_items(self) -> models.QuerySet:
        return Invoice.objects.for_organisation(self.organisation_id).filter(credit_of=self).order_by("sequence")

    def reminder_items(self) -> models.QuerySet:
        return InvoiceReminder.objects.for_organisation(self.organisation_id).filter(invoice=self)

    def overdue(self, today: dt.date) -> bool:
        return self.status == self.Status.OPEN and not self.is_credit_note and self.due_date < today


class InvoiceLine(models.Model):
    """One line of an issued invoice: what, how many, the unit price as asked, the rate, and the rounded amounts."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveSmallIntegerField()
    description = models.CharField(_("description"), max_length=300)
    quantity = models.DecimalField(_("quantity"), max_digits=9, decimal_places=2)
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=4)
    unit_price_includes_vat = models.BooleanField(default=False)
    vat_category = models.CharField(max_length=10, choices=VAT_CATEGORIES)
    vat_rate = models.DecimalField(_("VAT rate"), max_digits=5, decimal_places=2)
    net = amount_field(_("net"))
    vat = amount_field(_("VAT"))
    gross = amount_field(_("total"))
    fee_code = models.CharField(max_length=80, blank=True)
    credits_line = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    objects = TenantManager()

    class Meta:
        ordering = ["invoice", "position"]
        constraints = [models.UniqueConstraint(fields=["organisation", "invoice", "position"],
                                               name="invoiceline_org_invoice_pos")]

    def __str__(self) -> str:
        return self.description

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise ValidationError("The lines of an issued invoice never change.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValidationError("The lines of an issued invoice are never deleted.")


class Payment(models.Model):
    """Money received for an invoice. Append-only; `reference` (a bank entry's or a provider's id) is unique per
    method, which makes recording the same bank line or webhook twice impossible."""

    class Method(models.TextChoices):
        TRANSFER = "transfer", _("Bank transfer")
        STATEMENT = "statement", _("Bank statement")
        ONLINE = "online", _("Online payment")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    amount = amount_field(_("amount"))
    currency = models.CharField(max_length=3)
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    paid_on = models.DateField(_("paid on"))
    reference = models.CharField(_("reference"), max_length=120, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantManager()

    class Meta:
        ordering = ["paid_on", "id"]
        constraints = [models.UniqueConstraint(fields=["organisation", "method", "reference"],
                                               condition=~models.Q(reference=""), name="payment_org_method_ref")]
        indexes = [models.Index(fields=["organisation", "invoice"], name="payment_org_invoice_idx")]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise ValidationError("Payments are append-only.")
        super().save(*args, **kwargs)


class OnlinePayment(models.Model):
    """A payment started with an online provider (Mollie). Its status comes only from the provider's API."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="online_payments")
    provider = models.CharField(max_length=20)
    provider_id = models.CharField(max_length=60)
    status = models.CharField(max_length=20)
    amount = amount_field(_("amount"))
    currency = models.CharField(max_length=3)
    checkout_url = models.URLField(max_length=500, blank=True)
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "provider", "provider_id"],
                                               name="onlinepayment_org_provider_id")]
        indexes = [models.Index(fields=["organisation", "invoice"], name="onlinepayment_org_invoice_idx")]

    def __str__(self) -> str:
        return self.provider_id


class StatementImport(models.Model):
    """An applied bank statement (CSV or CAMT.053): what it matched and what it could not."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    file_format = models.CharField(max_length=10)
    matched = models.PositiveIntegerField(default=0)
    already = models.PositiveIntegerField(default=0)
    unmatched = models.JSONField(default=list)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantManager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organisation", "created_at"], name="statementimport_org_idx")]

    def __str__(self) -> str:
        return self.file_name


class InvoiceReminder(models.Model):
    """A payment reminder for an overdue invoice; the unique constraint makes each step go out once."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="reminders")
    step = models.PositiveSmallIntegerField()
    sent_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantManager()

    class Meta:
        ordering = ["invoice", "step"]
        constraints = [models.UniqueConstraint(fields=["organisation", "invoice", "step"],
                                               name="invoicereminder_org_invoice_step")]

    def __str__(self) -> str:
        return f"{self.invoice_id} #{self.step}"
