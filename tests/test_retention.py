"""Retention of parties' personal data: the rules, the dry run, the purge (civicdesk.privacy)."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db.models import Count
from django.test import Client
from django.utils import translation

from civicdesk.cases.attachments import attachment_add
from civicdesk.cases.choices import EventKind
from civicdesk.cases.integrity import verify_event_chains
from civicdesk.cases.models import Attachment, Case, CaseClock, CaseEvent, CaseParty
from civicdesk.core.scheduler import periodic_jobs
from civicdesk.notifications.models import OutboxMessage
from civicdesk.organization.models import User
from civicdesk.portal.guard import code_key
from civicdesk.portal.models import TrackingGuard
from civicdesk.privacy.models import PurgedCase, PurgeRun, RetentionRule
from civicdesk.privacy.selectors import cases_due_for_purge, retention_cutoff
from civicdesk.privacy.services import auto_purge, neutral_label, purge_personal_data
from tests.conftest import World, local
from tests.helpers import act_ok, create_case, drive_to, tiny_png

NOW = local(2026, 11, 20, 9)
PARTIES = [
    {
        "role": "requester",
        "name": "张三",
        "phone": "13812345678",
        "id_number": "110101199003071233",
    },
    {"role": "respondent", "name": "李四", "phone": "13987654321"},
]


@pytest.fixture
def media(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def _closed(world: World, at: dt.datetime, **create: Any) -> int:
    with time_machine.travel(at, tick=False):
        return drive_to(world, "closed", parties=PARTIES, **create)


@pytest.fixture
def aged(world: World, media: Any) -> dict[str, int]:
    """Cases of several types and ages; the retention defaults are the migration's."""
    cases = {
        # Requests are kept 2 years: one closed 4 years ago is due, one closed last year not.
        "old_request": _closed(world, local(2022, 6, 1, 10)),
        "recent_request": _closed(world, local(2025, 6, 1, 10)),
        # Petitions are kept 10 years.
        "old_petition": _closed(world, local(2020, 3, 2, 10), type="petition", category="PET"),
        # Hazards 3 years, photos kept.
        "old_hazard": _closed(
            world, local(2021, 5, 6, 10), type="hazard", category="HAZ-FIRE"
        ),
    }
    with time_machine.travel(local(2020, 4, 1, 10), tick=False):
        cases["open_request"] = create_case(world, parties=PARTIES)["id"]
        cases["not_accepted_complaint"] = drive_to(
            world, "not_accepted", type="complaint", category="CMP-NOISE", parties=PARTIES
        )
        clerk = world.users["clerk"]
        for key in ("old_request", "old_hazard", "recent_request"):
            upload = SimpleUploadedFile("身份证.png", tiny_png(), content_type="image/png")
            attachment_add(actor=clerk, case_id=cases[key], upload=upload)
    old_code = Case.objects.get(pk=cases["old_request"]).receipt_code
    TrackingGuard.objects.create(
        key=code_key(old_code), failures=2, window_started_at=NOW, last_failed_at=NOW
    )
    return cases


DUE = {"old_request", "old_hazard", "not_accepted_complaint"}


def _parties(case_id: int) -> list[tuple[str, str, str, str, str]]:
    return [
        (p.name, p.phone, p.email, p.id_number, p.organization)
        for p in CaseParty.objects.filter(case_id=case_id).order_by("id")
    ]


def _label(number: int) -> str:
    # Labels are written in the centre's language (当事人1 in zh-Hans), never the party's name.
    with translation.override(settings.LANGUAGE_CODE):
        return neutral_label(number)


def _statistics() -> Any:
    cases = Case.objects.order_by()
    return (
        sorted(cases.values_list("type", "area_id", "status", "department_id", "category_id")
               .annotate(n=Count("id"))),
        sorted(cases.values_list("pk", "received_at", "closed_at", "satisfaction", "version")),
        sorted(CaseClock.objects.values_list("case_id", "kind", "state", "due_at")),
        Counter(CaseParty.objects.values_list("case_id", "role", "kind")),
    )


