from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Count

from .models import ThumbnailHeight, Tier, User


class ThumbnailHeightInline(admin.TabularInline):
    model = ThumbnailHeight
    extra = 1
    verbose_name = "thumbnail height"
    verbose_name_plural = "thumbnail heights"


@admin.register(Tier)
class TierAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "heights",
        "original_link",
        "expiring_links",
        "is_default",
        "user_count",
    ]
    inlines = [ThumbnailHeightInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related("thumbnail_heights")
            .annotate(user_count=Count("users"))
        )

    @admin.display(description="thumbnail heights")
    def heights(self, tier):
        return ", ".join(str(h.height) for h in tier.thumbnail_heights.all()) or "—"

    @admin.display(description="users", ordering="user_count")
    def user_count(self, tier):
        return tier.user_count

    def has_delete_permission(self, request, obj=None):
        # New users need somewhere to start.
        if obj is not None and obj.is_default:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "email", "tier", "is_staff", "date_joined"]
    list_filter = ["tier", "is_staff", "is_superuser", "is_active"]
    list_select_related = ["tier"]
    fieldsets = [
        (None, {"fields": ["username", "password", "tier"]}),
        *BaseUserAdmin.fieldsets[1:],
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["username", "tier", "password1", "password2"],
            },
        ),
    ]
