"""Billing's changes: charges claimed once, invoices issued with gap-free numbers, credit notes, payments.

Keyword-only, atomic functions named `<thing>_<verb>`. This module and billing/views.py are the only places
billing imports the apps below it (audit, mail, outbox, schemes, submissions), so the architecture refactor
has two files to adapt.

**Numbers.** `invoice_issue` takes the next number of the organisation's series for the year from
django-sequences inside the issuing transaction: on PostgreSQL an `INSERT … ON CONFLICT DO UPDATE … RETURNING`
on the sequence's row, whose lock is held until the transaction ends. Two issuers at once therefore queue, and
an issue that rolls back also rolls its number back: no gaps, no duplicates. Invoices and credit notes share
one series per organisation and year (`CMI-2026-000123`).

**Claims.** What is billed is first claimed as a `Charge` with a unique (organisation, source_key): a
submission's fee, a person's annual contribution for a year, an order. `INSERT … ON CONFLICT DO NOTHING
RETURNING` tells each caller which rows it claimed, so concurrent runs bill once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from sequences import get_next_value
from stdnum import iban as stdnum_iban
from stdnum import iso11649
from stdnum.eu import vat as eu_vat

from accounts.formatting import plain_number
from accounts.mail import mail_send, site_url
from accounts.models import Organisation, User
from accounts.outbox import outbox_enqueue
from accounts.services import audit_record
from billing import money
from billing.countries import VAT_PREFIX, country_name, in_eu
from billing.models import (
    BillingDetails,
    BillingProfile,
    Charge,
    Invoice,
    InvoiceLine,
    InvoiceReminder,
    OnlinePayment,
    Payment,
    StatementImport,
    VatRate,
)
from billing.providers import ProviderError, ProviderPayment, online_provider
from billing.statements import BankEntry
from dossiers import signals
from dossiers.models import Submission
from portfolios.models import Certification
from schemes.models import SchemeVersion
from schemes.rules.definition.administration import Fee as SchemeFee

logger = logging.getLogger(__name__)

AUDIT_ACTIONS = {
    "billing.profile": (gettext_lazy("Billing profile changed"), gettext_lazy("Changed the billing profile")),
    "billing.details": (gettext_lazy("Billing details changed"),
                        gettext_lazy("%(email)s changed where their invoices go")),
    "invoice.issue": (gettext_lazy("Invoice issued"),
                      gettext_lazy("Issued invoice %(number)s to %(customer)s for %(total)s %(currency)s")),
    "invoice.credit": (gettext_lazy("Credit note issued"),
                       gettext_lazy("Issued credit note %(number)s for invoice %(original)s (%(total)s %(currency)s)")),
    "invoice.paid": (gettext_lazy("Invoice paid"), gettext_lazy("Invoice %(number)s is paid")),
    "invoice.reminder": (gettext_lazy("Payment reminder sent"),
                         gettext_lazy("Sent payment reminder %(step)s for invoice %(number)s")),
    "payment.record": (gettext_lazy("Payment recorded"),
                       gettext_lazy("Recorded a payment of %(amount)s %(currency)s for invoice %(number)s")),
    "payment.online_start": (gettext_lazy("Online payment started"),
                             gettext_lazy("Started an online payment for invoice %(number)s")),
    "statement.apply": (gettext_lazy("Bank statement applied"),
                        gettext_lazy("Applied the bank statement %(file)s: %(matched)s payments matched, "
                                     "%(unmatched)s lines not matched")),
    "order.place": (gettext_lazy("Order placed"), gettext_lazy("%(email)s ordered %(quantity)s × %(fee)s")),
}

HOLD_REASON = gettext_lazy("The recertification invoice is not paid yet.")


# --- The issuer's profile -----------------------------------------------------------------------------------

def billing_profile(organisation: Organisation) -> BillingProfile:
    """The organisation's profile (an unsaved, empty one if none was entered yet)."""
    found = BillingProfile.objects.for_organisation(organisation).first()
    return found or BillingProfile(organisation=organisation, legal_name="", country="NL")


@transaction.atomic
def billing_profile_save(*, profile: BillingProfile, by: User, changed: Sequence[str]) -> BillingProfile:
    """Save the profile; once it is complete, invoice the charges that waited for it (in a task)."""
    profile.save()
    audit_record(organisation=profile.organisation, actor=by, action="billing.profile", fields=list(changed))
    if profile.complete and pending_charges(profile.organisation).exists():
        outbox_enqueue("billing.tasks.invoice_pending_charges", organisation_id=profile.organisation_id)
    return profile


def profile_problem(profile: BillingProfile) -> str | None:
    if profile.complete:
        return None
    return _("Invoices cannot be issued until the billing profile is complete. Missing: %(fields)s.") % {
        "fields": ", ".join(profile.missing())}


def normalise_vat_number(value: str) -> str:
    return eu_vat.compact(value) if value else ""


def vat_number_problem(value: str, country: str) -> str | None:
    """Why a VAT number is not valid for its country (checked by format and check digits; None if it is)."""
    if not value:
        return None
    compact = normalise_vat_number(value)
    prefix = VAT_PREFIX.get(country, country)
    if in_eu(country) and not compact.startswith(prefix):
        return _("A VAT number from %(country)s starts with %(prefix)s.") % {"country": country_name(country),
                                                                               "prefix": prefix}
    if in_eu(country) and not eu_vat.is_valid(compact):
        return _("“%(value)s” is not a valid VAT number: check the digits.") % {"value": value}
    return None


def iban_problem(value: str) -> str | None:
    if value and not stdnum_iban.is_valid(value):
        return _("“%(value)s” is not a valid IBAN: check the country code and the digits.") % {"value": value}
    return None


# --- VAT ------------------------------------------------------------------------------------------------------

