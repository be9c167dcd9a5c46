"""Parties' personal data is encrypted at rest (issue 5 item 1, docs/decisions/0028)."""

from __future__ import annotations

import base64
import io
from typing import Any

import pytest
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from civicdesk.cases import lookups
from civicdesk.cases.models import CaseParty
from civicdesk.core import crypto, crypto_tables
from civicdesk.notifications.models import OutboxMessage
from tests.helpers import create_case

PHONE = "13812345678"
ID_NUMBER = "11010519491231002X"


def key_text(key_id: str, fill: int) -> str:
    return f"{key_id}:{base64.b64encode(bytes([fill]) * 32).decode()}"


K1 = key_text("k1", 1)
K2 = key_text("k2", 2)
INDEX = base64.b64encode(b"\x07" * 32).decode()


def raw_row(table: str, pk: int, *columns: str) -> tuple[Any, ...]:
    names = ", ".join(columns)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {names} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return tuple(cursor.fetchone())


def make_party(world: Any, **fields: Any) -> CaseParty:
    case_id = create_case(world)["id"]
    return CaseParty.objects.create(
        case_id=case_id, role="requester", name="李四", **{"phone": PHONE, **fields}
    )


def test_raw_columns_hold_no_plain_personal_data(world: Any) -> None:
    party = make_party(world, id_number=ID_NUMBER, email="li@example.org")
    phone, id_number, email, index = raw_row(
        "cases_caseparty", party.pk, "phone", "id_number", "email", "phone_index"
    )
    for stored, plain in ((phone, PHONE), (id_number, ID_NUMBER), (email, "li@example.org")):
        assert plain not in stored
        assert stored.startswith(f"v1:{crypto.field_keyring().current}:")
    assert PHONE not in index and len(index) == crypto.INDEX_HEX_LENGTH
    fresh = CaseParty.objects.get(pk=party.pk)
    assert (fresh.phone, fresh.id_number, fresh.email) == (PHONE, ID_NUMBER, "li@example.org")


def test_parties_made_through_the_api_are_encrypted(world: Any) -> None:
    case_id = create_case(world)["id"]
    party = CaseParty.objects.get(case_id=case_id)
    (stored,) = raw_row("cases_caseparty", party.pk, "phone")
    assert "13812345678" not in stored and party.phone == "13812345678"


def test_blank_stays_blank(world: Any) -> None:
    party = make_party(world, phone="")
    assert raw_row("cases_caseparty", party.pk, "phone", "id_number", "phone_index") == (
        "",
        "",
        "",
    )
    assert CaseParty.objects.filter(pk=party.pk).exclude(phone="").count() == 0


def test_equal_values_encrypt_differently() -> None:
    one = crypto.encrypt(PHONE, table="t", column="c")
    two = crypto.encrypt(PHONE, table="t", column="c")
    assert one != two
    assert crypto.decrypt(one, table="t", column="c") == PHONE


def test_tampered_ciphertext_fails_loudly(world: Any) -> None:
    party = make_party(world)
    (stored,) = raw_row("cases_caseparty", party.pk, "phone")
    head, body = stored.rsplit(":", 1)
    flipped = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cases_caseparty SET phone = %s WHERE id = %s", [f"{head}:{flipped}", party.pk]
        )
    with pytest.raises(crypto.DecryptionError):
        CaseParty.objects.get(pk=party.pk)


def test_wrong_key_fails_loudly(world: Any) -> None:
    with override_settings(CIVICDESK_FIELD_KEYS=K1):
        party = make_party(world)
    with (
        override_settings(CIVICDESK_FIELD_KEYS=key_text("k1", 9)),
        pytest.raises(crypto.DecryptionError),
    ):
        CaseParty.objects.get(pk=party.pk)
    with (
        override_settings(CIVICDESK_FIELD_KEYS=K2),
        pytest.raises(crypto.DecryptionError, match="not in the ring"),
    ):
        CaseParty.objects.get(pk=party.pk)


def test_ciphertext_moved_to_another_column_does_not_open(world: Any) -> None:
    party = make_party(world, id_number=ID_NUMBER)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_caseparty SET id_number = phone WHERE id = %s", [party.pk])
    with pytest.raises(crypto.DecryptionError, match="does not open"):
        CaseParty.objects.get(pk=party.pk)