def test_due_cases_follow_each_types_rule(aged: dict[str, int]) -> None:
    due = set(cases_due_for_purge(NOW).values_list("pk", flat=True))
    assert due == {aged[key] for key in DUE}


def test_a_type_without_a_rule_is_kept(aged: dict[str, int]) -> None:
    RetentionRule.objects.filter(case_type="hazard").delete()
    due = set(cases_due_for_purge(NOW).values_list("pk", flat=True))
    assert aged["old_hazard"] not in due and aged["old_request"] in due


def test_a_shorter_rule_makes_more_cases_due(aged: dict[str, int]) -> None:
    RetentionRule.objects.filter(case_type="petition").update(length=5)
    assert cases_due_for_purge(NOW).filter(pk=aged["old_petition"]).exists()


def test_month_arithmetic_clamps_to_the_end_of_month() -> None:
    assert retention_cutoff(local(2025, 3, 31, 12), 1) == local(2025, 2, 28, 12)
    assert retention_cutoff(local(2026, 1, 15, 8), 24) == local(2024, 1, 15, 8)


def test_dry_run_changes_nothing_and_counts_right(aged: dict[str, int]) -> None:
    before = {key: _parties(pk) for key, pk in aged.items()}
    events = CaseEvent.objects.count()
    messages = list(OutboxMessage.objects.values_list("pk", "recipient", "body"))
    run = purge_personal_data(now=NOW, dry_run=True)
    assert {key: _parties(pk) for key, pk in aged.items()} == before
    assert CaseEvent.objects.count() == events
    assert list(OutboxMessage.objects.values_list("pk", "recipient", "body")) == messages
    assert Attachment.objects.count() == 3 and TrackingGuard.objects.count() == 1
    assert not PurgedCase.objects.exists()
    assert run.dry_run and run.cases == 3 and run.parties == 6
    assert set(run.per_type) == {"request", "hazard", "complaint"}
    request = run.per_type["request"]
    assert (request["cases"], request["parties"], request["months"]) == (1, 2, 24)
    assert request["oldest_end"].startswith("2022-06-01")
    assert request["attachments"] == 1 and run.per_type["hazard"]["attachments"] == 0
    assert request["free_text"] == 0


def test_dry_run_counts_free_text_that_names_a_party(aged: dict[str, int]) -> None:
    Case.objects.filter(pk=aged["old_hazard"]).update(description="张三家楼道堆放杂物")
    run = purge_personal_data(now=NOW, dry_run=True)
    assert run.per_type["hazard"]["free_text"] == 1


def test_apply_anonymises_exactly_the_due_cases(
    aged: dict[str, int], media: Any, django_capture_on_commit_callbacks: Any
) -> None:
    kept = {key: _parties(pk) for key, pk in aged.items() if key not in DUE}
    statistics = _statistics()
    request_file = Attachment.objects.get(case_id=aged["old_request"]).file.name
    with django_capture_on_commit_callbacks(execute=True):
        run = purge_personal_data(now=NOW, dry_run=False)
    assert not run.dry_run and run.cases == 3 and run.parties == 6
    for key in DUE:
        assert _parties(aged[key]) == [(_label(1), "", "", "", ""), (_label(2), "", "", "", "")]
    assert {key: _parties(aged[key]) for key in kept} == kept
    assert _statistics() == statistics
    # Files: the request's (possibly an ID card) deleted, the hazard's photo kept.
    assert not Attachment.objects.filter(case_id=aged["old_request"]).exists()
    assert Attachment.objects.filter(case_id=aged["old_hazard"]).count() == 1
    assert Attachment.objects.filter(case_id=aged["recent_request"]).count() == 1
    hazard_file = Attachment.objects.get(case_id=aged["old_hazard"]).file.name
    assert not (media / request_file).exists() and (media / hazard_file).exists()
    assert not TrackingGuard.objects.exists()