def vat_rate(*, country: str, category: str, on: dt.date) -> Decimal:
    """The rate of `category` in `country` in force on `on` (the tax point); ValidationError when none is known."""
    found = VatRate.objects.in_force(country, category, on)
    if found is None:
        raise ValidationError(
            _("No %(category)s VAT rate of %(country)s is known for %(date)s: a platform administrator adds it to "
              "the VAT table.") % {"category": category, "country": country_name(country), "date": on.isoformat()},
            code="no_vat_rate")
    return found.rate


def fee_vat_category(fee: SchemeFee, *, country: str, on: dt.date) -> str:
    """The fee's VAT category: as the definition says, or (definitions written before categories) the
    category whose rate in the table equals the fee's `vat_rate` on the day, else the standard rate."""
    if fee.vat_category:
        return fee.vat_category
    for rate in VatRate.objects.filter(country=country, valid_from__lte=on).filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=on)).order_by("category"):
        if rate.rate == fee.vat_rate:
            return rate.category
    return "standard"


def fee_notes(version: SchemeVersion) -> list[dict[str, str]]:
    """The definition's notes about its fees (the seed's conflicting VAT rate), in the current language."""
    language = (translation.get_language() or "en").split("-")[0]
    return [{"kind": note.kind, "path": note.path, "text": note.text.get(language)}
            for note in version.rules.notes if note.path.startswith("fees")]


# --- Customers ------------------------------------------------------------------------------------------------

def billing_details(organisation: Organisation, user: User) -> BillingDetails:
    found = BillingDetails.objects.for_organisation(organisation).filter(user=user).first()
    return found or BillingDetails(organisation=organisation, user=user)


@transaction.atomic
def billing_details_save(*, details: BillingDetails, by: User) -> BillingDetails:
    details.employer_vat_number = normalise_vat_number(details.employer_vat_number)
    details.save()
    audit_record(organisation=details.organisation, actor=by, action="billing.details", email=details.user.email)
    return details


@dataclass(frozen=True)
class Customer:
    user: User
    name: str
    attention: str
    address: str
    country: str
    vat_number: str
    email: str
    cc: str
    po_reference: str
    language: str
    business: bool


def customer_for(organisation: Organisation, user: User) -> Customer:
    """Who an invoice for `user` is addressed to: themselves, or their employer if they said so."""
    details = billing_details(organisation, user)
    language = user.preferred_language or organisation.default_language or settings.LANGUAGE_CODE
    person = user.get_full_name() or user.email
    if details.bill_to == BillingDetails.BillTo.EMPLOYER and details.employer_name:
        lines = [details.employer_address, f"{details.employer_postcode} {details.employer_city}".strip(),
                 country_name(details.employer_country)]
        return Customer(user=user, name=details.employer_name, attention=person,
                        address="\n".join(line for line in lines if line), country=details.employer_country,
                        vat_number=details.employer_vat_number, email=user.email, cc=details.employer_email,
                        po_reference=details.po_reference, language=language, business=True)
    lines = [details.address or user.address, f"{details.postcode} {details.city}".strip(),
             country_name(details.country) if (details.address or details.city) else ""]
    return Customer(user=user, name=person, attention="", address="\n".join(line for line in lines if line),
                    country=details.country, vat_number="", email=user.email, cc="",
                    po_reference=details.po_reference, language=language, business=False)


def reverse_charge_applies(customer: Customer, issuer_country: str) -> bool:
    """EU business customer in another member state with a valid VAT number: the customer accounts for VAT."""
    return (customer.business and bool(customer.vat_number) and in_eu(customer.country)
            and customer.country != issuer_country and eu_vat.is_valid(customer.vat_number))


# --- Claims ---------------------------------------------------------------------------------------------------

CHARGE_COLUMNS = ("organisation_id", "customer_id", "source_key", "trigger", "scheme_code", "scheme_version_id",
                  "fee_code", "quantity", "tax_point", "submission_id", "review_after_payment", "created_at")


@dataclass(frozen=True)
class ChargeClaim:
    organisation_id: int
    customer_id: int
    source_key: str
    trigger: str
    version: SchemeVersion
    fee_code: str
    tax_point: dt.date
    quantity: Decimal = Decimal(1)
    submission_id: int | None = None
    review_after_payment: bool = False


def charges_claim(claims: Sequence[ChargeClaim], *, batch_size: int = 500) -> list[int]:
    """Insert the charges; return the ids of those THIS call inserted (the others were claimed before).

    Rows go in one fixed order, so two runs inserting the same rows wait for each other instead of
    deadlocking; the one that waits then finds them taken and gets nothing back for them.
    """
    ops = connection.ops
    table = ops.quote_name(Charge._meta.db_table)
    columns = ", ".join(ops.quote_name(name) for name in CHARGE_COLUMNS)
    row = "(" + ", ".join(["%s"] * len(CHARGE_COLUMNS)) + ")"
    now = ops.adapt_datetimefield_value(timezone.now())
    claimed: list[int] = []
    ordered = sorted(claims, key=lambda item: (item.organisation_id, item.source_key))
    with connection.cursor() as cursor:
        for start in range(0, len(ordered), batch_size):
            batch = ordered[start:start + batch_size]
            params: list[Any] = []
            for item in batch:
                params += [item.organisation_id, item.customer_id, item.source_key, item.trigger, item.version.code,
                           item.version.pk, item.fee_code, ops.adapt_decimalfield_value(item.quantity, 9, 2),
                           ops.adapt_datefield_value(item.tax_point), item.submission_id, item.review_after_payment,
                           now]
            sql = (f"INSERT INTO {table} ({columns}) VALUES {', '.join([row] * len(batch))} "  # noqa: S608 - ours
                   "ON CONFLICT (organisation_id, source_key) DO NOTHING RETURNING id")
            cursor.execute(sql, params)
            claimed.extend(pk for (pk,) in cursor.fetchall())
    return claimed


def pending_charges(organisation: Organisation | int) -> Any:
    return Charge.objects.for_organisation(organisation).filter(invoice__isnull=True)


