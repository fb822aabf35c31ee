import pytest
from django.http import Http404
from django.test import RequestFactory

from django_resque.admin_views.pagination import RedisRange, page_links, paginate


def fetcher(calls):
    def fetch(offset, count):
        calls.append((offset, count))
        return list(range(offset, offset + count))

    return fetch


def test_only_the_requested_page_is_fetched():
    calls = []
    page = paginate(RequestFactory().get("/", {"page": "4"}), 100, fetcher(calls), per_page=10)
    assert list(page.object_list) == list(range(30, 40))
    assert calls == [(30, 10)]
    assert page.start_index() == 31


def test_last_page_is_short_and_empty_list_has_one_empty_page():
    assert list(paginate(RequestFactory().get("/", {"page": "3"}), 25, fetcher([]), per_page=10)) == [
        20,
        21,
        22,
        23,
        24,
    ]
    calls = []
    page = paginate(RequestFactory().get("/"), 0, fetcher(calls))
    assert list(page) == [] and calls == []


@pytest.mark.parametrize("value", ["abc", "0", "5", "", "1e3"])
def test_bad_pages_are_404(value):
    with pytest.raises(Http404):
        paginate(RequestFactory().get("/", {"page": value}), 30, fetcher([]), per_page=10)


def test_a_list_that_shrank_between_count_and_fetch_gives_a_short_page():
    page = paginate(RequestFactory().get("/"), 10, lambda offset, count: [1, 2])
    assert list(page) == [1, 2]


def test_redis_range_refuses_indexing_and_steps():
    with pytest.raises(TypeError):
        RedisRange(10, fetcher([]))[3]
    with pytest.raises(TypeError):
        RedisRange(10, fetcher([]))[0:5:2]


def test_page_links_elide_the_middle():
    page = paginate(RequestFactory().get("/", {"page": "50"}), 1000, fetcher([]), per_page=10)
    links = page_links(page)
    assert links[:2] == [1, "…"] and 50 in links and links[-1] == 100
