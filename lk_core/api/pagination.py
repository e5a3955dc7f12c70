from drf_spectacular.utils import OpenApiParameter
from rest_framework.pagination import PageNumberPagination


class PagePagination(PageNumberPagination):
    """`?page=2&page_size=50`; the answer carries count, next, previous and results."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


# For views that page by hand (APIView has no pagination_class): the same query parameters
# in the schema.
PAGE_PARAMETERS = [
    OpenApiParameter("page", int, description="Page number, from 1 (404 past the last)."),
    OpenApiParameter("page_size", int, description="Items per page: 20 unless given, at "
                                                   "most 100."),
]
