# The tamper-evident timeline (docs/decisions/0025-event-hash-chain.md): two columns, the chains
# of the events already stored computed case by case, then the constraint that forbids forks.

from django.db import migrations, models

CASES_PER_BATCH = 500
ROWS_PER_UPDATE = 1000


def chain_existing_events(apps, schema_editor):
    """Chains every stored event in id order per case, a batch of cases at a time: bounded
    memory however many millions of events the database holds."""
    from civicdesk.cases.events import GENESIS, event_hash  # the frozen serialisation

    Case = apps.get_model("cases", "Case")
    CaseEvent = apps.get_model("cases", "CaseEvent")
    after = 0
    while True:
        case_ids = list(
            Case.objects.filter(pk__gt=after)
            .order_by("pk")
            .values_list("pk", flat=True)[:CASES_PER_BATCH]
        )
        if not case_ids:
            return
        after = case_ids[-1]
        events = CaseEvent.objects.filter(case_id__in=case_ids).order_by("case_id", "id")
        previous: dict[int, str] = {}
        changed = []
        for event in events.iterator(chunk_size=2000):
            event.previous_hash = previous.get(event.case_id, GENESIS)
            event.hash = event_hash(
                case_id=event.case_id,
                kind=event.kind,
                actor_id=event.actor_id,
                at=event.at,
                from_status=event.from_status,
                to_status=event.to_status,
                params=event.params,
                previous_hash=event.previous_hash,
            )
            previous[event.case_id] = event.hash
            changed.append(event)
        CaseEvent.objects.bulk_update(
            changed, ["previous_hash", "hash"], batch_size=ROWS_PER_UPDATE
        )


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0007_caseparty_language"),
    ]

    operations = [
        migrations.AddField(
            model_name="caseevent",
            name="previous_hash",
            field=models.CharField(
                blank=True, editable=False, max_length=64, verbose_name="previous hash"
            ),
        ),
        migrations.AddField(
            model_name="caseevent",
            name="hash",
            field=models.CharField(default="", editable=False, max_length=64, verbose_name="hash"),
            preserve_default=False,
        ),
        migrations.RunPython(chain_existing_events, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="caseevent",
            constraint=models.UniqueConstraint(
                fields=("case", "previous_hash"), name="event_chain_no_fork"
            ),
        ),
    ]
