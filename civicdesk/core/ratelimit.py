"""Rate limits: fixed-window request counters in the database (docs/decisions/0023).

    wait = check_rate(request, group="portal-submit", key=ip_key(request),
                      rate=settings.CIVICDESK_RATE_PORTAL_SUBMIT_IP)
    if wait is not None:
        return with_retry_after(render(request, "...", status=429), wait)

A window opens at a bucket's first request and lasts the rate's period; the request that goes
over the limit, and every one after it until the window ends, is refused with the seconds left.
One SQL statement (INSERT ... ON CONFLICT DO UPDATE ... RETURNING, SQLite 3.35+ and
PostgreSQL) counts and reads every limit of a request, so counts are exact across any number of
web processes and machines sharing the database. Call it outside `transaction.atomic()`: in an
atomic block a rollback would undo the count, and on PostgreSQL the row stays locked until
the block ends.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import salted_hmac
from django.utils.translation import ngettext

from civicdesk.core.models import RateCounter

logger = logging.getLogger(__name__)

RATE_PATTERN = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# IPv6 hands each subscriber a /64: counting single addresses would let one client rotate.
IPV6_PREFIX = 64
UNKNOWN_CLIENT = "unknown"


@dataclass(frozen=True)
class Rate:
    limit: int
    seconds: int


@dataclass(frozen=True)
class Limit:
    """One counter a request goes through: e.g. Limit("open311-ip", ip_key(request), "300/h")."""

    group: str
    key: str
    rate: str


@lru_cache(maxsize=64)
def parse_rate(rate: str) -> Rate:
    """A rate: 60/h is 60 requests an hour, 5/10m is 5 every ten minutes (units s, m, h, d)."""
    match = RATE_PATTERN.match(rate)
    if match is None or int(match[1]) < 1 or match[2] == "0":
        raise ValueError(f"A rate looks like 60/h or 5/10m (at least 1 request), got {rate!r}")
    return Rate(int(match[1]), int(match[2] or 1) * UNIT_SECONDS[match[3]])


# --- counting --------------------------------------------------------------------------------


def check_rate(request: HttpRequest, *, group: str, key: str, rate: str) -> int | None:
    """Counts this request for (group, key). None when allowed; otherwise the whole seconds
    until the window ends (1 to the rate's period), for Retry-After."""
    return check_rates(request, [Limit(group, key, rate)])


def check_rates(request: HttpRequest, limits: Sequence[Limit]) -> int | None:
    """Counts this request against every limit at once (one query). None when all allow it;
    otherwise the longest wait among those it exceeds. A limit with an empty key is skipped."""
    if not settings.CIVICDESK_RATELIMIT_ENABLED:
        return None
    now = int(time.time())
    rows = _rows(limits)
    if not rows:
        return None
    rates = {bucket: (group, rate) for bucket, group, rate in rows}
    refused = [
        (group, hits - rate.limit, expires_at - now)
        for bucket, hits, expires_at in _count(rows, now)
        for group, rate in [rates[bucket]]
        if hits > rate.limit
    ]
    if not refused:
        return None
    for group, over, wait in refused:
        if over == 1:  # once per window, not once per refused request: a flood stays one line
            logger.info("rate limit %s reached by %s (%s s left)", group, client_ip(request), wait)
    return max(1, *(wait for _group, _over, wait in refused))


def _rows(limits: Sequence[Limit]) -> list[tuple[str, str, Rate]]:
    # One row per bucket (PostgreSQL refuses to update a row twice in one statement), sorted
    # so that concurrent statements lock rows in the same order and cannot deadlock.
    rows = {
        _bucket(limit.group, limit.key): (limit.group, parse_rate(limit.rate))
        for limit in limits
        if limit.key
    }
    return [(bucket, group, rate) for bucket, (group, rate) in sorted(rows.items())]


def _bucket(group: str, key: str) -> str:
    return salted_hmac("civicdesk.ratelimit", f"{group}\n{key}", algorithm="sha256").hexdigest()


def _count(rows: list[tuple[str, str, Rate]], now: int) -> list[tuple[str, int, int]]:
    """Adds one hit to each bucket, opening a new window where the old one has ended."""
    table = connection.ops.quote_name(RateCounter._meta.db_table)
    values = ", ".join(["(%s, %s, 1, %s)"] * len(rows))
    # Identifiers come from the model, values are parameters: nothing from the request is
    # formatted into the statement. SET expressions read the row as it was before the update.
    sql = (
        f"INSERT INTO {table} (bucket, group_name, hits, expires_at) VALUES {values} "  # noqa: S608
        "ON CONFLICT (bucket) DO UPDATE SET "
        f"hits = CASE WHEN {table}.expires_at <= %s THEN 1 ELSE {table}.hits + 1 END, "
        f"expires_at = CASE WHEN {table}.expires_at <= %s "
        f"THEN excluded.expires_at ELSE {table}.expires_at END "
        "RETURNING bucket, hits, expires_at"
    )
    params: list[str | int] = []
    for bucket, group, rate in rows:
        params += [bucket, group[:50], now + rate.seconds]
    params += [now, now]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(str(bucket), int(hits), int(ends)) for bucket, hits, ends in cursor.fetchall()]


