"""Billing pages: professionals' invoices, billing details and orders; administrators' profile, invoices, credit
notes, payments, bank statements and figures; the payment provider's webhook (public).

Every invoice a view shows is loaded through `billing.access.invoice_for` (the one access policy,
accounts/access.py): the organisation is in the query, and a professional gets only their own (another's, or
another organisation's, answers 404).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.csp import CSP
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.forms import form_add_errors
from accounts.models import Organisation, Role
from accounts.paging import keyset_page
from accounts.requests import OrgRequest
from accounts.spreadsheets import csv_response
from accounts.storage import stored_file_response
from accounts.tenancy import NotFound, activate_organisation, member_required
from billing import services
from billing.access import invoice_for
from billing.countries import country_name
from billing.forms import (
    BillingDetailsForm,
    BillingProfileForm,
    CreditNoteForm,
    ExportForm,
    InvoiceFilterForm,
    OrderForm,
    PaymentForm,
    StatementUploadForm,
)
from billing.models import Charge, Invoice, OnlinePayment, Payment, StatementImport
from billing.providers import ProviderError, online_provider
from billing.statements import MAX_BYTES, StatementError, parse_statement
from portfolios import csvio
from schemes.models import SchemeVersion

# Newest first; keyset pages (accounts/paging.py), so page 400 of 10,000 costs what page 1 does.
INVOICE_ORDER = ("-issue_date", "-sequence", "-id")
STASH_KIND = "bank-statement"




def _detail_context(invoice: Invoice) -> dict[str, Any]:
    lines = list(invoice.line_items())
    payments = list(invoice.payment_items()) if not invoice.is_credit_note else []
    credit_notes = list(invoice.credit_note_items()) if not invoice.is_credit_note else []
    balance = services.invoice_balance(invoice) if not invoice.is_credit_note else None
    return {"invoice": invoice, "lines": lines, "payments": payments, "credit_notes": credit_notes,
            "balance": balance, "reference": services.format_reference(invoice.payment_reference),
            "issuer_country": country_name(invoice.issuer_country), "today": timezone.localdate()}


# --- Professionals ----------------------------------------------------------------------------------------

@require_GET
@member_required()
def my_invoices(request: OrgRequest, org: str) -> HttpResponse:
    invoices = (Invoice.objects.for_organisation(request.organisation).filter(customer=request.user)
                .select_related("credit_of"))
    page = keyset_page(invoices, INVOICE_ORDER, request.GET.get("cursor"), size=settings.PAGE_SIZE)
    return render(request, "billing/my_invoices.html", {
        "page": page, "today": timezone.localdate(),
        "can_order": bool(services.orderable_fees(request.organisation, request.user, timezone.localdate()))})


@require_GET
@member_required()
def my_invoice_detail(request: OrgRequest, org: str, pk: int) -> HttpResponse:
    invoice = invoice_for(request, pk)
    context = _detail_context(invoice)
    context["online"] = online_provider() is not None
    response = render(request, "billing/my_invoice_detail.html", context)
    if context["online"]:
        # "Pay online" posts here and is redirected to the provider's checkout; browsers apply form-action to that
        # redirect too, so this page's policy also allows the checkout's origin (what `csp_override` sets).
        response._csp_config = {**settings.SECURE_CSP,  # type: ignore[attr-defined]
                                "form-action": [CSP.SELF, settings.MOLLIE_CHECKOUT_ORIGIN]}
    return response


@require_GET
@member_required()
def invoice_pdf(request: OrgRequest, org: str, pk: int) -> HttpResponseBase:
    """The invoice's PDF, rendered by a task. Until it exists, a page says so (and the task is queued again)."""
    invoice = invoice_for(request, pk, manage=True)
    if invoice.pdf:
        try:
            return stored_file_response(invoice.pdf, filename=f"{invoice.number}.pdf", content_type="application/pdf")
        except FileNotFoundError:
            pass
    from accounts.outbox import outbox_enqueue

    outbox_enqueue("billing.tasks.render_invoice_pdf", invoice_id=invoice.pk, organisation_id=invoice.organisation_id)
    return render(request, "billing/pdf_pending.html", {"invoice": invoice}, status=202)


