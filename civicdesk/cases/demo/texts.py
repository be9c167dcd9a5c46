"""What a case says: text templates and their slots, search words, receipt codes and the
notices the services would have sent."""

from __future__ import annotations

import datetime as dt
import random
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from civicdesk.cases.deadlines import local_zone
from civicdesk.cases.demo import content
from civicdesk.cases.models import Case
from civicdesk.cases.notices import NoticeKind, render_notice
from civicdesk.cases.receipt_codes import ALPHABET, check_symbol
from civicdesk.cases.search import segment


@dataclass(frozen=True)
class Template:
    """A text with `{slot}`s, split once into (literal, slot name) parts."""

    parts: tuple[tuple[str, str | None], ...]

    @classmethod
    def parse(cls, text: str) -> Template:
        return cls(tuple((lit, name) for lit, name, _, _ in string.Formatter().parse(text)))

    def render(self, slot: Callable[[str], str], pieces: list[str]) -> None:
        for literal, name in self.parts:
            if literal:
                pieces.append(literal)
            if name is not None:
                pieces.append(slot(name))


def text_of(pieces: Sequence[str]) -> str:
    return "".join(pieces)


def words_of(pieces: Sequence[str]) -> str:
    """The search words of a text, segmenting each template piece and slot value on its own:
    the pieces repeat across cases, so search.segment's cache answers almost every call, where
    segmenting each case's whole text would run jieba once per case."""
    return " ".join(words for words in map(segment, pieces) if words)


def _pick_number(low: int, high: int, step: int = 1) -> Callable[[random.Random], str]:
    return lambda rng: str(rng.randint(low, high) * step)


SLOT_MAKERS: dict[str, Callable[[random.Random], str]] = {
    "surname": lambda rng: rng.choice(content.SURNAMES),
    "surname2": lambda rng: rng.choice(content.SURNAMES),
    "company": lambda rng: rng.choice(content.COMPANIES),
    "shop": lambda rng: rng.choice(content.SHOPS),
    "estate": lambda rng: rng.choice(content.ESTATES),
    "amount": _pick_number(6, 360, 500),
    "fee": _pick_number(2, 60, 100),
    "months": _pick_number(2, 8),
    "workers": _pick_number(3, 40),
    "days": _pick_number(3, 30),
    "households": _pick_number(3, 60),
    "rooms": _pick_number(4, 30),
    "hours": _pick_number(2, 5),
    "no": _pick_number(1, 188),
    "sqm": _pick_number(5, 40),
    "meters": lambda rng: rng.choice(("0.5", "1", "1.5", "2", "3")),
    "mu": lambda rng: rng.choice(("0.8", "1.2", "2.5", "3.6", "5", "12")),
}


class ReceiptCodes:
    """Receipt codes in the real format (receipt_codes.py), drawn from the seeded generator.

    The nth code is a keyed bijection of n over the 45-bit code space (odd multipliers and
    xor-shifts are invertible modulo 2**45), so codes look random, repeat for the same seed and
    never collide within a run, without remembering the codes already given out. Demo codes are
    therefore guessable from the seed: fine for invented cases, never for real ones.
    """

    _BITS = 45
    _MASK = (1 << _BITS) - 1

    def __init__(self, rng: random.Random) -> None:
        self.mul1 = rng.getrandbits(self._BITS) | 1
        self.add = rng.getrandbits(self._BITS)
        self.mul2 = rng.getrandbits(self._BITS) | 1

    def code(self, index: int) -> str:
        x = (index * self.mul1 + self.add) & self._MASK
        x ^= x >> 23
        x = (x * self.mul2) & self._MASK
        x ^= x >> 19
        body = "".join(ALPHABET[(x >> shift) & 31] for shift in range(40, -1, -5))
        raw = body + check_symbol(body)
        return f"{raw[:5]}-{raw[5:]}"


@dataclass(frozen=True)
class NoticeSubject:
    """What a notice needs of its case (notices.render_notice reads only these)."""

    title: str
    receipt_code: str
    received_at: dt.datetime


class NoticeTexts:
    """notices.render_notice's texts, rendered once per kind with placeholders in place of the
    case's values and then filled in per case: the same words (same template, same language)
    without switching the language and translating all templates for every notice."""

    # Dates no case has, to find where the template puts the receipt and today's dates.
    _RECEIVED = dt.datetime(1901, 1, 2, 12, tzinfo=dt.UTC)
    _TODAY = dt.datetime(1902, 3, 4, 12, tzinfo=dt.UTC)

    def __init__(self) -> None:
        self._formats: dict[tuple[str, tuple[str, ...]], str] = {}
        self._dates: dict[dt.date, str] = {}
        self.zone = local_zone()

    # Kinds whose values go into the text as they are; others (an extension's length is
    # worded from its days and unit) are rare enough to render the slow way.
    PLAIN_KINDS = frozenset(
        {
            NoticeKind.ACCEPTANCE,
            NoticeKind.NON_ACCEPTANCE,
            NoticeKind.REDIRECTION,
            NoticeKind.REPLY,
        }
    )

    def render(self, kind: str, subject: NoticeSubject, now: dt.datetime, **values: Any) -> str:
        if kind not in self.PLAIN_KINDS:
            return render_notice(kind, cast(Case, subject), now=now, **values)
        form = self._format(kind, tuple(sorted(values)))
        return form.format(
            title=subject.title,
            code=subject.receipt_code,
            received=self._date(subject.received_at),
            today=self._date(now),
            **{name: str(value) for name, value in values.items()},
        )

    def _format(self, kind: str, names: tuple[str, ...]) -> str:
        key = (kind, names)
        if key not in self._formats:
            marker = NoticeSubject("\x00title\x00", "\x00code\x00", self._RECEIVED)
            text = render_notice(
                kind,
                cast(Case, marker),
                now=self._TODAY,
                **{name: f"\x00{name}\x00" for name in names},
            )
            text = text.replace("{", "{{").replace("}", "}}")
            text = text.replace(self._date(self._RECEIVED), "{received}")
            text = text.replace(self._date(self._TODAY), "{today}")
            for name in ("title", "code", *names):
                text = text.replace(f"\x00{name}\x00", "{" + name + "}")
            self._formats[key] = text
        return self._formats[key]

    def _date(self, moment: dt.datetime) -> str:
        day = moment.astimezone(self.zone).date()
        text = self._dates.get(day)
        if text is None:
            text = self._dates[day] = day.strftime("%Y-%m-%d")
        return text
