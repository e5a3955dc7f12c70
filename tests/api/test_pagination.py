"""The page-number pagination history lists use: bounded page size, links, 404 past the end
in the error shape."""

from __future__ import annotations

import pytest
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from lk_core.api.exceptions import api_exception_handler
from lk_core.api.pagination import PagePagination


def _page(query: str, items=range(250)):
    request = Request(APIRequestFactory().get(f"/api/v1/x/{query}"))
    paginator = PagePagination()
    page = paginator.paginate_queryset(list(items), request)
    return paginator.get_paginated_response(page).data


def test_default_and_bounded_page_sizes():
    first = _page("")
    assert (first["count"], len(first["results"]), first["previous"]) == (250, 20, None)
    assert first["next"].endswith("?page=2")
    assert len(_page("?page_size=50")["results"]) == 50
    assert len(_page("?page_size=100000")["results"]) == 100  # capped
    last = _page("?page=3&page_size=100")
    assert (last["results"][0], last["next"]) == (200, None)


def test_a_page_past_the_end_is_a_404_in_the_error_shape():
    with pytest.raises(exceptions.NotFound) as caught:
        _page("?page=99")
    response = api_exception_handler(caught.value, {})
    assert response.status_code == 404 and response.data["code"] == "not_found"
    assert set(response.data) == {"status", "code", "message", "fields"}


@pytest.mark.parametrize("query", ["?page=", "?page=0", "?page=last", "?page_size=null",
                                   "?page_size=-5", "?page=1.5"])
def test_a_page_or_size_that_is_not_a_whole_number_from_1_is_refused(query):
    with pytest.raises(exceptions.ValidationError) as caught:
        _page(query)
    response = api_exception_handler(caught.value, {})
    assert response.status_code == 400 and response.data["code"] == "invalid"
    assert list(response.data["fields"]) == [query[1:].split("=")[0]]