@require_POST
@member_required()
def invoice_pay(request: OrgRequest, org: str, pk: int) -> HttpResponse:
    invoice = invoice_for(request, pk, write=True)
    try:
        online = services.online_payment_start(invoice=invoice, by=request.user)
    except (services.OnlinePaymentUnavailable, ValidationError) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        return redirect("my_invoice_detail", org=org, pk=invoice.pk)
    return redirect(online.checkout_url)


@require_GET
@member_required()
def payment_return(request: OrgRequest, org: str, pk: int) -> HttpResponse:
    """Where the provider sends the payer back: ask the provider (the webhook may not have come yet)."""
    invoice = invoice_for(request, pk)
    latest = (OnlinePayment.objects.for_organisation(request.organisation).filter(invoice=invoice)
              .order_by("-created_at").first())
    if latest is not None and latest.status != "paid":
        try:
            latest = services.online_payment_sync(organisation=request.organisation, provider_id=latest.provider_id)
        except ProviderError:
            messages.warning(request, _("We could not check the payment with the payment service yet. If you paid, "
                                        "the invoice shows it as paid within a few minutes."))
    invoice.refresh_from_db()
    if invoice.status == Invoice.Status.PAID:
        messages.success(request, _("Thank you: invoice %(number)s is paid.") % {"number": invoice.number})
    elif latest is not None and latest.status in ("canceled", "expired", "failed"):
        messages.error(request, _("The payment did not go through. You can try again or pay by bank transfer."))
    elif latest is not None:
        messages.info(request, _("The payment is being processed. The invoice shows it as paid once it is done."))
    return redirect("my_invoice_detail", org=org, pk=invoice.pk)


