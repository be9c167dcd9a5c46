"""docs/security.md maps each control to its code and its tests: every test file, test name,
module and decision record it names must exist, so the page cannot drift from the suite."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")


def _defined_test_names() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "tests").rglob("test_*.py"):
        names.update(re.findall(r"^def (test_\w+)", path.read_text(encoding="utf-8"), re.M))
    return names


def test_every_named_test_file_exists() -> None:
    files = set(re.findall(r"tests/[\w/]+\.py", DOC))
    assert files, "the page names no test files"
    missing = sorted(f for f in files if not (ROOT / f).is_file())
    assert missing == []


def test_every_named_test_exists() -> None:
    named = set(re.findall(r"`(test_\w+)`", DOC))
    assert len(named) > 20
    assert sorted(named - _defined_test_names()) == []


def test_every_named_module_and_decision_exists() -> None:
    paths = set(re.findall(r"civicdesk/[\w/]+(?:\.py|/)", DOC))
    assert paths
    missing = [p for p in sorted(paths) if not (ROOT / p).exists()]
    assert missing == []
    for number in set(re.findall(r"decisions? (\d{4})", DOC)):
        assert list((ROOT / "docs" / "decisions").glob(f"{number}-*.md")), number


def test_every_control_family_of_the_application_is_covered() -> None:
    for heading in (
        "身份鉴别",
        "访问控制",
        "安全审计",
        "入侵防范",
        "数据完整性",
        "数据保密性",
        "数据备份恢复",
        "个人信息保护",
    ):
        assert f"({heading}" in DOC, heading