def fees_billed_on(version: SchemeVersion, trigger: str) -> list[SchemeFee]:
    return [fee for fee in version.rules.fees if fee.billing is not None and fee.billing.on == trigger]


@dataclass(frozen=True)
class Billed:
    claimed: int
    invoices: list[Invoice]


def _bill(claims: list[ChargeClaim], *, by: User | None = None) -> Billed:
    """Claim, then invoice what this call claimed (unless the profile is incomplete: those charges wait)."""
    if not claims:
        return Billed(0, [])
    ids = charges_claim(claims)
    if not ids:
        return Billed(0, [])
    organisation_id = claims[0].organisation_id
    profile = BillingProfile.objects.for_organisation(organisation_id).select_related("organisation").first()
    if profile is None or not profile.complete:
        logger.info("Billing: %s charges of organisation %s wait for its billing profile", len(ids), organisation_id)
        return Billed(len(ids), [])
    charges = list(Charge.objects.for_organisation(organisation_id).filter(pk__in=ids).select_related("customer")
                   .order_by("pk"))
    return Billed(len(ids), [invoice_issue(profile=profile, charges=[charge], by=by) for charge in charges])


def charges_invoice_pending(*, organisation: Organisation) -> int:
    """Invoice the charges that waited for a complete billing profile (one invoice per charge)."""
    profile = billing_profile(organisation)
    if not profile.complete:
        return 0
    charges = list(pending_charges(organisation).select_for_update(of=("self",)).select_related("customer")
                   .order_by("pk"))
    for charge in charges:
        invoice_issue(profile=profile, charges=[charge])
    return len(charges)


def on_submission_submitted(sender: Any, submission: Submission, **kwargs: Any) -> None:
    """Receiver of `submission_submitted` (inside the submitting transaction): bill the fees due on it.

    A recertification dossier bills the scheme's `submission` fees; an initial one applies for certification
    and bills its `certification` fees (`certification_fee_bill`, which a grant will call too).
    """
    dossier = submission.dossier
    version = submission.scheme_version
    tax_point = timezone.localtime(submission.submitted_at).date()
    if dossier.kind == "initial":
        certification_fee_bill(organisation_id=submission.organisation_id, customer_id=dossier.owner_id,
                               version=version, reason=f"submission:{submission.pk}", tax_point=tax_point,
                               submission_id=submission.pk)
        return
    _bill([ChargeClaim(organisation_id=submission.organisation_id, customer_id=dossier.owner_id,
                       source_key=f"submission:{submission.pk}:{fee.code}", trigger=Charge.Trigger.SUBMISSION,
                       version=version, fee_code=fee.code, tax_point=tax_point, submission_id=submission.pk,
                       review_after_payment=bool(fee.billing and fee.billing.review_after_payment))
           for fee in fees_billed_on(version, Charge.Trigger.SUBMISSION)])


def certification_fee_bill(*, organisation_id: int, customer_id: int, version: SchemeVersion, reason: str,
                           tax_point: dt.date, submission_id: int | None = None) -> Billed:
    """Bill the scheme's `certification` fees once per `reason` (an initial submission now; a grant later)."""
    return _bill([ChargeClaim(organisation_id=organisation_id, customer_id=customer_id,
                              source_key=f"certification:{reason}:{fee.code}", trigger=Charge.Trigger.CERTIFICATION,
                              version=version, fee_code=fee.code, tax_point=tax_point, submission_id=submission_id)
                  for fee in fees_billed_on(version, Charge.Trigger.CERTIFICATION)])


@dataclass
class AnnualResult:
    today: dt.date
    organisations: int = 0
    due: int = 0
    claimed: int = 0
    invoiced: int = 0

    def counts(self) -> dict[str, Any]:
        return {"today": self.today.isoformat(), "organisations": self.organisations, "due": self.due,
                "claimed": self.claimed, "invoiced": self.invoiced}


def annual_fees_bill(*, organisation: Organisation, today: dt.date, result: AnnualResult) -> None:
    """Bill every holder of an active certificate their scheme's annual fees for this year, once.

    From the fee's reference date on (a missed day is caught up on the next run, within the year), every person
    holding a certificate that is active now and was valid on the reference date is claimed as
    `annual:<scheme>:<fee>:<year>:<person>`. Runs inside the organisation's tenant context.
    """
    claims: list[ChargeClaim] = []
    for code, version in sorted(SchemeVersion.objects.for_organisation(organisation).in_force(today).items()):
        for fee in fees_billed_on(version, Charge.Trigger.ANNUAL):
            month, day = (int(part) for part in (fee.reference_date or "01-01").split("-"))
            reference = dt.date(today.year, month, day)
            if reference > today:
                continue
            holders = (Certification.objects.for_organisation(organisation)
                       .filter(scheme_version__code=code, status=Certification.Status.ACTIVE)
                       .filter(Q(issued_on__isnull=True) | Q(issued_on__lte=reference))
                       .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=reference))
                       .order_by("holder_id").values_list("holder_id", flat=True).distinct())
            claims += [ChargeClaim(organisation_id=organisation.pk, customer_id=holder,
                                   source_key=f"annual:{code}:{fee.code}:{today.year}:{holder}",
                                   trigger=Charge.Trigger.ANNUAL, version=version, fee_code=fee.code,
                                   tax_point=reference) for holder in holders]
    result.due += len(claims)
    billed = _bill(claims)
    result.claimed += billed.claimed
    result.invoiced += len(billed.invoices)


def orderable_fees(organisation: Organisation, user: User, today: dt.date) -> list[tuple[SchemeVersion, SchemeFee]]:
    """The fees a professional can order: `order` fees of the schemes they hold a certificate under."""
    codes = set(Certification.objects.for_organisation(organisation).filter(holder=user)
                .values_list("scheme_version__code", flat=True))
    versions = SchemeVersion.objects.for_organisation(organisation).in_force(today, codes=codes)
    return [(version, fee) for _code, version in sorted(versions.items())
            for fee in fees_billed_on(version, Charge.Trigger.ORDER)]


