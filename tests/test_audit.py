"""The access log (civicdesk.audit, decision 0027): every read of a case writes one record, a
refused read writes none, auditors alone read and export the log, and nothing in the
application changes or deletes it except the retention purge."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import openpyxl
import pytest
from django.conf import settings
from django.contrib.admin.sites import site
from django.core.management import call_command
from django.db import connection
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from civicdesk.audit.choices import AccessAction, AccessChannel
from civicdesk.audit.models import AccessLogIsAppendOnly, AccessRecord
from civicdesk.audit.services import access_log_purge, record_access
from civicdesk.cases.models import Case
from civicdesk.core.scheduler import periodic_jobs
from tests.conftest import World
from tests.helpers import create_case, drive_to

CLIENT_ADDRESS = "203.0.113.7"
LOG = reverse("audit:log")
EXPORT = reverse("audit:export")


def browser(world: World, username: str, address: str = CLIENT_ADDRESS) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en-GB", REMOTE_ADDR=address)
    client.force_login(world.users[username])
    return client


def api_client(world: World, username: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {world.token(username)}", REMOTE_ADDR=CLIENT_ADDRESS)


def only_record() -> AccessRecord:
    records = list(AccessRecord.objects.all())
    assert len(records) == 1, records
    return records[0]


def assert_one_record(world: World, username: str, action: str, case_id: int | None) -> Any:
    record = only_record()
    assert record.user == world.users[username]
    assert record.case_id == case_id
    assert record.action == action
    assert record.address == CLIENT_ADDRESS
    assert timezone.now() - record.at < dt.timedelta(minutes=1)
    return record


# --- each read writes exactly one record ------------------------------------------------------


def test_case_page_writes_one_record(world: World) -> None:
    case_id = drive_to(world, "accepted")
    response = browser(world, "dispatcher").get(reverse("workbench:case", args=[case_id]))
    assert response.status_code == 200
    record = assert_one_record(world, "dispatcher", AccessAction.VIEW_CASE, case_id)
    assert record.channel == AccessChannel.WEB


def test_api_case_detail_writes_one_record(world: World) -> None:
    case_id = create_case(world)["id"]
    response = api_client(world, "clerk").get(f"/api/v1/cases/{case_id}")
    assert response.status_code == 200
    record = assert_one_record(world, "clerk", AccessAction.VIEW_CASE_API, case_id)
    assert record.channel == AccessChannel.API


def test_api_actions_and_lists_are_not_case_reads(world: World) -> None:
    drive_to(world, "in_progress")  # creates and acts through the API
    assert api_client(world, "clerk").get("/api/v1/cases").status_code == 200
    assert not AccessRecord.objects.exists()


def test_queue_export_writes_one_record_with_its_filters(world: World) -> None:
    create_case(world)
    url = reverse("workbench:queue_export") + "?status=received&type=request&q=&page=2"
    response = browser(world, "clerk").get(url)
    assert response.status_code == 200
    record = assert_one_record(world, "clerk", AccessAction.EXPORT_LIST, None)
    assert record.detail == {
        "filters": {"status": "received", "type": "request"},
        "capped": False,
    }


def test_document_writes_one_record_with_its_kind(world: World) -> None:
    case_id = drive_to(world, "accepted")
    url = f"/documents/case/{case_id}/acceptance_notice/?format=docx"
    assert browser(world, "clerk").get(url).status_code == 200
    record = assert_one_record(world, "clerk", AccessAction.PRINT_DOCUMENT, case_id)
    assert record.detail == {"kind": "acceptance_notice", "format": "docx"}


def test_receipt_writes_one_record(world: World) -> None:
    case_id = create_case(world)["id"]
    url = reverse("workbench:receipt", args=[case_id])
    assert browser(world, "clerk").get(url).status_code == 200
    record = assert_one_record(world, "clerk", AccessAction.PRINT_DOCUMENT, case_id)
    assert record.detail == {"kind": "receipt"}


def test_reads_outside_scope_write_nothing(world: World) -> None:
    case_id = drive_to(world, "accepted")
    town_clerk = browser(world, "town_clerk")  # a clerk of the other township
    for url in [
        reverse("workbench:case", args=[case_id]),
        reverse("workbench:receipt", args=[case_id]),
        f"/documents/case/{case_id}/acceptance_notice/",
        reverse("workbench:case", args=[999_999]),
    ]:
        assert town_clerk.get(url).status_code == 404, url
    assert api_client(world, "other_handler").get(f"/api/v1/cases/{case_id}").status_code == 404
    assert not AccessRecord.objects.exists()


def test_forwarded_address_is_believed_only_from_trusted_proxies(
    world: World, settings: Any
) -> None:
    case_id = create_case(world)["id"]
    url = reverse("workbench:case", args=[case_id])
    settings.CIVICDESK_TRUSTED_PROXIES = ["10.0.0.0/8"]
    browser(world, "clerk", "10.0.0.5").get(url, HTTP_X_FORWARDED_FOR="198.51.100.9")
    browser(world, "clerk", "192.0.2.50").get(url, HTTP_X_FORWARDED_FOR="198.51.100.9")
    addresses = list(AccessRecord.objects.order_by("id").values_list("address", flat=True))
    assert addresses == ["198.51.100.9", "192.0.2.50"]


# --- the auditor's view -----------------------------------------------------------------------


def _record(world: World, username: str, action: str, **fields: Any) -> AccessRecord:
    record = record_access(
        actor=world.users[username],
        action=AccessAction(action),
        address=fields.pop("address", "192.0.2.1"),
        channel=AccessChannel(fields.pop("channel", "web")),
        case_id=fields.pop("case_id", None),
    )
    if "at" in fields:  # back-date behind the application's back, as time passing would
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {AccessRecord._meta.db_table} SET at = %s WHERE id = %s",  # noqa: S608
                [fields["at"], record.pk],
            )
    return record


def shown_records(response: Any) -> list[str]:
    html = response.content.decode()
    return [part.split('"')[0] for part in html.split('data-record="')[1:]]


@pytest.fixture
def logged(world: World) -> dict[str, Any]:
    first = Case.objects.get(pk=create_case(world)["id"])
    second = Case.objects.get(pk=create_case(world, title="另一件事")["id"])
    records = {
        "old": _record(
            world, "clerk", "view_case", case_id=first.pk, at=timezone.now() - dt.timedelta(days=3)
        ),
        "clerk_view": _record(world, "clerk", "view_case", case_id=first.pk),
        "api": _record(
            world,
            "handler",
            "view_case_api",
            case_id=second.pk,
            channel="api",
            address="198.51.100.20",
        ),
        "export": _record(world, "dispatcher", "export_list"),
    }
    return {"records": records, "first": first, "second": second}


def ids(*records: AccessRecord) -> list[str]:
    return [str(record.pk) for record in records]


def test_auditor_sees_every_record_newest_first(world: World, logged: dict[str, Any]) -> None:
    response = browser(world, "auditor").get(LOG)
    assert response.status_code == 200
    r = logged["records"]
    assert shown_records(response) == ids(r["export"], r["api"], r["clerk_view"], r["old"])
    assert logged["first"].receipt_code in response.content.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("user=CLERK", ["clerk_view", "old"]),
        ("action=view_case_api", ["api"]),
        ("address=198.51.", ["api"]),
        ("case={first_id}", ["clerk_view", "old"]),
        ("case={second_code}", ["api"]),
        ("after={three_days_ago}&before={three_days_ago}", ["old"]),
        ("after={today}", ["export", "api", "clerk_view"]),
    ],
)
def test_each_filter(world: World, logged: dict[str, Any], query: str, expected: list[str]) -> None:
    today = timezone.localdate()
    query = query.format(
        first_id=logged["first"].pk,
        second_code=logged["second"].receipt_code.lower(),  # as people type it
        three_days_ago=(today - dt.timedelta(days=3)).isoformat(),
        today=today.isoformat(),
    )
    response = browser(world, "auditor").get(LOG + "?" + query)
    assert shown_records(response) == ids(*(logged["records"][name] for name in expected))


def test_bad_filters_are_shown_beside_their_fields(world: World, logged: dict[str, Any]) -> None:
    response = browser(world, "auditor").get(
        LOG + "?case=not-a-code&after=2026-05-02&before=2026-05-01"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="error-case"' in html and 'id="error-before"' in html
    assert shown_records(response) == []


def test_pages_without_counting(
    world: World, logged: dict[str, Any], settings: Any, django_assert_num_queries: Any
) -> None:
    settings.CIVICDESK_PAGE_SIZE = 2
    client = browser(world, "auditor")
    client.get(LOG)  # session warm-up
    # Session, user, role grants, one page of records (one more row tells of a next page).
    with django_assert_num_queries(4):
        first = client.get(LOG + "?page=1")
    for _ in range(10):
        _record(world, "clerk", "view_case", case_id=logged["first"].pk)
    with django_assert_num_queries(4):
        client.get(LOG + "?page=1")
    second = client.get(LOG + "?page=2")
    html = first.content.decode()
    assert 'id="page-next"' in html and 'id="page-previous"' not in html
    assert 'id="page-previous"' in second.content.decode()
    partial = client.get(LOG + "?page=2", HTTP_HX_REQUEST="true")
    assert partial.content.decode().lstrip().startswith('<div id="audit-results"')


def test_non_auditors_are_refused(world: World, logged: dict[str, Any]) -> None:
    for username in ["clerk", "dispatcher", "leader", "admin"]:
        client = browser(world, username)
        assert client.get(LOG).status_code == 403, username
        assert client.get(EXPORT + "?format=csv").status_code == 403, username
    anonymous = Client().get(LOG)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    assert AccessRecord.objects.filter(action="export_access_log").count() == 0


def test_navigation_shows_the_log_to_auditors_only(world: World) -> None:
    assert (
        f'href="{LOG}"' in browser(world, "auditor").get(reverse("workbench:home")).content.decode()
    )
    assert (
        f'href="{LOG}"'
        not in browser(world, "clerk").get(reverse("workbench:home")).content.decode()
    )


def test_csv_export_holds_the_filtered_records_and_is_recorded(
    world: World, logged: dict[str, Any]
) -> None:
    response = browser(world, "auditor").get(EXPORT + "?user=clerk&format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:4] == ["When", "User name", "Name", "What"]
    assert [row[1] for row in rows[1:]] == ["clerk", "clerk"]
    assert {row[4] for row in rows[1:]} == {logged["first"].receipt_code}
    export = AccessRecord.objects.get(action="export_access_log")
    assert export.user == world.users["auditor"] and export.case_id is None
    assert export.detail == {"filters": {"user": "clerk"}, "format": "csv", "capped": False}
    assert export.address == CLIENT_ADDRESS


def test_xlsx_export_and_its_cap(world: World, logged: dict[str, Any], monkeypatch: Any) -> None:
    from civicdesk.audit import export

    monkeypatch.setattr(export, "EXPORT_LIMIT", 2)
    response = browser(world, "auditor").get(EXPORT + "?format=xlsx")
    assert response.status_code == 200
    assert response["X-Civicdesk-Export-Capped"] == "true"
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert "only the first 2" in str(rows[0][0])
    assert len(rows) == 4  # the notice, the headings, two records


def test_export_cells_cannot_run_formulas(world: World) -> None:
    _record(world, "clerk", "export_list", address="=HYPERLINK(1)")
    response = browser(world, "auditor").get(EXPORT + "?format=csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in text


# --- nothing in the application changes or deletes the log -----------------------------------


def test_a_record_cannot_be_changed_or_deleted(world: World) -> None:
    record = _record(world, "clerk", "export_list")
    record.address = "10.9.9.9"
    with pytest.raises(AccessLogIsAppendOnly):
        record.save()
    with pytest.raises(AccessLogIsAppendOnly):
        record.delete()
    with pytest.raises(AccessLogIsAppendOnly):
        AccessRecord.objects.filter(pk=record.pk).update(address="10.9.9.9")
    with pytest.raises(AccessLogIsAppendOnly):
        AccessRecord.objects.all().delete()
    assert AccessRecord.objects.get().address == "192.0.2.1"


def test_admin_shows_records_but_cannot_add_change_or_delete(world: World) -> None:
    superuser = world.users["admin"]
    superuser.is_staff = superuser.is_superuser = True
    request = RequestFactory().get("/admin/")
    request.user = superuser
    model_admin = site._registry[AccessRecord]
    record = _record(world, "clerk", "export_list")
    assert model_admin.has_view_permission(request, record)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, record)
    assert not model_admin.has_delete_permission(request, record)
    client = Client()
    superuser.save()
    client.force_login(superuser)
    change_url = reverse("admin:audit_accessrecord_change", args=[record.pk])
    client.post(change_url, {"address": "10.9.9.9"})
    client.post(reverse("admin:audit_accessrecord_delete", args=[record.pk]), {"post": "yes"})
    assert AccessRecord.objects.get().address == "192.0.2.1"


def test_a_user_with_records_cannot_be_deleted(world: World) -> None:
    from django.db.models import ProtectedError

    _record(world, "clerk", "export_list")
    with pytest.raises(ProtectedError):
        world.users["clerk"].delete()


# --- retention --------------------------------------------------------------------------------


def test_purge_deletes_only_records_older_than_the_retention(world: World) -> None:
    days = settings.CIVICDESK_ACCESS_LOG_RETENTION_DAYS
    assert days >= 183
    now = timezone.now()
    kept = _record(world, "clerk", "export_list", at=now - dt.timedelta(days=days - 1))
    _record(world, "clerk", "export_list", at=now - dt.timedelta(days=days + 1))
    _record(world, "clerk", "export_list", at=now - dt.timedelta(days=days * 3))
    assert access_log_purge(now=now) == 2
    assert list(AccessRecord.objects.values_list("pk", flat=True)) == [kept.pk]


def test_purge_command_and_daily_job(world: World) -> None:
    days = settings.CIVICDESK_ACCESS_LOG_RETENTION_DAYS
    _record(world, "clerk", "export_list", at=timezone.now() - dt.timedelta(days=days + 1))
    _record(world, "clerk", "export_list")
    out = io.StringIO()
    call_command("purge_access_log", stdout=out)
    assert "Purged 1 access records" in out.getvalue()
    assert AccessRecord.objects.count() == 1
    assert "purge_access_log" in [job.name for job in periodic_jobs()]