def test_apply_deletes_a_file_no_other_case_holds(
    aged: dict[str, int], media: Any, django_capture_on_commit_callbacks: Any
) -> None:
    Attachment.objects.exclude(case_id=aged["old_request"]).delete()
    name = Attachment.objects.get(case_id=aged["old_request"]).file.name
    assert (media / name).exists()
    with django_capture_on_commit_callbacks(execute=True):
        purge_personal_data(now=NOW, dry_run=False)
    assert not (media / name).exists()


def test_messages_lose_recipient_and_text(aged: dict[str, int]) -> None:
    case_id = aged["old_request"]
    assert OutboxMessage.objects.filter(case_id=case_id).exists()
    purge_personal_data(now=NOW, dry_run=False)
    for message in OutboxMessage.objects.filter(case_id=case_id):
        assert "138" not in message.recipient and "张三" not in message.body
        assert message.recipient == _label(1) or message.recipient.startswith("#")
    untouched = OutboxMessage.objects.filter(case_id=aged["recent_request"])
    assert any("138" in message.recipient for message in untouched)


def test_event_written_and_chain_still_verifies(aged: dict[str, int]) -> None:
    purge_personal_data(now=NOW, dry_run=False)
    for key in DUE:
        event = CaseEvent.objects.filter(case_id=aged[key]).order_by("-id").first()
        assert event is not None and event.kind == EventKind.PERSONAL_DATA_PURGED
        assert event.params["parties_anonymised"] == 2 and event.actor is None
        assert event.from_status == event.to_status == Case.objects.get(pk=aged[key]).status
    assert verify_event_chains().ok


def test_rerun_is_a_no_op(aged: dict[str, int]) -> None:
    purge_personal_data(now=NOW, dry_run=False)
    events = CaseEvent.objects.count()
    parties = sorted(CaseParty.objects.values_list("pk", "name"))
    again = purge_personal_data(now=NOW, dry_run=False)
    assert again.cases == 0 and again.per_type == {}
    assert CaseEvent.objects.count() == events
    assert sorted(CaseParty.objects.values_list("pk", "name")) == parties
    assert not cases_due_for_purge(NOW).exists()


