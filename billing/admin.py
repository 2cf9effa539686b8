"""Platform administrators (superusers) edit the VAT table here; issued invoices are shown, never changed."""

from django.contrib import admin

from billing.models import Invoice, VatRate


@admin.register(VatRate)
class VatRateAdmin(admin.ModelAdmin):
    list_display = ["country", "category", "rate", "valid_from", "valid_until", "note"]
    list_filter = ["country", "category"]
    ordering = ["country", "category", "-valid_from"]


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    """Read-only: an issued invoice never changes (corrections are credit notes, issued in the product)."""

    list_display = ["number", "organisation", "kind", "issue_date", "customer_name", "total", "currency", "status"]
    list_filter = ["organisation", "kind", "status"]
    search_fields = ["number", "customer_name"]

    def has_add_permission(self, request):  # noqa: ANN001, ANN201
        return False

    def has_change_permission(self, request, obj=None):  # noqa: ANN001, ANN201
        return False

    def has_delete_permission(self, request, obj=None):  # noqa: ANN001, ANN201
        return False
