"""Chinese full-text search: jieba segments text into words that both databases index.

Documents are segmented in search mode (long words and their dictionary sub-words: 工资拖欠
gives 工资, 拖欠, 工资拖欠), so a two-character query such as 工资 or 噪音 finds them. Queries
are segmented the same way and every word must match.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

import jieba

jieba.setLogLevel(logging.WARNING)

# Letters, digits and CJK characters form words; everything else separates them.
_WORD = re.compile(r"[0-9a-z\u3400-\u4dbf\u4e00-\u9fff]+")
_MAX_QUERY_WORDS = 12


@lru_cache(maxsize=65536)
def segment(text: str) -> str:
    """Space-separated search words of a text (cached: demo data and templates repeat)."""
    words = []
    for token in jieba.cut_for_search(text.lower()):
        words.extend(_WORD.findall(token))
    return " ".join(words)


def document_words(*parts: str) -> str:
    return " ".join(segment(part) for part in parts if part)


def query_words(query: str) -> list[str]:
    seen: list[str] = []
    for token in jieba.cut(query.lower()):
        for word in _WORD.findall(token):
            if word not in seen:
                seen.append(word)
    return seen[:_MAX_QUERY_WORDS]


def warm_up() -> None:
    """Loads jieba's dictionary now (web workers call this at start-up)."""
    jieba.initialize()
