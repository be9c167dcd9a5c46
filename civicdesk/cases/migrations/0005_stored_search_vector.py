"""PostgreSQL: keep the tsvector itself, generated from the words, and index that.

The list query for a common word walks the newest cases and probes each one's search row;
with the expression index every probe re-tokenised the text. A stored generated column is
computed once per write. SQLite keeps its FTS5 table (0003) and needs nothing here.
"""

from django.db import migrations

FORWARD = [
    "ALTER TABLE cases_casesearch ADD COLUMN document tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple', words)) STORED",
    "CREATE INDEX cases_search_document_gin ON cases_casesearch USING gin (document)",
    "DROP INDEX IF EXISTS cases_search_gin",
]
BACKWARD = [
    "CREATE INDEX cases_search_gin ON cases_casesearch USING gin (to_tsvector('simple', words))",
    "DROP INDEX IF EXISTS cases_search_document_gin",
    "ALTER TABLE cases_casesearch DROP COLUMN IF EXISTS document",
]


def _on_postgres(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("cases", "0004_list_indexes_end_in_order")]

    operations = [migrations.RunPython(_on_postgres(FORWARD), _on_postgres(BACKWARD))]
