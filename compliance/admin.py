"""Staff maintenance views of the compliance reference data.

Products, label versions and payments are written by the loaders
(``load_spl_labels``, ``load_open_payments``), so the admin shows them read-only:
an edit here would be silently replaced by the next load. Staff may delete rows.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from compliance.models import PaymentRecord, Product, ProductLabel


class _ReadOnlyAdminMixin:
    """Every field read-only, no "add" button; delete stays available."""

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        # Without change permission the change page is a read-only view.
        return False


class ProductLabelInline(_ReadOnlyAdminMixin, admin.TabularInline):
    model = ProductLabel
    extra = 0
    can_delete = False
    show_change_link = True
    fields = (
        "version",
        "effective_date",
        "document_id",
        "document_type",
        "has_boxed_warning",
        "indication_conditions",
        "source_file",
    )
    readonly_fields = fields
    ordering = ("-version",)

    @admin.display(boolean=True, description="boxed warning")
    def has_boxed_warning(self, obj: ProductLabel) -> bool:
        return obj.has_boxed_warning


@admin.register(Product)
class ProductAdmin(_ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "brand_name",
        "generic_name",
        "sponsor",
        "market_category",
        "set_id",
        "updated_at",
    )
    list_filter = ("market_category",)
    search_fields = ("brand_name", "generic_name", "sponsor", "set_id")
    readonly_fields = (
        "set_id",
        "brand_name",
        "generic_name",
        "sponsor",
        "market_category",
        "aliases",
        "created_at",
        "updated_at",
    )
    inlines = (ProductLabelInline,)


@admin.register(ProductLabel)
class ProductLabelAdmin(_ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "product",
        "version",
        "effective_date",
        "document_type",
        "document_id",
        "updated_at",
    )
    list_filter = ("document_type", "product__market_category")
    list_select_related = ("product",)
    search_fields = ("product__brand_name", "product__generic_name", "document_id")
    readonly_fields = (
        "product",
        "document_id",
        "version",
        "effective_date",
        "title",
        "document_type_code",
        "document_type",
        "indication_conditions",
        "indications_text",
        "boxed_warning",
        "contraindications",
        "warnings_precautions",
        "adverse_reactions",
        "adverse_reaction_terms",
        "sections",
        "source_file",
        "content_sha256",
        "created_at",
        "updated_at",
    )


@admin.register(PaymentRecord)
class PaymentRecordAdmin(_ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "record_id",
        "date_of_payment",
        "manufacturer_name",
        "amount_usd",
        "nature_of_payment",
        "covered_recipient_npi",
        "recipient_last_name",
        "clinician",
        "program_year",
    )
    list_filter = ("program_year", "nature_of_payment")
    list_select_related = ("clinician",)
    search_fields = (
        "=covered_recipient_npi",
        "manufacturer_name",
        "=record_id",
        "recipient_last_name",
    )
    date_hierarchy = "date_of_payment"
    readonly_fields = tuple(
        f.name
        for f in PaymentRecord._meta.get_fields()
        if f.concrete and f.name != "id"
    )
