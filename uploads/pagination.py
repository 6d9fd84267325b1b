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