@transaction.atomic
def order_place(*, organisation: Organisation, user: User, scheme_code: str, fee_code: str, quantity: int,
                today: dt.date | None = None) -> Invoice:
    """Order a product (the English-language certificate, the book): invoiced at once."""
    today = today or timezone.localdate()
    if quantity < 1 or quantity > 20:
        raise ValidationError(_("Order between 1 and 20."), code="quantity")
    choice = next(((version, fee) for version, fee in orderable_fees(organisation, user, today)
                   if version.code == scheme_code and fee.code == fee_code), None)
    if choice is None:
        raise ValidationError(_("This item cannot be ordered."), code="unknown")
    profile = billing_profile(organisation)
    if not profile.complete:
        raise ValidationError(_("%(organisation)s cannot take orders yet. Please try again later.")
                              % {"organisation": organisation.name}, code="profile_incomplete")
    version, fee = choice
    key = f"order:{scheme_code}:{fee_code}:{user.pk}:{timezone.now().isoformat()}"
    ids = charges_claim([ChargeClaim(organisation_id=organisation.pk, customer_id=user.pk, source_key=key,
                                     trigger=Charge.Trigger.ORDER, version=version, fee_code=fee.code,
                                     tax_point=today, quantity=Decimal(quantity))])
    charge = Charge.objects.for_organisation(organisation).select_related("customer").get(pk=ids[0])
    invoice = invoice_issue(profile=profile, charges=[charge], by=user)
    audit_record(organisation=organisation, actor=user, action="order.place", email=user.email, quantity=quantity,
                 fee=fee.label.get("en"), invoice=invoice.pk)
    return invoice


# --- Issuing --------------------------------------------------------------------------------------------------

def payment_reference(organisation_id: int, year: int, sequence: int) -> str:
    """An ISO 11649 structured creditor reference (RF + check digits), unique per organisation and number."""
    body = f"{organisation_id:04d}{year:04d}{sequence:06d}"
    digits = "".join(str(int(char, 36)) for char in body + "RF00")
    check = 98 - int(digits) % 97
    return iso11649.compact(f"RF{check:02d}{body}")


def format_reference(reference: str) -> str:
    return iso11649.format(reference)


def _next_number(profile: BillingProfile, year: int) -> tuple[int, str]:
    sequence = get_next_value(f"billing.invoice.{profile.organisation_id}.{year}")
    return sequence, f"{profile.invoice_prefix}-{year}-{sequence:06d}"


@dataclass
class Line:
    description: str
    quantity: Decimal
    unit_price: Decimal
    includes_vat: bool
    category: str
    rate: Decimal
    amounts: money.LineAmounts
    fee_code: str = ""
    currency: str = "EUR"
    credits_line: InvoiceLine | None = None


@dataclass
class Draft:
    lines: list[Line] = field(default_factory=list)

    def totals(self) -> money.Totals:
        return money.invoice_totals((line.rate, line.amounts) for line in self.lines)


def charge_lines(charges: Iterable[Charge], *, profile: BillingProfile, customer: Customer) -> Draft:
    """The lines for charges: the fee's label in the customer's language, its price, the rate on the tax point."""
    draft = Draft()
    reverse = reverse_charge_applies(customer, profile.country)
    for charge in charges:
        version = SchemeVersion.objects.for_organisation(charge.organisation_id).get(pk=charge.scheme_version_id)
        fee = next((item for item in version.rules.fees if item.code == charge.fee_code), None)
        if fee is None:
            raise ValidationError(_("The fee %(fee)s is no longer in the scheme.") % {"fee": charge.fee_code})
        category = fee_vat_category(fee, country=profile.country, on=charge.tax_point)
        rate = vat_rate(country=profile.country, category=category, on=charge.tax_point)
        amounts = money.line_amounts(unit_price=fee.amount, quantity=charge.quantity, rate=rate,
                                     includes_vat=fee.vat_included, charge_vat=not reverse)
        draft.lines.append(Line(description=fee.label.get(customer.language), quantity=charge.quantity,
                                unit_price=fee.amount, includes_vat=fee.vat_included, category=category,
                                rate=Decimal(0) if reverse else rate, amounts=amounts, fee_code=fee.code,
                                currency=fee.currency))
    return draft


def invoice_issue(*, profile: BillingProfile, charges: Sequence[Charge], by: User | None = None,
                  today: dt.date | None = None, notify: bool = True) -> Invoice:
    """Issue one invoice for charges of one customer: numbered, frozen, mailed (unless `notify` is off: demo
    data), its PDF queued."""
    with transaction.atomic():
        problem = profile_problem(profile)
        if problem:
            raise ValidationError(problem, code="profile_incomplete")
        customer_user = charges[0].customer
        customer = customer_for(profile.organisation, customer_user)
        with translation.override(customer.language):
            draft = charge_lines(charges, profile=profile, customer=customer)
        invoice = _store(profile=profile, customer=customer, draft=draft, kind=Invoice.Kind.INVOICE, by=by,
                         tax_point=max(charge.tax_point for charge in charges), today=today)
        Charge.objects.for_organisation(profile.organisation_id).filter(pk__in=[c.pk for c in charges]).update(
            invoice=invoice)
        audit_record(organisation=profile.organisation, actor=by, action="invoice.issue", number=invoice.number,
                     customer=invoice.customer_name, total=str(invoice.total), currency=invoice.currency,
                     invoice=invoice.pk)
        if notify:
            _invoice_email(invoice, template="issued")
        return invoice


