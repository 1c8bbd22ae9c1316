"""Admin registrations for camera-site governance."""

from django.contrib import admin

from .models import Site


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ("reference", "name", "area", "status")
    list_filter = ("status", "area")
    search_fields = ("reference", "name", "area")
    # The lifecycle moves only through the site pages, where each step's conditions are checked.
    readonly_fields = ("status", "next_review_due", "relocated_from")
