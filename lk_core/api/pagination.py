from rest_framework.pagination import PageNumberPagination


class PagePagination(PageNumberPagination):
    """`?page=2&page_size=50`; the answer carries count, next, previous and results."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