def _store(*, profile: BillingProfile, customer: Customer, draft: Draft, kind: str, by: User | None,
           tax_point: dt.date, today: dt.date | None, credit_of: Invoice | None = None, reason: str = "") -> Invoice:
    today = today or timezone.localdate()
    totals = draft.totals()
    sequence, number = _next_number(profile, today.year)
    reverse = reverse_charge_applies(customer, profile.country) if credit_of is None else credit_of.reverse_charge
    currencies = {line.currency for line in draft.lines}
    if len(currencies) != 1:
        raise ValidationError(_("One invoice has one currency; these fees have %(currencies)s.")
                              % {"currencies": ", ".join(sorted(currencies))}, code="currencies")
    currency = currencies.pop()
    invoice = Invoice.objects.create(
        organisation=profile.organisation, kind=kind, number=number, year=today.year, sequence=sequence,
        credit_of=credit_of, issue_date=today, tax_point=tax_point,
        due_date=today + dt.timedelta(days=profile.payment_term_days), currency=currency,
        language=customer.language, customer=customer.user, customer_name=customer.name,
        customer_attention=customer.attention, customer_address=customer.address, customer_country=customer.country,
        customer_vat_number=customer.vat_number if (reverse or customer.business) else "",
        customer_email=customer.email, po_reference=customer.po_reference, issuer_name=profile.legal_name,
        issuer_address="\n".join(profile.address_lines()), issuer_country=profile.country,
        issuer_kvk=profile.kvk_number, issuer_vat=profile.vat_number, issuer_iban=profile.iban,
        issuer_bic=profile.bic, issuer_email=profile.email, footer=profile.footer, reverse_charge=reverse,
        payment_reference=payment_reference(profile.organisation_id, today.year, sequence),
        net_total=totals.net, vat_total=totals.vat, total=totals.total,
        vat_breakdown=[{"rate": plain_number(item.rate), "net": str(item.net), "vat": str(item.vat)}
                       for item in totals.per_rate],
        fee_codes=",".join(sorted({line.fee_code for line in draft.lines if line.fee_code})), reason=reason,
        issued_by=by, status=Invoice.Status.SETTLED if kind == Invoice.Kind.CREDIT_NOTE else Invoice.Status.OPEN)
    InvoiceLine.objects.bulk_create([InvoiceLine(
        organisation=profile.organisation, invoice=invoice, position=position, description=line.description[:300],
        quantity=line.quantity, unit_price=line.unit_price, unit_price_includes_vat=line.includes_vat,
        vat_category=line.category, vat_rate=line.rate, net=line.amounts.net, vat=line.amounts.vat,
        gross=line.amounts.gross, fee_code=line.fee_code, credits_line=line.credits_line)
        for position, line in enumerate(draft.lines, start=1)])
    outbox_enqueue("billing.tasks.render_invoice_pdf", invoice_id=invoice.pk, organisation_id=invoice.organisation_id)
    return invoice


def _invoice_email(invoice: Invoice, *, template: str, step: int | None = None) -> None:
    """The invoice (or a reminder, or a credit note) mailed in the customer's language (as they chose it now,
    else the invoice's), with a link to it."""
    organisation = invoice.organisation
    to = [invoice.customer_email]
    details = BillingDetails.objects.for_organisation(organisation).filter(user_id=invoice.customer_id).first()
    if details and details.bill_to == BillingDetails.BillTo.EMPLOYER and details.employer_email:
        to.append(details.employer_email)
    mail_send(to=to, template=f"billing/email/{template}", organisation=organisation,
              language=invoice.customer.preferred_language or invoice.language, context={
                  "invoice": invoice, "organisation": organisation, "step": step,
                  "link": site_url("my_invoice_detail", org=organisation.slug, pk=invoice.pk),
                  "reference": format_reference(invoice.payment_reference), "online": online_provider() is not None})


# --- Credit notes ---------------------------------------------------------------------------------------------

def creditable(invoice: Invoice) -> dict[int, Decimal]:
    """Per line of the invoice, what may still be credited, in the line's own price terms (gross when its price
    included VAT, else net)."""
    lines = list(invoice.line_items())
    credited: dict[int, Decimal] = {}
    for line in InvoiceLine.objects.for_organisation(invoice.organisation_id).filter(
            credits_line__invoice=invoice):
        amount = line.gross if line.unit_price_includes_vat else line.net
        credited[line.credits_line_id] = credited.get(line.credits_line_id, Decimal(0)) + amount
    return {line.pk: (line.gross if line.unit_price_includes_vat else line.net) + credited.get(line.pk, Decimal(0))
            for line in lines}


def credit_note_draft(*, invoice: Invoice, amounts: dict[int, Decimal] | None) -> Draft:
    """The lines a credit note would have: every line in full (`amounts` None) or the amounts given per line.

    Each credit line takes the rate of the line it corrects (the VAT charged then is what is corrected).
    """
    if invoice.is_credit_note:
        raise ValidationError(_("A credit note cannot be credited."), code="credit_note")
    remaining = creditable(invoice)
    draft = Draft()
    with translation.override(invoice.language):
        for line in invoice.line_items():
            left = remaining[line.pk]
            if amounts is None:
                if left <= 0:
                    continue
                amount = left
            else:
                amount = amounts.get(line.pk, Decimal(0))
                if amount == 0:
                    continue
                if amount < 0 or amount > left:
                    raise ValidationError(
                        _("At most %(left)s can still be credited on “%(line)s”.")
                        % {"left": left, "line": line.description}, code="too_much")
            if amount == (line.gross if line.unit_price_includes_vat else line.net):  # the whole line, exactly
                amounts_line = money.LineAmounts(net=-line.net, vat=-line.vat, gross=-line.gross)
                quantity, unit = -line.quantity, line.unit_price
            else:
                amounts_line = money.line_amounts(unit_price=-amount, quantity=Decimal(1), rate=line.vat_rate,
                                                  includes_vat=line.unit_price_includes_vat)
                quantity, unit = Decimal(-1), amount
            draft.lines.append(Line(description=_("Credit: %(line)s") % {"line": line.description}, quantity=quantity,
                                    unit_price=unit, includes_vat=line.unit_price_includes_vat,
                                    category=line.vat_category, rate=line.vat_rate, amounts=amounts_line,
                                    fee_code=line.fee_code, currency=invoice.currency, credits_line=line))
    if not draft.lines:
        raise ValidationError(_("There is nothing left to credit on this invoice."), code="nothing")
    return draft


