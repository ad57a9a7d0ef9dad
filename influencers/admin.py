"""Django admin for staff maintenance of reference data and identities.

Reviewers never depend on these pages (they use the app's own views). Reference data
is normally written by the loaders; ``ReferenceLoad`` rows are read-only here.
"""

from django.contrib import admin

from influencers.models import (
    Clinician,
    ClinicianTaxonomy,
    MedicareSpecialtyCrosswalk,
    ReferenceLoad,
    SocialAccount,
    Specialty,
    TherapeuticArea,
)


@admin.register(Specialty)
class SpecialtyAdmin(admin.ModelAdmin):
    list_display = ["code", "classification", "specialization", "grouping", "section"]
    list_filter = ["section", "grouping"]
    search_fields = ["code", "classification", "specialization", "display_name"]
    readonly_fields = ["content_sha256", "created_at", "updated_at"]


@admin.register(MedicareSpecialtyCrosswalk)
class MedicareSpecialtyCrosswalkAdmin(admin.ModelAdmin):
    list_display = [
        "medicare_specialty_code",
        "medicare_provider_supplier_type",
        "taxonomy_code",
        "specialty",
    ]
    search_fields = [
        "medicare_specialty_code",
        "medicare_provider_supplier_type",
        "taxonomy_code",
    ]
    list_select_related = ["specialty"]
    raw_id_fields = ["specialty"]


@admin.register(TherapeuticArea)
class TherapeuticAreaAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["specialties"]


class ClinicianTaxonomyInline(admin.TabularInline):
    model = ClinicianTaxonomy
    extra = 0
    fields = [
        "position",
        "taxonomy_code",
        "specialty",
        "is_primary",
        "license_number",
        "license_state",
    ]
    raw_id_fields = ["specialty"]


@admin.register(Clinician)
class ClinicianAdmin(admin.ModelAdmin):
    list_display = [
        "npi",
        "last_name",
        "first_name",
        "organization_name",
        "entity_type",
        "primary_taxonomy_code",
        "practice_state",
        "npi_status",
        "identity_status",
        "source",
    ]
    list_filter = ["entity_type", "npi_status", "identity_status", "source"]
    search_fields = ["=npi", "last_name", "organization_name"]
    raw_id_fields = ["primary_specialty"]
    readonly_fields = ["nppes_payload", "content_sha256", "created_at", "updated_at"]
    inlines = [ClinicianTaxonomyInline]


@admin.register(SocialAccount)
class SocialAccountAdmin(admin.ModelAdmin):
    list_display = [
        "handle",
        "platform",
        "display_name",
        "followers_count",
        "clinician",
        "link_method",
        "link_status",
    ]
    list_filter = ["platform", "link_status", "link_method", "is_verified"]
    search_fields = ["handle", "display_name", "external_id", "clinician__npi"]
    list_select_related = ["clinician"]
    raw_id_fields = ["clinician", "link_reviewed_by"]
    readonly_fields = ["content_sha256", "created_at", "updated_at"]


@admin.register(ReferenceLoad)
class ReferenceLoadAdmin(admin.ModelAdmin):
    """Loader runs, as recorded by ``reference_load_track``: look, do not touch."""

    list_display = [
        "loader",
        "status",
        "started_at",
        "finished_at",
        "received",
        "created",
        "updated",
        "unchanged",
        "skipped",
        "rejected",
    ]
    list_filter = ["loader", "status"]
    search_fields = ["loader", "source"]
    date_hierarchy = "started_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
