"""Rate limits (civicdesk.core.ratelimit) and their use on Open311: 429 with an honest
Retry-After in the standard's error format, counters per address and per api_key, windows that
end, X-Forwarded-For only from trusted proxies, counts shared by concurrent connections."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import xml.etree.ElementTree as ET
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from civicdesk.cases.models import Case
from civicdesk.core.models import RateCounter
from civicdesk.core.ratelimit import (
    Limit,
    check_rate,
    check_rates,
    client_ip,
    ip_key,
    parse_rate,
    purge_expired,
    too_many_requests,
)
from civicdesk.open311.services import api_client_issue
from tests.conftest import World

BASE = "/open311/v2"
START = dt.datetime(2026, 5, 6, 9, 0, 0, tzinfo=dt.UTC)
NEARLY_ALL = "1000/h"


def get(path: str, ip: str = "10.0.0.1", **params: str) -> Any:
    return Client().get(f"{BASE}/{path}", params, REMOTE_ADDR=ip)


def retry_after(response: Any) -> int:
    assert response.status_code == 429, response.content.decode()
    return int(response["Retry-After"])


def json_errors(response: Any) -> list[dict[str, Any]]:
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return list(json.loads(response.content))


@pytest.fixture
def rates(settings: Any) -> Any:
    """Generous defaults; each test tightens the limit it is about."""
    settings.CIVICDESK_RATELIMIT_ENABLED = True
    settings.CIVICDESK_TRUSTED_PROXIES = []
    settings.CIVICDESK_RATE_OPEN311_IP = NEARLY_ALL
    settings.CIVICDESK_RATE_OPEN311_KEY = NEARLY_ALL
    settings.CIVICDESK_RATE_OPEN311_POST_KEY = NEARLY_ALL
    return settings


# --- rates -----------------------------------------------------------------------------------


def test_rates_read_requests_per_period() -> None:
    assert parse_rate("60/h") == (parse_rate("60/1h")) == parse_rate(" 60 / h ")
    assert (parse_rate("60/h").limit, parse_rate("60/h").seconds) == (60, 3600)
    assert parse_rate("5/10m").seconds == 600
    assert parse_rate("1000/d").seconds == 86400
    for wrong in ("", "60", "60/w", "0/h", "5/0m", "-1/h", "a/h"):
        with pytest.raises(ValueError, match="60/h"):
            parse_rate(wrong)


# --- Open311 per address ---------------------------------------------------------------------


@pytest.mark.django_db
def test_the_request_past_the_limit_gets_429_in_json_with_retry_after(rates: Any) -> None:
    rates.CIVICDESK_RATE_OPEN311_IP = "3/m"
    with time_machine.travel(START, tick=False):
        for _ in range(3):
            assert get("services.json").status_code == 200
        refused = get("services.json", locale="en")
    assert 1 <= retry_after(refused) <= 60
    assert json_errors(refused) == [
        {"code": 429, "description": "Too many requests: try again in 60 seconds."}
    ]


@pytest.mark.django_db
def test_429_in_xml_and_on_every_endpoint(rates: Any) -> None:
    rates.CIVICDESK_RATE_OPEN311_IP = "2/m"
    with time_machine.travel(START, tick=False) as clock:
        assert get("discovery.xml").status_code == 200
        clock.shift(15)
        assert get("no/such/thing.xml").status_code == 404
        refused = get("requests.xml", locale="en")
        assert get("services/REQ-WAGE.json").status_code == 429
        assert get("no/such/thing.json").status_code == 429
    # The window opened at the first request: 15 of its 60 seconds are gone.
    assert retry_after(refused) == 45
    assert refused["Content-Type"] == "text/xml; charset=utf-8"
    tree = ET.fromstring(refused.content)  # noqa: S314  (our own answer)
    assert tree.tag == "errors"
    assert tree.findtext("error/code") == "429"
    assert tree.findtext("error/description") == "Too many requests: try again in 45 seconds."


@pytest.mark.django_db
def test_another_address_is_not_affected(rates: Any) -> None:
    rates.CIVICDESK_RATE_OPEN311_IP = "1/h"
    assert get("services.json", ip="10.0.0.1").status_code == 200
    assert get("services.json", ip="10.0.0.1").status_code == 429
    assert get("services.json", ip="10.0.0.2").status_code == 200


@pytest.mark.django_db
def test_after_the_window_the_address_is_allowed_again(rates: Any) -> None:
    rates.CIVICDESK_RATE_OPEN311_IP = "2/h"
    with time_machine.travel(START, tick=False) as clock:
        get("services.json")
        get("services.json")
        clock.shift(dt.timedelta(minutes=59, seconds=59))
        assert retry_after(get("services.json")) == 1
        clock.shift(1)
        assert get("services.json").status_code == 200
        assert get("services.json").status_code == 200
        assert retry_after(get("services.json")) == 3600


# --- Open311 per api_key ---------------------------------------------------------------------


@pytest.fixture
def keys(world: World) -> tuple[str, str]:
    _first, first_key = api_client_issue(name="City app", area_code=world.county.code)
    _second, second_key = api_client_issue(name="Town app", area_code=world.county.code)
    return first_key, second_key


@pytest.mark.django_db
def test_reads_that_send_a_key_count_per_key_from_any_address(
    rates: Any, keys: tuple[str, str]
) -> None:
    rates.CIVICDESK_RATE_OPEN311_KEY = "2/m"
    first, second = keys
    assert get("services.json", ip="10.0.0.1", api_key=first).status_code == 200
    assert get("services.json", ip="10.0.0.2", api_key=first).status_code == 200
    assert 1 <= retry_after(get("services.json", ip="10.0.0.3", api_key=first)) <= 60
    assert get("services.json", ip="10.0.0.3", api_key=second).status_code == 200
    assert get("services.json", ip="10.0.0.3").status_code == 200  # no key: per address only


def post(key: str, ip: str = "10.0.0.1", fmt: str = "json") -> Any:
    form = {
        "api_key": key,
        "service_code": "REQ-WAGE",
        "description": "小区门口路灯坏了一个月",
        "address_string": "幸福路 1 号",
        "first_name": "三",
        "last_name": "张",
        "phone": "13812345678",
    }
    return Client().post(f"{BASE}/requests.{fmt}?locale=en", form, REMOTE_ADDR=ip)


@pytest.mark.django_db
def test_posts_have_their_own_limit_per_key_and_a_refused_post_writes_nothing(
    rates: Any, keys: tuple[str, str]
) -> None:
    rates.CIVICDESK_RATE_OPEN311_POST_KEY = "1/h"
    first, second = keys
    with time_machine.travel(START, tick=False) as clock:
        accepted = post(first)
        assert accepted.status_code == 200, accepted.content.decode()
        cases = Case.objects.count()
        clock.shift(600)
        refused = post(first, ip="10.0.0.9", fmt="xml")
        assert retry_after(refused) == 3000
        assert Case.objects.count() == cases
        # Reads with the same key, and posts with another key, go on.
        assert get("services.json", api_key=first).status_code == 200
        assert post(second).status_code == 200
        clock.shift(3000)
        assert post(first).status_code == 200


@pytest.mark.django_db
def test_an_unknown_key_is_counted_and_still_refused_with_403(rates: Any) -> None:
    rates.CIVICDESK_RATE_OPEN311_KEY = "1/m"
    assert get("services.json", api_key="made-up").status_code == 403
    assert get("services.json", api_key="made-up").status_code == 429


# --- who the client is -----------------------------------------------------------------------


def request_from(peer: str, forwarded: str | None = None) -> Any:
    extra = {"REMOTE_ADDR": peer}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_x_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(settings: Any) -> None:
    settings.CIVICDESK_TRUSTED_PROXIES = []
    assert client_ip(request_from("203.0.113.7", "198.51.100.1")) == "203.0.113.7"
    settings.CIVICDESK_TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip(request_from("203.0.113.7", "198.51.100.1")) == "203.0.113.7"
    assert client_ip(request_from("10.0.0.5", "198.51.100.1")) == "198.51.100.1"
    # A client-written left part is not believed: the nearest hop our proxies did not add is.
    assert client_ip(request_from("10.0.0.5", "1.2.3.4, 198.51.100.1, 10.1.1.1")) == (
        "198.51.100.1"
    )
    assert client_ip(request_from("10.0.0.5", "not-an-address")) == "10.0.0.5"
    assert client_ip(request_from("10.0.0.5", "")) == "10.0.0.5"
    assert client_ip(request_from("")) == "unknown"


def test_ipv6_clients_are_counted_per_64_network() -> None:
    assert ip_key(request_from("2001:db8:1:2::1")) == "2001:db8:1:2::/64"
    assert ip_key(request_from("2001:db8:1:2:ffff::9")) == "2001:db8:1:2::/64"
    assert ip_key(request_from("::ffff:198.51.100.1")) == "198.51.100.1"
    assert client_ip(request_from("2001:db8:1:2::1")) == "2001:db8:1:2::1"


@pytest.mark.django_db
def test_open311_counts_the_forwarded_client_only_behind_a_trusted_proxy(rates: Any) -> None:
    rates.CIVICDESK_RATE_OPEN311_IP = "1/h"

    def from_proxy(client: str) -> int:
        response = Client().get(
            f"{BASE}/services.json", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR=client
        )
        return int(response.status_code)

    # Untrusted: a made-up header does not buy a fresh counter.
    assert [from_proxy("198.51.100.1"), from_proxy("198.51.100.2")] == [200, 429]
    rates.CIVICDESK_TRUSTED_PROXIES = ["10.0.0.5"]
    assert [from_proxy("198.51.100.1"), from_proxy("198.51.100.2")] == [200, 200]
    assert from_proxy("198.51.100.1") == 429


# --- the counter itself ----------------------------------------------------------------------


@pytest.mark.django_db
def test_all_limits_of_a_request_take_one_query_and_the_longest_wait_wins(rf: Any) -> None:
    request = rf.get("/")
    limits = [Limit("a", "k", "1/m"), Limit("b", "k", "1/h"), Limit("c", "", "1/s")]
    with time_machine.travel(START, tick=False):
        with CaptureQueriesContext(connection) as queries:
            assert check_rates(request, limits) is None
        assert len(queries) == 1
        assert check_rates(request, limits) == 3600
        assert check_rate(request, group="a", key="other", rate="1/m") is None
    assert set(RateCounter.objects.values_list("group_name", flat=True)) == {"a", "b"}


@pytest.mark.django_db
def test_reaching_a_limit_is_logged_once_per_window(rf: Any, caplog: Any) -> None:
    request = rf.get("/", REMOTE_ADDR="198.51.100.7")
    with caplog.at_level(logging.INFO, logger="civicdesk.core.ratelimit"):
        for _ in range(5):
            check_rate(request, group="portal-submit", key="198.51.100.7", rate="2/h")
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 1
    assert "portal-submit" in lines[0]
    assert "198.51.100.7" in lines[0]


@pytest.mark.django_db
def test_no_address_or_key_is_stored_in_clear(rf: Any) -> None:
    check_rate(rf.get("/"), group="portal-track", key="13812345678", rate="5/m")
    counter = RateCounter.objects.get()
    assert counter.group_name == "portal-track"
    assert "13812345678" not in counter.bucket
    assert len(counter.bucket) == 64


@pytest.mark.django_db
def test_disabled_limits_count_nothing(rf: Any, settings: Any) -> None:
    settings.CIVICDESK_RATELIMIT_ENABLED = False
    with CaptureQueriesContext(connection) as queries:
        for _ in range(3):
            assert check_rate(rf.get("/"), group="g", key="k", rate="1/h") is None
    assert len(queries) == 0


@pytest.mark.django_db
def test_purge_deletes_only_ended_windows(rf: Any) -> None:
    with time_machine.travel(START, tick=False) as clock:
        check_rate(rf.get("/"), group="short", key="k", rate="1/m")
        check_rate(rf.get("/"), group="long", key="k", rate="1/h")
        clock.shift(60)
        assert purge_expired() == 1
    assert list(RateCounter.objects.values_list("group_name", flat=True)) == ["long"]


def test_the_plain_429_carries_retry_after() -> None:
    response = too_many_requests(7)
    assert response.status_code == 429
    assert response["Retry-After"] == "7"


@pytest.mark.django_db(transaction=True)
def test_concurrent_connections_share_one_exact_count(settings: Any) -> None:
    """Threads stand for gunicorn workers: each has its own database connection, like separate
    processes or machines. A read-then-write counter (Django's database cache) would let more
    through; the single-statement upsert lets exactly the limit through."""
    settings.CIVICDESK_RATELIMIT_ENABLED = True
    workers, calls, limit = 6, 8, 20
    allowed: list[bool] = []
    lock = threading.Lock()
    start = threading.Barrier(workers)

    def work() -> None:
        request = RequestFactory().get("/")
        try:
            start.wait()
            for _ in range(calls):
                wait = check_rate(request, group="shared", key="k", rate=f"{limit}/h")
                with lock:
                    allowed.append(wait is None)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(allowed) == workers * calls
    assert allowed.count(True) == limit
    assert RateCounter.objects.get(group_name="shared").hits == workers * calls