def credit_note_issue(*, invoice: Invoice, amounts: dict[int, Decimal] | None, reason: str, by: User,
                      notify: bool = True) -> Invoice:
    """Correct an issued invoice with a credit note (negative amounts) that refers to it; full or partial."""
    with transaction.atomic():
        invoice = _locked(invoice)
        if not reason.strip():
            raise ValidationError(_("Say why the invoice is credited: the reason is on the credit note."),
                                  code="reason")
        draft = credit_note_draft(invoice=invoice, amounts=amounts)
        profile = billing_profile(invoice.organisation)
        if problem := profile_problem(profile):
            raise ValidationError(problem, code="profile_incomplete")
        customer = Customer(user=invoice.customer, name=invoice.customer_name, attention=invoice.customer_attention,
                            address=invoice.customer_address, country=invoice.customer_country,
                            vat_number=invoice.customer_vat_number, email=invoice.customer_email, cc="",
                            po_reference=invoice.po_reference, language=invoice.language,
                            business=bool(invoice.customer_vat_number))
        note = _store(profile=profile, customer=customer, draft=draft, kind=Invoice.Kind.CREDIT_NOTE, by=by,
                      tax_point=invoice.tax_point, today=None, credit_of=invoice, reason=reason.strip())
        audit_record(organisation=invoice.organisation, actor=by, action="invoice.credit", number=note.number,
                     original=invoice.number, total=str(note.total), currency=note.currency, invoice=note.pk)
        _settle(invoice, by=by)
        if notify:
            _invoice_email(note, template="credit")
        return note


# --- Payments -------------------------------------------------------------------------------------------------

def _locked(invoice: Invoice) -> Invoice:
    return (Invoice.objects.for_organisation(invoice.organisation_id).select_for_update(of=("self",))
            .select_related("organisation", "customer").get(pk=invoice.pk))


@dataclass(frozen=True)
class Balance:
    total: Decimal
    credited: Decimal
    paid: Decimal

    @property
    def due(self) -> Decimal:
        return self.total + self.credited - self.paid


def invoice_balance(invoice: Invoice) -> Balance:
    credited = Invoice.objects.for_organisation(invoice.organisation_id).filter(credit_of=invoice).aggregate(
        total=Sum("total"))["total"] or Decimal(0)
    paid = Payment.objects.for_organisation(invoice.organisation_id).filter(invoice=invoice).aggregate(
        total=Sum("amount"))["total"] or Decimal(0)
    return Balance(total=invoice.total, credited=credited, paid=paid)


def _settle(invoice: Invoice, *, by: User | None) -> None:
    """Set the invoice's status from its payments and credit notes; release holds once nothing is owed."""
    balance = invoice_balance(invoice)
    before = invoice.status
    if balance.total + balance.credited <= 0:
        invoice.status = Invoice.Status.CREDITED
    elif balance.due <= 0:
        invoice.status = Invoice.Status.PAID
    else:
        invoice.status = Invoice.Status.OPEN
    if invoice.status == before:
        return
    if invoice.status == Invoice.Status.PAID:
        invoice.paid_at = timezone.now()
        audit_record(organisation=invoice.organisation, actor=by, action="invoice.paid", number=invoice.number,
                     invoice=invoice.pk)
    invoice.save(update_fields=["status", "paid_at"])
    if invoice.status in (Invoice.Status.PAID, Invoice.Status.CREDITED):
        _release_holds(invoice)


def payment_record(*, invoice: Invoice, amount: Decimal, paid_on: dt.date, method: str, reference: str = "",
                   note: str = "", by: User | None = None) -> Payment:
    """Record money received. The same bank entry or provider payment (method + reference) is recorded once:
    a second try raises ValidationError and changes nothing."""
    with transaction.atomic():
        invoice = _locked(invoice)
        if invoice.is_credit_note:
            raise ValidationError(_("Payments are recorded on invoices, not on credit notes."), code="credit_note")
        if amount <= 0:
            raise ValidationError(_("Enter the amount received (more than 0)."), code="amount")
        try:
            with transaction.atomic():
                payment = Payment.objects.create(organisation=invoice.organisation, invoice=invoice, amount=amount,
                                                 currency=invoice.currency, method=method, paid_on=paid_on,
                                                 reference=reference, note=note, recorded_by=by)
        except IntegrityError:
            raise ValidationError(_("This payment (reference %(reference)s) has already been recorded.")
                                  % {"reference": reference}, code="duplicate") from None
        audit_record(organisation=invoice.organisation, actor=by, action="payment.record", number=invoice.number,
                     amount=str(amount), currency=invoice.currency, method=method, invoice=invoice.pk,
                     payment=payment.pk)
        _settle(invoice, by=by)
        return payment


# --- Review holds ---------------------------------------------------------------------------------------------

def unpaid_fee_hold(submission: Submission) -> str | None:
    """The review hold billing registers: a fee whose setting says review waits is not paid (or waived) yet."""
    waiting = (Charge.objects.for_organisation(submission.organisation_id)
               .filter(submission_id=submission.pk, review_after_payment=True)
               .filter(Q(invoice__isnull=True) | Q(invoice__status=Invoice.Status.OPEN)))
    return str(HOLD_REASON) if waiting.exists() else None


