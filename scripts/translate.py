#!/usr/bin/env python3
"""Helps keep the zh-Hans catalogue complete after `make messages`.

  scripts/translate.py --list              untranslated or fuzzy msgids as a JSON object to fill
  scripts/translate.py --apply FILE.json   fills msgstr from {msgid: text} (or [singular, plural]
                                           for plural messages), clears fuzzy flags, compiles
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import polib

PO = Path(__file__).resolve().parent.parent / "civicdesk/locale/zh_Hans/LC_MESSAGES/django.po"


def todo(po: polib.POFile) -> list[polib.POEntry]:
    return [e for e in po if not e.obsolete and (not e.translated() or e.fuzzy)]


def list_missing() -> None:
    po = polib.pofile(str(PO))
    print(json.dumps({e.msgid: "" for e in todo(po)}, ensure_ascii=False, indent=1))


def apply(path: str) -> None:
    texts = json.loads(Path(path).read_text(encoding="utf-8"))
    po = polib.pofile(str(PO), wrapwidth=100)
    filled = 0
    for entry in po:
        text = texts.get(entry.msgid)
        if not text:
            continue
        if entry.msgid_plural:
            # Chinese has one plural form.
            entry.msgstr_plural = {0: text[0] if isinstance(text, list) else text}
        else:
            entry.msgstr = text
        if entry.fuzzy:
            entry.flags.remove("fuzzy")
            entry.previous_msgid = None
            entry.previous_msgid_plural = None
            entry.previous_msgctxt = None
        filled += 1
    po.save()
    po.save_as_mofile(str(PO.with_suffix(".mo")))
    left = len(todo(po))
    print(f"filled {filled}; {left} left untranslated or fuzzy")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--apply":
        apply(sys.argv[2])
    elif sys.argv[1:] == ["--list"]:
        list_missing()
    else:
        sys.exit(__doc__)
