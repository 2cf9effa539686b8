"""Lists page by page, one size everywhere (settings.PAGE_SIZE)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.http import HttpRequest


def page_of(request: HttpRequest, items: Any) -> Page:
    """The page of `items` (a queryset or a sequence) the request asks for (`?page=`); the last page when
    the number is past the end, the first when it is not a number."""
    return Paginator(items, settings.PAGE_SIZE).get_page(request.GET.get("page"))