def _release_holds(invoice: Invoice) -> None:
    ids = set(Charge.objects.for_organisation(invoice.organisation_id).filter(
        invoice=invoice, review_after_payment=True, submission_id__isnull=False)
        .values_list("submission_id", flat=True))
    for submission in Submission.objects.for_organisation(invoice.organisation_id).filter(pk__in=ids):
        if unpaid_fee_hold(submission) is None:
            signals.submission_hold_released.send(sender=Invoice, submission=submission)


# --- Online payment -------------------------------------------------------------------------------------------

class OnlinePaymentUnavailable(Exception):
    """Online payment is switched off, or the provider cannot be reached now (the message is for people)."""


def online_payment_start(*, invoice: Invoice, by: User) -> OnlinePayment:
    """Start (or resume) an online payment of what is still due; the payer goes to its `checkout_url`."""
    provider = online_provider()
    if provider is None:
        raise OnlinePaymentUnavailable(_("Online payment is not available. Please pay by bank transfer."))
    with transaction.atomic():
        invoice = _locked(invoice)
        if invoice.is_credit_note or invoice.status != Invoice.Status.OPEN:
            raise ValidationError(_("This invoice has nothing left to pay."), code="not_open")
        recent = (OnlinePayment.objects.for_organisation(invoice.organisation_id)
                  .filter(invoice=invoice, status="open", created_at__gte=timezone.now() - dt.timedelta(minutes=10))
                  .exclude(checkout_url="").order_by("-created_at").first())
        if recent is not None:
            return recent
        due = invoice_balance(invoice).due
        slug = invoice.organisation.slug
        count = OnlinePayment.objects.for_organisation(invoice.organisation_id).filter(invoice=invoice).count()
        try:
            started = provider.create(
                amount=due, currency=invoice.currency,
                description=_("Invoice %(number)s") % {"number": invoice.number},
                redirect_url=site_url("payment_return", org=slug, pk=invoice.pk),
                webhook_url=site_url("mollie_webhook", org=slug),
                metadata={"invoice": invoice.number, "organisation": slug}, locale=invoice.language,
                idempotency_key=hashlib.sha256(f"{invoice.pk}:{count}".encode()).hexdigest()[:32])
        except ProviderError as error:
            logger.warning("Online payment for %s not started: %s", invoice.number, error)
            raise OnlinePaymentUnavailable(_("The payment service cannot be reached right now. Please try again "
                                             "in a few minutes, or pay by bank transfer.")) from error
        online = OnlinePayment.objects.create(
            organisation=invoice.organisation, invoice=invoice, provider=provider.name, provider_id=started.id,
            status=started.status, amount=due, currency=invoice.currency, checkout_url=started.checkout_url,
            created_by=by)
        audit_record(organisation=invoice.organisation, actor=by, action="payment.online_start", number=invoice.number,
                     invoice=invoice.pk, provider_id=started.id)
        return online


def online_payment_sync(*, organisation: Organisation, provider_id: str) -> OnlinePayment | None:
    """Ask the provider what became of one of OUR payments and record it; None for an id we never created.

    Idempotent: the row is locked, and a status already recorded changes nothing; a paid payment is recorded
    once (the payment's provider reference is unique besides).
    """
    provider = online_provider()
    if provider is None:
        return None
    with transaction.atomic():
        online = (OnlinePayment.objects.for_organisation(organisation).select_for_update(of=("self",))
                  .filter(provider=provider.name, provider_id=provider_id).select_related("invoice").first())
        if online is None:
            return None
        try:
            found = provider.fetch(provider_id)
        except ProviderError as error:
            logger.warning("Online payment %s not checked: %s", provider_id, error)
            raise
        if found.status == online.status and (online.payment_id or not found.paid):
            return online
        online.status = found.status
        fields = ["status", "updated_at"]
        if found.paid and online.payment_id is None:
            paid_on = timezone.localtime(found.paid_at).date() if found.paid_at else timezone.localdate()
            online.payment = payment_record(invoice=online.invoice, amount=_paid_amount(found, online),
                                            paid_on=paid_on, method=Payment.Method.ONLINE, reference=provider_id,
                                            note=provider.name, by=None)
            fields.append("payment")
        online.save(update_fields=fields)
        return online


def _paid_amount(found: ProviderPayment, online: OnlinePayment) -> Decimal:
    return found.amount if found.currency == online.currency and found.amount > 0 else online.amount


# --- Bank statements ------------------------------------------------------------------------------------------

@dataclass
class StatementLine:
    entry: BankEntry
    invoice: Invoice | None = None
    problem: str = ""
    already: bool = False


@dataclass
class StatementPlan:
    lines: list[StatementLine]

    @property
    def matched(self) -> list[StatementLine]:
        return [line for line in self.lines if line.invoice is not None and not line.already]

    @property
    def already(self) -> list[StatementLine]:
        return [line for line in self.lines if line.already]

    @property
    def unmatched(self) -> list[StatementLine]:
        return [line for line in self.lines if line.invoice is None and not line.already]


def _squash(text: str) -> str:
    return "".join(text.split()).upper()


def statement_check(*, organisation: Organisation, entries: Sequence[BankEntry]) -> StatementPlan:
    """Match each credit entry to an open invoice by its payment reference (or number) in the entry's text.

    Nothing is written. Entries already recorded (their bank reference) are marked `already`.
    """
    invoices = list(Invoice.objects.for_organisation(organisation).filter(kind=Invoice.Kind.INVOICE)
                    .exclude(status=Invoice.Status.CREDITED).only("pk", "number", "payment_reference", "currency",
                                                                   "status", "total", "organisation"))
    by_reference = {_squash(invoice.payment_reference): invoice for invoice in invoices}
    by_number = {_squash(invoice.number): invoice for invoice in invoices}
    recorded = set(Payment.objects.for_organisation(organisation).filter(
        method=Payment.Method.STATEMENT, reference__in=[entry.reference for entry in entries])
        .values_list("reference", flat=True))
    lines = []
    seen: set[str] = set()
    for entry in entries:
        line = StatementLine(entry=entry)
        lines.append(line)
        if entry.reference in recorded:
            line.already = True
            continue
        if entry.reference in seen:
            line.problem = _("The same bank entry appears twice in the file.")
            continue
        seen.add(entry.reference)
        if entry.amount <= 0:
            line.problem = _("Not a payment received (a debit).")
            continue
        text = _squash(entry.text)
        invoice = next((found for key, found in by_reference.items() if key in text), None) or next(
            (found for key, found in by_number.items() if key in text), None)
        if invoice is None:
            line.problem = _("No open invoice's payment reference or number is in the description.")
        elif invoice.currency != entry.currency:
            line.problem = _("The currency %(currency)s is not the invoice's.") % {"currency": entry.currency}
        elif invoice.status == Invoice.Status.PAID:
            line.problem = _("Invoice %(number)s is already paid.") % {"number": invoice.number}
        else:
            line.invoice = invoice
    return StatementPlan(lines=lines)


