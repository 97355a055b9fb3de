from rest_framework.pagination import CursorPagination, PageNumberPagination


class BoundedPageNumberPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 500


class FeedCursorPagination(CursorPagination):
    """Stable paging through a feed that changes while a client reads it."""

    page_size = 100
    page_size_query_param = "limit"
    max_page_size = 1000
    ordering = ("updated", "id")