def test_filtering_on_an_encrypted_column_is_refused() -> None:
    with pytest.raises(FieldError, match="blind index"):
        list(CaseParty.objects.filter(phone=PHONE))
    with pytest.raises(FieldError):
        list(CaseParty.objects.filter(phone__startswith="138"))


def test_phone_look_up_goes_through_the_index(world: Any) -> None:
    case_id = create_case(world)["id"]
    create_case(world, parties=[{"role": "requester", "name": "王五", "phone": "13900001111"}])
    found = lookups.cases_for_phone(user=world.users["clerk"], phone="+86 138 1234 5678")
    assert [case.id for case in found] == [case_id]


def test_index_follows_a_changed_phone(world: Any) -> None:
    party = make_party(world)
    party.phone = "13900002222"
    party.save(update_fields=["phone"])
    (index,) = raw_row("cases_caseparty", party.pk, "phone_index")
    assert index == CaseParty.phone_index_of("13900002222") != CaseParty.phone_index_of(PHONE)


def test_bulk_create_writes_the_index(world: Any) -> None:
    case_id = create_case(world)["id"]
    (party,) = CaseParty.objects.bulk_create(
        [CaseParty(case_id=case_id, role="requester", phone="13700003333")]
    )
    (index,) = raw_row("cases_caseparty", party.pk, "phone_index")
    assert index == CaseParty.phone_index_of("13700003333")


def test_outbox_recipient_is_encrypted(world: Any) -> None:
    create_case(world)
    message = OutboxMessage.objects.first()
    assert message is not None  # the receipt message of the new case
    (stored,) = raw_row("notifications_outboxmessage", message.pk, "recipient")
    assert PHONE not in stored
    assert message.recipient == PHONE and message.masked_recipient == "138****5678"


def test_rotation_reencrypts_everything_and_the_old_key_can_go(world: Any) -> None:
    with override_settings(CIVICDESK_FIELD_KEYS=K1):
        parties = [make_party(world, id_number=ID_NUMBER) for _ in range(3)]
    out = io.StringIO()
    with override_settings(CIVICDESK_FIELD_KEYS=f"{K2},{K1}"):
        call_command("rotate_field_keys", "--batch", "2", stdout=out)
        for party in parties:
            for stored in raw_row("cases_caseparty", party.pk, "phone", "id_number"):
                assert crypto.key_id_of(stored) == "k2"
    assert "rewritten" in out.getvalue()
    with override_settings(CIVICDESK_FIELD_KEYS=K2):
        assert {p.phone for p in CaseParty.objects.filter(pk__in=[p.pk for p in parties])} == {
            PHONE
        }


