"""Parties' phone, ID number and email encrypted at rest, and the phone's blind index
(docs/decisions/0028). The columns become text (a ciphertext is longer than its value); the
rows already there are encrypted in batches, and back again if the migration is reversed."""

from django.db import migrations

import civicdesk.cases.validation
import civicdesk.core.fields
from civicdesk.core import crypto_tables

PARTIES = crypto_tables.EncryptedTable(
    table="cases_caseparty",
    columns=("phone", "id_number", "email"),
    indexes=(
        crypto_tables.IndexColumn(
            column="phone_index",
            source="phone",
            purpose="phone",
            normalise=civicdesk.cases.validation.normalise_phone,
        ),
    ),
)


def encrypt_parties(apps, schema_editor):
    crypto_tables.process(
        PARTIES, crypto_tables.encrypt_plain, using=schema_editor.connection.alias, reindex=True
    )


def decrypt_parties(apps, schema_editor):
    crypto_tables.process(
        PARTIES, crypto_tables.decrypt_stored, using=schema_editor.connection.alias
    )


class Migration(migrations.Migration):
    # Each batch commits on its own: a large table is not held in one transaction, and an
    # interrupted run continues where it stopped (encrypted values are skipped).
    atomic = False

    dependencies = [
        ("cases", "0008_event_hash_chain"),
    ]

    operations = [
        migrations.AddField(
            model_name="caseparty",
            name="phone_index",
            field=civicdesk.core.fields.BlindIndexField(
                db_index=True,
                normalise=civicdesk.cases.validation.normalise_phone,
                purpose="phone",
                source="phone",
            ),
        ),
        migrations.AlterField(
            model_name="caseparty",
            name="email",
            field=civicdesk.core.fields.EncryptedEmailField(
                blank=True, db_default="", default="", max_length=254, verbose_name="email"
            ),
        ),
        migrations.AlterField(
            model_name="caseparty",
            name="id_number",
            field=civicdesk.core.fields.EncryptedCharField(
                blank=True, max_length=18, verbose_name="ID number"
            ),
        ),
        migrations.AlterField(
            model_name="caseparty",
            name="phone",
            field=civicdesk.core.fields.EncryptedCharField(
                blank=True, max_length=20, verbose_name="phone"
            ),
        ),
        migrations.RunPython(encrypt_parties, decrypt_parties, elidable=False),
    ]