def purge_expired(*, now: int | None = None) -> int:
    """Deletes the counters whose window has ended; returns how many."""
    moment = int(time.time()) if now is None else now
    deleted, _by_model = RateCounter.objects.filter(expires_at__lte=moment).delete()
    return deleted


# --- who is asking ---------------------------------------------------------------------------


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or, when that peer is a trusted proxy
    (CIVICDESK_TRUSTED_PROXIES), the nearest X-Forwarded-For hop that is not one."""
    address = _address(request.META.get("REMOTE_ADDR", ""))
    if address is None:
        return UNKNOWN_CLIENT
    if not _trusted(address):
        return str(address)
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
    # Proxies append: the right end is what our own proxies saw, the left end is client-written.
    for hop in reversed([part.strip() for part in forwarded.split(",") if part.strip()]):
        hop_address = _address(hop)
        if hop_address is None:
            break  # garbage: keep the last address a trusted proxy vouched for
        address = hop_address
        if not _trusted(address):
            break
    return str(address)


def ip_key(request: HttpRequest) -> str:
    """The key to count a client by: its IPv4 address, or its IPv6 /64 network."""
    ip = client_ip(request)
    address = _address(ip)
    if address is None or address.version == 4:
        return ip
    return str(ipaddress.ip_network(f"{address}/{IPV6_PREFIX}", strict=False))


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def _address(text: str) -> IPAddress | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    # An IPv4 client seen through an IPv6 socket is still that IPv4 client.
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped if mapped is not None else address


def _trusted(address: IPAddress) -> bool:
    return any(address in network for network in _proxy_networks(tuple(_proxy_setting())))


def _proxy_setting() -> list[str]:
    return list(settings.CIVICDESK_TRUSTED_PROXIES)


@lru_cache(maxsize=8)
def _proxy_networks(entries: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


# --- answers ---------------------------------------------------------------------------------


def with_retry_after(response: HttpResponse, seconds: int) -> HttpResponse:
    """Makes `response` a 429 telling the client when to come back."""
    response.status_code = 429
    response["Retry-After"] = str(max(1, math.ceil(seconds)))  # whole seconds, never 0
    return response


def retry_message(seconds: int) -> str:
    return ngettext(
        "Too many requests: try again in {n} second.",
        "Too many requests: try again in {n} seconds.",
        seconds,
    ).format(n=seconds)


def too_many_requests(seconds: int) -> HttpResponse:
    """A plain-text 429 in the active language, for callers with no page of their own."""
    response = HttpResponse(retry_message(seconds), content_type="text/plain; charset=utf-8")
    return with_retry_after(response, seconds)