def test_interrupted_rotation_resumes(world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    with override_settings(CIVICDESK_FIELD_KEYS=K1):
        parties = [make_party(world) for _ in range(4)]
    spec = next(t for t in crypto_tables.encrypted_tables() if t.table == "cases_caseparty")
    calls = {"n": 0}
    original = crypto_tables.reencrypt_old

    def dies_after_two(value: str, table: str, column: str) -> str | None:
        calls["n"] += 1
        if calls["n"] > 6:  # two rows of three columns
            raise KeyboardInterrupt
        return original(value, table, column)

    with override_settings(CIVICDESK_FIELD_KEYS=f"{K2},{K1}"):
        with pytest.raises(KeyboardInterrupt):
            crypto_tables.process(spec, dies_after_two, batch=2)
        keys = [crypto.key_id_of(raw_row("cases_caseparty", p.pk, "phone")[0]) for p in parties]
        assert "k2" in keys and "k1" in keys  # the first batch committed, the rest waits
        done = crypto_tables.process(spec, crypto_tables.reencrypt_old, batch=2)
        assert done.changed >= 2
        assert all(
            crypto.key_id_of(raw_row("cases_caseparty", p.pk, "phone")[0]) == "k2"
            for p in parties
        )
        again = crypto_tables.process(spec, crypto_tables.reencrypt_old, batch=2)
        assert again.changed == 0


def test_index_key_change_and_reindex(world: Any) -> None:
    case_id = create_case(world)["id"]
    with override_settings(CIVICDESK_INDEX_KEY=INDEX):
        assert lookups.cases_for_phone(user=world.users["clerk"], phone=PHONE) == []
        call_command("rotate_field_keys", "--reindex", stdout=io.StringIO())
        found = lookups.cases_for_phone(user=world.users["clerk"], phone=PHONE)
        assert [case.id for case in found] == [case_id]


def test_data_migration_function_encrypts_plain_rows_and_is_resumable(world: Any) -> None:
    party = make_party(world, id_number=ID_NUMBER)
    with connection.cursor() as cursor:  # the state before the migration: plain text
        cursor.execute(
            "UPDATE cases_caseparty SET phone = %s, id_number = %s, phone_index = '' "
            "WHERE id = %s",
            [PHONE, ID_NUMBER, party.pk],
        )
    spec = next(t for t in crypto_tables.encrypted_tables() if t.table == "cases_caseparty")
    crypto_tables.process(spec, crypto_tables.encrypt_plain, reindex=True)
    phone, id_number, index = raw_row(
        "cases_caseparty", party.pk, "phone", "id_number", "phone_index"
    )
    assert PHONE not in phone and ID_NUMBER not in id_number
    assert index == CaseParty.phone_index_of(PHONE)
    assert CaseParty.objects.get(pk=party.pk).id_number == ID_NUMBER
    assert crypto_tables.process(spec, crypto_tables.encrypt_plain).changed == 0
    crypto_tables.process(spec, crypto_tables.decrypt_stored)
    assert raw_row("cases_caseparty", party.pk, "phone")[0] == PHONE


@pytest.mark.slow
def test_migrations_decrypt_backwards_and_encrypt_forwards(transactional_db: Any) -> None:
    from django.db.migrations.executor import MigrationExecutor

    from tests.conftest import build_world

    world = build_world()
    party = make_party(world, id_number=ID_NUMBER)
    try:
        MigrationExecutor(connection).migrate([("cases", "0008_event_hash_chain")])
        assert raw_row("cases_caseparty", party.pk, "phone", "id_number") == (PHONE, ID_NUMBER)
    finally:
        call_command("migrate", verbosity=0)
    phone, index = raw_row("cases_caseparty", party.pk, "phone", "phone_index")
    assert PHONE not in phone and index == CaseParty.phone_index_of(PHONE)
    assert CaseParty.objects.get(pk=party.pk).id_number == ID_NUMBER


def test_production_without_keys_refuses_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(crypto, "development_keys_allowed", lambda: False)
    with override_settings(
        CIVICDESK_FIELD_KEYS="", CIVICDESK_FIELD_KEYS_FILE="", CIVICDESK_INDEX_KEY=""
    ):
        problems = crypto.check_field_keys()
        assert problems and problems[0].id == "civicdesk.E028"
        assert "CIVICDESK_FIELD_KEYS" in problems[0].msg
    crypto.forget_keys()


def test_keys_from_a_file(tmp_path: Any) -> None:
    keys = tmp_path / "keys"
    keys.write_text(f"# comment\n{K2}\n{K1}\n")
    with override_settings(CIVICDESK_FIELD_KEYS="", CIVICDESK_FIELD_KEYS_FILE=str(keys)):
        ring = crypto.field_keyring()
        assert ring.current == "k2" and set(ring.keys) == {"k1", "k2"}


def test_bad_key_text_is_named() -> None:
    with pytest.raises(ImproperlyConfigured, match="32 random bytes"):
        crypto.parse_keys("k1:c2hvcnQ=")


def test_development_keys_are_owner_only(tmp_path: Any) -> None:
    with override_settings(
        CIVICDESK_FIELD_KEYS="", CIVICDESK_FIELD_KEYS_FILE="", CIVICDESK_KEY_DIR=str(tmp_path)
    ):
        ring = crypto.field_keyring()
        path = tmp_path / crypto.DEV_FIELD_KEYS_FILE
        assert path.stat().st_mode & 0o077 == 0
        assert crypto.field_keyring() == ring
    crypto.forget_keys()
