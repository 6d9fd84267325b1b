from django.contrib import admin
from django.template.defaultfilters import filesizeformat
from django.utils.html import format_html

from tiers.grants import grants_for_tier

from .links import Link
from .models import Image


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    list_display = [
        "preview",
        "name",
        "owner",
        "format",
        "file_size",
        "dimensions",
        "created_at",
    ]
    list_filter = ["format", "owner__tier", "created_at"]
    search_fields = ["name", "owner__username"]
    list_select_related = ["owner"]
    date_hierarchy = "created_at"
    fields = [
        "preview",
        "id",
        "owner",
        "name",
        "format",
        "width",
        "height",
        "size",
        "created_at",
    ]
    readonly_fields = [field for field in fields if field != "name"]

    def has_add_permission(self, request):
        # Uploads go through the API, which validates them.
        return False

    @admin.display(description="file size", ordering="size")
    def file_size(self, image):
        return filesizeformat(image.size)

    @admin.display(description="size in px")
    def dimensions(self, image):
        return f"{image.width}×{image.height}"

    @admin.display(description="preview")
    def preview(self, image):
        """Show the owner's smallest thumbnail, through its signed link."""
        heights = grants_for_tier(image.owner.tier_id).heights
        if not heights:
            return "—"
        url = Link(image.pk.hex, heights[0]).path()
        # A checkerboard behind the thumbnail shows where it is transparent.
        return format_html(
            '<img src="{}" alt="" style="max-height:64px;max-width:128px;'
            "background:repeating-conic-gradient(#ccc 0 25%,#fff 0 50%) "
            '0 0/12px 12px">',
            url,
        )
