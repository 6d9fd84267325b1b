from datetime import UTC

from django.utils.dateparse import parse_datetime
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination


class NewestFirstPagination(CursorPagination):
    """Pages of images, newest first, that stay fast however deep they go.

    A cursor marks where the page starts, so no page counts or skips over
    the rows before it.
    """

    ordering = "-created_at"
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def decode_cursor(self, request):
        """Return the request's cursor; 404 for one that names no moment.

        A cursor is signed by nobody, so its position is checked here before
        the database is asked to compare dates with it.
        """
        cursor = super().decode_cursor(request)
        if cursor is None or cursor.position is None:
            return cursor
        try:
            moment = parse_datetime(cursor.position)
            if moment is not None and moment.tzinfo is not None:
                moment.astimezone(UTC)
        except (ValueError, OverflowError):
            moment = None
        if moment is None:
            raise NotFound(self.invalid_cursor_message)
        return cursor
