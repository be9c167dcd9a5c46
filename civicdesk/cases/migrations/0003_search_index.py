"""Full-text indexes over CaseSearch.words, one per database (see civicdesk/cases/search.py)."""

from django.db import migrations

SQLITE_FORWARD = [
    # An external-content FTS5 table: the words live once, in cases_casesearch.
    "CREATE VIRTUAL TABLE cases_search_fts USING fts5("
    "words, content='cases_casesearch', content_rowid='case_id', tokenize='unicode61')",
    "CREATE TRIGGER cases_search_ai AFTER INSERT ON cases_casesearch BEGIN "
    "INSERT INTO cases_search_fts(rowid, words) VALUES (new.case_id, new.words); END",
    "CREATE TRIGGER cases_search_ad AFTER DELETE ON cases_casesearch BEGIN "
    "INSERT INTO cases_search_fts(cases_search_fts, rowid, words) "
    "VALUES ('delete', old.case_id, old.words); END",
    "CREATE TRIGGER cases_search_au AFTER UPDATE ON cases_casesearch BEGIN "
    "INSERT INTO cases_search_fts(cases_search_fts, rowid, words) "
    "VALUES ('delete', old.case_id, old.words); "
    "INSERT INTO cases_search_fts(rowid, words) VALUES (new.case_id, new.words); END",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS cases_search_au",
    "DROP TRIGGER IF EXISTS cases_search_ad",
    "DROP TRIGGER IF EXISTS cases_search_ai",
    "DROP TABLE IF EXISTS cases_search_fts",
]
POSTGRES_FORWARD = [
    "CREATE INDEX cases_search_gin ON cases_casesearch "
    "USING gin (to_tsvector('simple', words))",
]
POSTGRES_BACKWARD = ["DROP INDEX IF EXISTS cases_search_gin"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        ),
    ]
