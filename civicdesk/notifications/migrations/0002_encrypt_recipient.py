"""The outbox's copy of a resident's phone or email encrypted at rest like the party's own
(docs/decisions/0028); the once-per-event constraint compares its blind index instead."""

from django.db import migrations, models

import civicdesk.core.fields
from civicdesk.core import crypto_tables

OUTBOX = crypto_tables.EncryptedTable(
    table="notifications_outboxmessage",
    columns=("recipient",),
    indexes=(
        crypto_tables.IndexColumn(
            column="recipient_index", source="recipient", purpose="recipient"
        ),
    ),
)


def encrypt_recipients(apps, schema_editor):
    crypto_tables.process(
        OUTBOX, crypto_tables.encrypt_plain, using=schema_editor.connection.alias, reindex=True
    )


def decrypt_recipients(apps, schema_editor):
    crypto_tables.process(
        OUTBOX, crypto_tables.decrypt_stored, using=schema_editor.connection.alias
    )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("cases", "0009_encrypt_party_data"),
        ("notifications", "0001_initial"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="outboxmessage",
            name="outbox_once_per_event",
        ),
        migrations.AddField(
            model_name="outboxmessage",
            name="recipient_index",
            field=civicdesk.core.fields.BlindIndexField(purpose="recipient", source="recipient"),
        ),
        migrations.AlterField(
            model_name="outboxmessage",
            name="recipient",
            field=civicdesk.core.fields.EncryptedCharField(
                max_length=254, verbose_name="recipient"
            ),
        ),
        migrations.RunPython(encrypt_recipients, decrypt_recipients, elidable=False),
        migrations.AddConstraint(
            model_name="outboxmessage",
            constraint=models.UniqueConstraint(
                fields=("event", "kind", "channel", "recipient_index"),
                name="outbox_once_per_event",
            ),
        ),
    ]
