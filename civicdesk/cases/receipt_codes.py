"""Receipt codes (一案一码): short, readable aloud, with a check character, not guessable.

Nine random symbols from Crockford's base-32 alphabet (no I, L, O, U: nothing to confuse with
1, 0 or V) carry 45 bits from the operating system's random source, so a neighbour's code says
nothing about yours. A tenth symbol is Crockford's mod-37 check, which catches every single
mistyped symbol and every swap of two neighbours. Shown as XXXXX-XXXXX.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CHECK_ALPHABET = ALPHABET + "*~$=U"
_RANDOM_SYMBOLS = 9
_TYPO_MAP = str.maketrans({"O": "0", "I": "1", "L": "1"})


def _value(symbols: str) -> int:
    number = 0
    for symbol in symbols:
        number = number * 32 + ALPHABET.index(symbol)
    return number


def check_symbol(symbols: str) -> str:
    return CHECK_ALPHABET[_value(symbols) % 37]


def new_receipt_code() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(_RANDOM_SYMBOLS))
    raw = body + check_symbol(body)
    return f"{raw[:5]}-{raw[5:]}"


def normalise_receipt_code(text: str) -> str | None:
    """Accepts what people type (lower case, spaces, O for 0) and returns the canonical code, or
    None when it cannot be a receipt code."""
    raw = "".join(ch for ch in text.upper() if ch.isalnum() or ch in "*~$=").translate(_TYPO_MAP)
    if len(raw) != _RANDOM_SYMBOLS + 1:
        return None
    body, check = raw[:-1], raw[-1]
    if any(symbol not in ALPHABET for symbol in body) or check_symbol(body) != check:
        return None
    return f"{raw[:5]}-{raw[5:]}"


_SECRET_SYMBOLS = 8


def tracking_secret(receipt_code: str) -> str:
    """The secret printed on the receipt beside the code (XXXX-XXXX, 40 bits).

    With the code it opens the case on the portal for a resident who gave no phone (an
    anonymous report). It is an HMAC of the code under CIVICDESK_TRACKING_KEY, so nothing is
    stored and every case, old or new, has one; 40 bits cannot be guessed at the portal's
    rate limits.
    """
    digest = hmac.new(
        settings.CIVICDESK_TRACKING_KEY.encode(), receipt_code.encode(), hashlib.sha256
    ).digest()
    number = int.from_bytes(digest[:5])
    symbols = "".join(ALPHABET[(number >> (5 * i)) & 31] for i in range(_SECRET_SYMBOLS))
    return f"{symbols[:4]}-{symbols[4:]}"


def secret_matches(receipt_code: str, typed: str) -> bool:
    raw = "".join(ch for ch in typed.upper() if ch.isalnum()).translate(_TYPO_MAP)
    expected = tracking_secret(receipt_code).replace("-", "")
    return hmac.compare_digest(raw.encode(), expected.encode())
