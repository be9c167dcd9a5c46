"""The zh-Hans catalogue is complete and the compiled catalogue matches it.

English is the source language: every msgid is the English text, so English is complete by
construction. For zh-Hans every message must be translated, none left fuzzy, and the .mo that
Django loads must hold the same translations as the .po (it is compiled and committed).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.utils import translation

PO_FILE = Path(__file__).resolve().parent.parent / "civicdesk/locale/zh_Hans/LC_MESSAGES/django.po"


def _unquote(line: str) -> str:
    return ast.literal_eval(line.strip()) if line.strip().startswith('"') else ""


def parse_po(path: Path) -> list[dict[str, object]]:
    entries: list[dict[str, object]] = []
    current: dict[str, object] = {"flags": "", "msgid": "", "msgstr": "", "plural": False}
    field = None
    for raw in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = raw.strip()
        if not line:
            if current["msgid"] or current["msgstr"]:
                entries.append(current)
            current = {"flags": "", "msgid": "", "msgstr": "", "plural": False}
            field = None
        elif line.startswith("#,"):
            current["flags"] = line
        elif line.startswith("#"):
            continue
        elif line.startswith("msgid_plural"):
            current["plural"], field = True, None
        elif line.startswith("msgid "):
            field, current["msgid"] = "msgid", _unquote(line[6:])
        elif line.startswith("msgstr"):
            field = "msgstr"
            current["msgstr"] = str(current["msgstr"]) + _unquote(line.split(" ", 1)[1])
        elif line.startswith('"') and field:
            current[field] = str(current[field]) + _unquote(line)
    return [e for e in entries if e["msgid"]]  # the header has an empty msgid


ENTRIES = parse_po(PO_FILE)
# str.format placeholders such as {title}; JSON examples such as {"lat": ...} are not.
PLACEHOLDER = re.compile(r"\{(\w*)\}")


def test_catalogue_is_not_empty():
    assert len(ENTRIES) > 100


def test_every_message_is_translated_and_none_is_fuzzy():
    untranslated = [e["msgid"] for e in ENTRIES if not e["msgstr"]]
    fuzzy = [e["msgid"] for e in ENTRIES if "fuzzy" in str(e["flags"])]
    assert untranslated == []
    assert fuzzy == []


@pytest.mark.parametrize(
    "entry", [e for e in ENTRIES if not e["plural"]], ids=lambda e: str(e["msgid"])[:40]
)
def test_compiled_catalogue_matches_the_source(entry):
    with translation.override("zh-hans"):
        assert translation.gettext(str(entry["msgid"])) == entry["msgstr"]


def test_placeholders_survive_translation():
    for entry in ENTRIES:
        source = set(PLACEHOLDER.findall(str(entry["msgid"])))
        target = set(PLACEHOLDER.findall(str(entry["msgstr"])))
        assert source == target, entry["msgid"]