def test_an_interrupted_run_keeps_what_it_did(aged: dict[str, int], monkeypatch: Any) -> None:
    from civicdesk.privacy import services

    real = services._purge_case
    calls = {"n": 0}

    def failing_second(**kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("worker killed")
        return real(**kwargs)

    monkeypatch.setattr(services, "_purge_case", failing_second)
    with pytest.raises(RuntimeError):
        purge_personal_data(now=NOW, dry_run=False)
    assert PurgedCase.objects.count() == 1
    monkeypatch.setattr(services, "_purge_case", real)
    rest = purge_personal_data(now=NOW, dry_run=False)
    assert rest.cases == 2 and PurgedCase.objects.count() == 3
    assert verify_event_chains().ok


def test_a_merged_duplicate_waits_for_its_master(world: World) -> None:
    with time_machine.travel(local(2021, 1, 4, 10), tick=False):
        duplicate = drive_to(world, "merged", parties=PARTIES)
    master = Case.objects.get(pk=duplicate).merged_into
    assert master is not None
    assert not cases_due_for_purge(NOW).filter(pk=duplicate).exists()
    with time_machine.travel(local(2021, 2, 1, 10), tick=False):
        for action in ["accept", "dispatch", "sign", "report", "reply", "follow_up", "close"]:
            act_ok(world, master.pk, action)
    assert set(cases_due_for_purge(NOW).values_list("pk", flat=True)) == {duplicate, master.pk}


def test_the_case_page_says_what_happened(aged: dict[str, int]) -> None:
    purge_personal_data(now=NOW, dry_run=False)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(User.objects.get(username="dispatcher"))
    page = client.get(f"/cases/{aged['old_request']}/")
    assert page.status_code == 200
    assert "Personal data removed (retention)" in page.content.decode()
    assert "张三" not in page.content.decode()


def test_command_is_a_dry_run_by_default(aged: dict[str, int]) -> None:
    out = StringIO()
    with translation.override("en"):
        call_command("purge_personal_data", "--as-of", "2026-11-20", stdout=out)
    text = out.getvalue()
    assert "Dry run" in text and "Total: 3 cases, 6 parties." in text
    assert re.search(r"Request \(kept 24 months\): 1 cases, 2 parties, oldest ended 2022-06-01",
                     text)
    assert not PurgedCase.objects.exists()
    run = PurgeRun.objects.get()
    assert run.dry_run and run.source.startswith("command")


def test_command_applies_when_asked(aged: dict[str, int]) -> None:
    out = StringIO()
    call_command("purge_personal_data", "--apply", "--as-of", "2026-11-20", stdout=out)
    assert set(PurgedCase.objects.values_list("case_id", flat=True)) == {aged[k] for k in DUE}


def test_as_of_moves_the_retention(aged: dict[str, int]) -> None:
    call_command("purge_personal_data", "--apply", "--as-of", "2023-01-01", stdout=StringIO())
    assert not PurgedCase.objects.exists()
    # Three years after the complaint was not accepted (April 2020), before the others are due.
    call_command("purge_personal_data", "--apply", "--as-of", "2023-06-01", stdout=StringIO())
    purged = PurgedCase.objects.values_list("case_id", flat=True)
    assert list(purged) == [aged["not_accepted_complaint"]]


def test_daily_job_applies_only_when_turned_on(aged: dict[str, int], settings: Any) -> None:
    assert "purge_personal_data" in {job.name for job in periodic_jobs()}
    assert settings.CIVICDESK_RETENTION_AUTO_PURGE is False
    dry = auto_purge(now=NOW)
    assert dry.dry_run and dry.cases == 3 and not PurgedCase.objects.exists()
    settings.CIVICDESK_RETENTION_AUTO_PURGE = True
    applied = auto_purge(now=NOW)
    assert not applied.dry_run and PurgedCase.objects.count() == 3


@pytest.fixture
def root(world: World) -> User:
    return User.objects.create_superuser("root", password="pw-root", email="")


def test_rule_is_editable_in_the_admin(root: User) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(root)
    rule = RetentionRule.objects.get(case_type="request")
    page = client.get(f"/admin/privacy/retentionrule/{rule.pk}/change/")
    assert page.status_code == 200
    response = client.post(
        f"/admin/privacy/retentionrule/{rule.pk}/change/",
        {"case_type": "request", "length": "18", "unit": "months", "note": "shorter"},
    )
    assert response.status_code == 302, response.content
    rule.refresh_from_db()
    assert (rule.length, rule.unit, rule.months) == (18, "months", 18)
    bad = client.post(
        f"/admin/privacy/retentionrule/{rule.pk}/change/",
        {"case_type": "request", "length": "0", "unit": "months"},
    )
    assert bad.status_code == 200 and "errornote" in bad.content.decode()


def test_purge_runs_are_read_only_in_the_admin(root: User, aged: dict[str, int]) -> None:
    run = purge_personal_data(now=NOW, dry_run=True)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(root)
    assert client.get("/admin/privacy/purgerun/").status_code == 200
    assert client.get(f"/admin/privacy/purgerun/{run.pk}/change/").status_code == 200
    assert client.get("/admin/privacy/purgerun/add/").status_code == 403


def test_the_admin_is_translated(root: User) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(root)
    html = client.get("/admin/privacy/retentionrule/").content.decode()
    assert 'lang="zh-hans"' in html
    assert "个人信息保存期限" in html and "保存规则" in html
