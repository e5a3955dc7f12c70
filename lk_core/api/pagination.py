from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination


class PagePagination(PageNumberPagination):
    """`?page=2&page_size=50`; the answer carries count, next, previous and results. A page
    or page size that is not a whole number from 1 is refused (400), not guessed at; a page
    size over the maximum is capped; a page past the end is a 404."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    last_page_strings = ()

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        return min(_positive(self.page_size_query_param, raw), self.max_page_size)

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param)
        return 1 if raw is None else _positive(self.page_query_param, raw)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
        return parameters


def _positive(name: str, raw: str) -> int:
    try:
        return serializers.IntegerField(min_value=1, max_value=2**31 - 1).run_validation(raw)
    except serializers.ValidationError as error:
        raise serializers.ValidationError({name: error.detail}) from None


# For a view that pages by hand with a page shape of its own (the inbox adds its unread
# count): the parameters PagePagination puts in the schema of generic list views.
PAGE_PARAMETERS = [
    OpenApiParameter("page", {"type": "integer", "minimum": 1},
                     description="Page number, from 1 (404 past the last)."),
    OpenApiParameter("page_size", {"type": "integer", "minimum": 1},
                     description="Items per page: 20 unless given, at most 100."),
]