@require_http_methods(["GET", "POST"])
@member_required()
def billing_details_edit(request: OrgRequest, org: str) -> HttpResponse:
    details = services.billing_details(request.organisation, request.user)
    form = BillingDetailsForm(request.POST or None, instance=details)
    if request.method == "POST" and form.is_valid():
        services.billing_details_save(details=form.save(commit=False), by=request.user)
        messages.success(request, _("Your billing details have been saved; the next invoice uses them."))
        return redirect("my_invoices", org=org)
    return render(request, "billing/details.html", {"form": form}, status=422 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@member_required(Role.PROFESSIONAL)
def order(request: OrgRequest, org: str) -> HttpResponse:
    """Order what the scheme sells (the English-language certificate, the book); invoiced at once."""
    today = timezone.localdate()
    choices = services.orderable_fees(request.organisation, request.user, today)
    items = []
    for version, fee in choices:
        label = fee.label.get((request.LANGUAGE_CODE or "en").split("-")[0])
        terms = _("incl. VAT") if fee.vat_included else _("excl. VAT")
        items.append((f"{version.code}:{fee.code}", f"{label} — {fee.currency} {fee.amount} ({terms})"))
    form = OrderForm(request.POST or None, items=items)
    if request.method == "POST" and form.is_valid():
        scheme_code, fee_code = form.cleaned_data["item"].split(":", 1)
        try:
            invoice = services.order_place(organisation=request.organisation, user=request.user,
                                           scheme_code=scheme_code, fee_code=fee_code,
                                           quantity=form.cleaned_data["quantity"], today=today)
        except ValidationError as error:
            form_add_errors(form, error)
        else:
            messages.success(request, _("Thank you for your order. Invoice %(number)s has been sent to you.")
                             % {"number": invoice.number})
            return redirect("my_invoice_detail", org=org, pk=invoice.pk)
    return render(request, "billing/order.html", {"form": form, "items": items},
                  status=422 if form.errors else 200)


@csrf_exempt
@require_POST
def mollie_webhook(request: HttpRequest, org: str) -> HttpResponse:
    """Mollie's webhook: it carries only a payment id; the status is fetched from Mollie's API.

    Public (no session, no CSRF token: Mollie posts it). It shows nothing: an id that is not one of this
    organisation's payments answers an empty 404 without any call out, so it can be used neither to probe
    nor to make us call anyone.
    """
    organisation = Organisation.objects.filter(slug=org).first()
    provider_id = request.POST.get("id", "")
    if organisation is None or not provider_id or len(provider_id) > 60:
        return HttpResponse(status=404)
    activate_organisation(organisation)
    try:
        online = services.online_payment_sync(organisation=organisation, provider_id=provider_id)
    except ProviderError:
        return HttpResponse(status=503)  # Mollie tries again later
    return HttpResponse(status=404 if online is None else 200)


# --- Administrators -------------------------------------------------------------------------------------------

def _fee_choices(request: OrgRequest) -> list[tuple[str, str]]:
    language = (request.LANGUAGE_CODE or "en").split("-")[0]
    found: dict[str, str] = {}
    for version in SchemeVersion.objects.for_organisation(request.organisation).order_by("code", "-version"):
        for fee in version.rules.fees:
            found.setdefault(fee.code, fee.label.get(language))
    return sorted(found.items(), key=lambda item: item[1])


@require_GET
@member_required(Role.ADMIN)
def billing_overview(request: OrgRequest, org: str) -> HttpResponse:
    today = timezone.localdate()
    profile = services.billing_profile(request.organisation)
    figures = services.billing_figures(organisation=request.organisation, today=today)
    labels = dict(_fee_choices(request))
    for row in figures.per_fee:
        row["label"] = labels.get(row["fee_code"], row["fee_code"] or _("Other"))
    notes: list[dict[str, Any]] = []
    for version in SchemeVersion.objects.for_organisation(request.organisation).order_by("code", "-version"):
        if version.code not in {note["scheme"] for note in notes}:
            notes += [{**note, "scheme": version.code, "label": version.label}
                      for note in services.fee_notes(version)]
    return render(request, "billing/overview.html", {
        "profile": profile, "problem": services.profile_problem(profile), "figures": figures, "notes": notes,
        "pending": services.pending_charges(request.organisation).count(), "online": online_provider() is not None,
        "statements": StatementImport.objects.for_organisation(request.organisation)[:5]})


@require_http_methods(["GET", "POST"])
@member_required(Role.ADMIN)
def billing_profile_edit(request: OrgRequest, org: str) -> HttpResponse:
    profile = services.billing_profile(request.organisation)
    form = BillingProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        saved = services.billing_profile_save(profile=form.save(commit=False), by=request.user,
                                              changed=form.changed_data)
        if saved.complete:
            messages.success(request, _("The billing profile has been saved. Invoices can be issued."))
        else:
            messages.warning(request, services.profile_problem(saved) or "")
        return redirect("billing_overview", org=org)
    return render(request, "billing/profile.html", {"form": form, "profile": profile},
                  status=422 if form.errors else 200)


def _filtered(request: OrgRequest, form: InvoiceFilterForm) -> Any:
    invoices = Invoice.objects.for_organisation(request.organisation).select_related("credit_of")
    form.is_valid()
    filters = getattr(form, "cleaned_data", {})
    today = timezone.localdate()
    if query := filters.get("q", "").strip():
        invoices = invoices.filter(Q(number__icontains=query) | Q(customer_name__icontains=query)
                                   | Q(customer__email__icontains=query) | Q(customer_attention__icontains=query))
    status = filters.get("status")
    if status == "overdue":
        invoices = invoices.filter(status=Invoice.Status.OPEN, kind=Invoice.Kind.INVOICE, due_date__lt=today)
    elif status:
        invoices = invoices.filter(status=status)
    if filters.get("kind"):
        invoices = invoices.filter(kind=filters["kind"])
    if filters.get("fee"):
        invoices = invoices.filter(lines__fee_code=filters["fee"]).distinct()
    if filters.get("start"):
        invoices = invoices.filter(issue_date__gte=filters["start"])
    if filters.get("end"):
        invoices = invoices.filter(issue_date__lte=filters["end"])
    return invoices


@require_GET
@member_required(Role.ADMIN)
@vary_on_headers("HX-Request")
def invoice_list(request: OrgRequest, org: str) -> HttpResponse:
    form = InvoiceFilterForm(request.GET or None, fees=_fee_choices(request))
    page = keyset_page(_filtered(request, form), INVOICE_ORDER, request.GET.get("cursor"), size=settings.PAGE_SIZE)
    today = timezone.localdate()
    first_of_month = today.replace(day=1)
    export = ExportForm(initial={"start": (first_of_month - dt.timedelta(days=1)).replace(day=1),
                                 "end": first_of_month - dt.timedelta(days=1)})
    context = {"page": page, "form": form, "today": today, "export": export}
    if request.htmx:
        return render(request, "billing/invoice_list.html#invoice-table", context)
    return render(request, "billing/invoice_list.html", context)


EXPORT_HEADER = ["number", "kind", "credits", "issue_date", "supply_date", "due_date", "customer", "customer_vat",
                 "customer_country", "reverse_charge", "currency", "vat_rate", "net", "vat", "gross", "invoice_total",
                 "status", "paid_at", "payment_reference", "fees"]


@require_GET
@member_required(Role.ADMIN)
def invoice_export(request: OrgRequest, org: str) -> HttpResponseBase:
    """Invoices and credit notes of a period for the bookkeeping: one row per document and VAT rate."""
    form = ExportForm(request.GET)
    if not form.is_valid():
        messages.error(request, _("Choose the period to export (from and until)."))
        return redirect("invoice_list", org=org)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    invoices = (Invoice.objects.for_organisation(request.organisation)
                .filter(issue_date__gte=start, issue_date__lte=end).select_related("credit_of")
                .order_by("year", "sequence"))

    def rows() -> Any:
        for invoice in invoices.iterator(chunk_size=500):
            for rate in invoice.vat_breakdown or [{"rate": "0", "net": "0.00", "vat": "0.00"}]:
                net, vat = Decimal(rate["net"]), Decimal(rate["vat"])
                yield [invoice.number, invoice.kind, invoice.credit_of.number if invoice.credit_of else "",
                       invoice.issue_date.isoformat(), invoice.tax_point.isoformat(), invoice.due_date.isoformat(),
                       invoice.customer_name, invoice.customer_vat_number, invoice.customer_country,
                       "yes" if invoice.reverse_charge else "no", invoice.currency, rate["rate"], net, vat, net + vat,
                       invoice.total, invoice.status, invoice.paid_at.isoformat() if invoice.paid_at else "",
                       invoice.payment_reference, invoice.fee_codes]

    return csv_response(f"invoices-{start.isoformat()}-{end.isoformat()}.csv", EXPORT_HEADER, rows())


@require_GET
@member_required(Role.ADMIN)
def invoice_detail(request: OrgRequest, org: str, pk: int) -> HttpResponse:
    invoice = invoice_for(request, pk, manage=True)
    context = _detail_context(invoice)
    context["charges"] = list(Charge.objects.for_organisation(request.organisation).filter(invoice=invoice))
    context["reminders"] = list(invoice.reminder_items())
    return render(request, "billing/invoice_detail.html", context)


@require_http_methods(["GET", "POST"])
@member_required(Role.ADMIN)
def credit_note_create(request: OrgRequest, org: str, pk: int) -> HttpResponse:
    """Issue a credit note: the form, then a preview of exactly what will be issued, then "Issue"."""
    invoice = invoice_for(request, pk, manage=True)
    if invoice.is_credit_note:
        raise NotFound(_("A credit note cannot be credited."))
    lines = list(invoice.line_items())
    remaining = services.creditable(invoice)
    form = CreditNoteForm(request.POST or None, lines=lines, remaining=remaining)
    preview = None
    if request.method == "POST" and form.is_valid():
        amounts = form.amounts()
        try:
            if request.POST.get("action") == "confirm":
                note = services.credit_note_issue(invoice=invoice, amounts=amounts,
                                                  reason=form.cleaned_data["reason"], by=request.user)
                messages.success(request, _("Credit note %(number)s has been issued and sent to the customer.")
                                 % {"number": note.number})
                return redirect("invoice_detail", org=org, pk=note.pk)
            preview = services.credit_note_draft(invoice=invoice, amounts=amounts)
        except ValidationError as error:
            form_add_errors(form, error)
    return render(request, "billing/credit_note.html", {
        "invoice": invoice, "form": form, "lines": lines, "remaining": remaining, "preview": preview,
        "preview_totals": preview.totals() if preview else None}, status=422 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@member_required(Role.ADMIN)
def payment_create(request: OrgRequest, org: str, pk: int) -> HttpResponse:
    invoice = invoice_for(request, pk, manage=True, write=request.method == "POST")
    if invoice.is_credit_note:
        raise NotFound(_("Payments are recorded on invoices, not on credit notes."))
    balance = services.invoice_balance(invoice)
    form = PaymentForm(request.POST or None, initial={"amount": max(balance.due, Decimal(0)),
                                                      "paid_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.payment_record(invoice=invoice, amount=data["amount"], paid_on=data["paid_on"],
                                    method=Payment.Method.TRANSFER, reference=data["reference"].strip(),
                                    note=data["note"], by=request.user)
        except ValidationError as error:
            form_add_errors(form, error)
        else:
            messages.success(request, _("The payment has been recorded."))
            return redirect("invoice_detail", org=org, pk=invoice.pk)
    return render(request, "billing/payment.html", {"invoice": invoice, "form": form, "balance": balance},
                  status=422 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@member_required(Role.ADMIN)
def statement_upload(request: OrgRequest, org: str) -> HttpResponse:
    """Upload a bank statement: a dry run lists what matches which invoice and what does not; nothing is
    recorded until "Apply" (which applies exactly the file shown)."""
    form = StatementUploadForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"form": form,
                               "imports": StatementImport.objects.for_organisation(request.organisation)[:20]}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            data = csvio.read_upload(upload, max_bytes=MAX_BYTES)
            text = data.decode("utf-8-sig")
            file_format, entries = parse_statement(text.encode())
        except (csvio.CsvError, StatementError) as error:
            form.add_error("file", str(error))
        except UnicodeDecodeError:
            form.add_error("file", _("The file is not UTF-8 text. Export the statement again as CSV (UTF-8) or "
                                     "CAMT.053."))
        else:
            sha256 = hashlib.sha256(data).hexdigest()
            token = csvio.stash(kind=STASH_KIND, organisation_id=request.organisation.pk, user_id=request.user.pk,
                                name=upload.name, text=text, sha256=sha256)
            context.update({"plan": services.statement_check(organisation=request.organisation, entries=entries),
                            "token": token, "file_name": upload.name, "file_format": file_format})
    return render(request, "billing/statements.html", context, status=422 if form.errors else 200)


@require_POST
@member_required(Role.ADMIN)
def statement_apply(request: OrgRequest, org: str) -> HttpResponse:
    token = request.POST.get("token", "")
    stashed = csvio.unstash(kind=STASH_KIND, organisation_id=request.organisation.pk, user_id=request.user.pk,
                            token=token)
    if stashed is None:
        messages.error(request, _("That check has expired (after an hour). Upload the statement again."))
        return redirect("statement_upload", org=org)
    name, text = stashed
    file_format, entries = parse_statement(text.encode())
    record, plan = services.statement_apply(organisation=request.organisation, entries=entries, file_name=name,
                                            sha256=token, file_format=file_format, by=request.user)
    messages.success(request, _("%(matched)s payments recorded; %(already)s were recorded before; %(unmatched)s "
                                "lines did not match an invoice.") % {"matched": record.matched,
                                                                      "already": record.already,
                                                                      "unmatched": len(record.unmatched)})
    return render(request, "billing/statement_result.html", {"record": record, "plan": plan})


urlpatterns = [
    path("billing/invoices/", my_invoices, name="my_invoices"),
    path("billing/invoices/<int:pk>/", my_invoice_detail, name="my_invoice_detail"),
    path("billing/invoices/<int:pk>/pdf/", invoice_pdf, name="invoice_pdf"),
    path("billing/invoices/<int:pk>/pay/", invoice_pay, name="invoice_pay"),
    path("billing/invoices/<int:pk>/paid/", payment_return, name="payment_return"),
    path("billing/details/", billing_details_edit, name="billing_details"),
    path("billing/order/", order, name="billing_order"),
    path("billing/webhooks/mollie/", mollie_webhook, name="mollie_webhook"),
    path("manage/billing/", billing_overview, name="billing_overview"),
    path("manage/billing/profile/", billing_profile_edit, name="billing_profile"),
    path("manage/billing/invoices/", invoice_list, name="invoice_list"),
    path("manage/billing/invoices/export/", invoice_export, name="invoice_export"),
    path("manage/billing/invoices/<int:pk>/", invoice_detail, name="invoice_detail"),
    path("manage/billing/invoices/<int:pk>/credit/", credit_note_create, name="credit_note_create"),
    path("manage/billing/invoices/<int:pk>/payment/", payment_create, name="payment_create"),
    path("manage/billing/statements/", statement_upload, name="statement_upload"),
    path("manage/billing/statements/apply/", statement_apply, name="statement_apply"),
]