def statement_apply(*, organisation: Organisation, entries: Sequence[BankEntry], file_name: str, sha256: str,
                    file_format: str, by: User) -> tuple[StatementImport, StatementPlan]:
    """Record every matched entry as a payment, all or nothing; entries recorded before are skipped."""
    with transaction.atomic():
        plan = statement_check(organisation=organisation, entries=entries)
        for line in plan.matched:
            assert line.invoice is not None  # a matched line has its invoice
            payment_record(invoice=line.invoice, amount=line.entry.amount, paid_on=line.entry.booked_on,
                           method=Payment.Method.STATEMENT, reference=line.entry.reference,
                           note=line.entry.name[:300], by=by)
        unmatched = [{"reference": line.entry.reference, "date": line.entry.booked_on.isoformat(),
                      "amount": str(line.entry.amount), "currency": line.entry.currency, "name": line.entry.name,
                      "text": line.entry.text[:300], "problem": str(line.problem)} for line in plan.unmatched]
        record = StatementImport.objects.create(organisation=organisation, file_name=file_name[:255], sha256=sha256,
                                                file_format=file_format, matched=len(plan.matched),
                                                already=len(plan.already), unmatched=unmatched, uploaded_by=by)
        audit_record(organisation=organisation, actor=by, action="statement.apply", file=file_name,
                     matched=len(plan.matched), unmatched=len(unmatched), statement=record.pk)
        return record, plan


# --- Reminders ------------------------------------------------------------------------------------------------

def invoice_reminders_send(*, organisation: Organisation, today: dt.date) -> int:
    """Remind every overdue invoice once per step (`BILLING_REMINDER_DAYS` after its due date): the latest step
    due is claimed through the unique constraint, then mailed (through the outbox) in the customer's language."""
    steps = sorted(settings.BILLING_REMINDER_DAYS)
    if not steps:
        return 0
    overdue = (Invoice.objects.for_organisation(organisation).filter(
        kind=Invoice.Kind.INVOICE, status=Invoice.Status.OPEN, due_date__lte=today - dt.timedelta(days=steps[0]))
        .select_related("organisation").order_by("pk"))
    sent = 0
    for invoice in overdue:
        days = (today - invoice.due_date).days
        step = max(number for number, after in enumerate(steps, start=1) if after <= days)
        try:
            with transaction.atomic():
                InvoiceReminder.objects.create(organisation=organisation, invoice=invoice, step=step, sent_on=today)
        except IntegrityError:
            continue  # this step went out already (or another scan is sending it)
        _invoice_email(invoice, template="reminder", step=step)
        audit_record(organisation=organisation, actor=None, action="invoice.reminder", number=invoice.number,
                     step=step, invoice=invoice.pk)
        sent += 1
    return sent


# --- Figures --------------------------------------------------------------------------------------------------

@dataclass
class Figures:
    open: Decimal
    overdue: Decimal
    paid: Decimal
    per_fee: list[dict[str, Any]]
    per_month: list[dict[str, Any]]


def billing_figures(*, organisation: Organisation, today: dt.date, start: dt.date | None = None,
                    end: dt.date | None = None) -> Figures:
    """Open, overdue and paid amounts, and invoiced amounts per fee and per month (credit notes subtract).
    Five queries whatever the number of invoices."""
    invoices = Invoice.objects.for_organisation(organisation)
    lines = InvoiceLine.objects.for_organisation(organisation)
    payments = Payment.objects.for_organisation(organisation)
    if start:
        lines = lines.filter(invoice__issue_date__gte=start)
        payments = payments.filter(paid_on__gte=start)
    if end:
        lines = lines.filter(invoice__issue_date__lte=end)
        payments = payments.filter(paid_on__lte=end)
    open_invoices = invoices.filter(kind=Invoice.Kind.INVOICE, status=Invoice.Status.OPEN)

    def due(queryset: Any) -> Decimal:
        totals = queryset.aggregate(total=Sum("total"))["total"] or Decimal(0)
        paid = Payment.objects.for_organisation(organisation).filter(invoice__in=queryset).aggregate(
            total=Sum("amount"))["total"] or Decimal(0)
        credited = invoices.filter(credit_of__in=queryset).aggregate(total=Sum("total"))["total"] or Decimal(0)
        return totals - paid + credited

    from django.db.models.functions import TruncMonth

    per_fee = list(lines.values("fee_code").annotate(net=Sum("net"), vat=Sum("vat"), gross=Sum("gross"))
                   .order_by("fee_code"))
    per_month = list(lines.annotate(month=TruncMonth("invoice__issue_date")).values("month")
                     .annotate(net=Sum("net"), vat=Sum("vat"), gross=Sum("gross")).order_by("month"))
    return Figures(open=due(open_invoices), overdue=due(open_invoices.filter(due_date__lt=today)),
                   paid=payments.aggregate(total=Sum("amount"))["total"] or Decimal(0), per_fee=per_fee,
                   per_month=per_month)
