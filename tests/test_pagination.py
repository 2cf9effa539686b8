"""One page size for every list (settings.PAGE_SIZE, accounts.pagination.page_of)."""

from django.test import RequestFactory

from accounts.pagination import page_of


def test_page_of_uses_the_one_setting(settings):
    assert settings.PAGE_SIZE == 25
    settings.PAGE_SIZE = 2
    items = list(range(5))
    assert list(page_of(RequestFactory().get("/"), items)) == [0, 1]
    assert list(page_of(RequestFactory().get("/?page=2"), items)) == [2, 3]
    assert list(page_of(RequestFactory().get("/?page=99"), items)) == [4]
    assert list(page_of(RequestFactory().get("/?page=x"), items)) == [0, 1]
