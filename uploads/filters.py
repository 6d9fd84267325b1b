"""Query-string filters of the image list."""

import django_filters

from .models import Image


class ImageFilter(django_filters.FilterSet):
    created_after = django_filters.IsoDateTimeFilter(
        field_name="created_at",
        lookup_expr="gte",
        label="Created at or after (ISO 8601)",
    )
    created_before = django_filters.IsoDateTimeFilter(
        field_name="created_at",
        lookup_expr="lte",
        label="Created at or before (ISO 8601)",
    )
    format = django_filters.ChoiceFilter(choices=Image.Format.choices)

    class Meta:
        model = Image
        fields = ["created_after", "created_before", "format"]
