"""Query-string filters of the image list."""

from datetime import UTC

import django_filters
from django.core.exceptions import ValidationError
from django_filters.fields import IsoDateTimeField

from .models import Image


class UtcDateTimeField(IsoDateTimeField):
    """An ISO 8601 date and time that the database can compare with."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return value.astimezone(UTC)
        except OverflowError:
            # Year 1 east of UTC, or 9999 west of it, is out of range.
            raise ValidationError(
                "Enter a date and time between the years 1 and 9999 in UTC.",
                code="invalid",
            ) from None


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField


class ImageFilter(django_filters.FilterSet):
    created_after = UtcDateTimeFilter(
        field_name="created_at",
        lookup_expr="gte",
        label="Created at or after (ISO 8601)",
    )
    created_before = UtcDateTimeFilter(
        field_name="created_at",
        lookup_expr="lte",
        label="Created at or before (ISO 8601)",
    )
    format = django_filters.ChoiceFilter(choices=Image.Format.choices)

    class Meta:
        model = Image
        fields = ["created_after", "created_before", "format"]
