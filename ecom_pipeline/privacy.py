"""Customer identity without personal data: emails become SHA-256 keys at the parser."""

from __future__ import annotations

import hashlib
import re

import pandas as pd

_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


def hash_email(email: str | None) -> str | None:
    """SHA-256 of the trimmed, lower-cased email (the normalisation Meta and Google use for matching)."""
    if email is None:
        return None
    normalised = str(email).strip().lower()
    if not normalised or "@" not in normalised:
        return None
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def hash_emails(emails: pd.Series) -> pd.Series:
    """Vectorised `hash_email` over a column; blanks and non-emails become missing keys."""
    return emails.map(hash_email, na_action="ignore").astype("string")


def normalise_sha256(values: pd.Series) -> pd.Series:
    """Keep already-hashed emails (64 hex characters) as keys; anything else is dropped, never passed on."""
    lowered = values.astype("string").str.strip().str.lower()
    return lowered.where(lowered.str.match(_SHA256_HEX).fillna(False)).astype("string")


PERSONAL_COLUMNS = {"customer_key", "anonymous_id", "session_id", "email", "name", "order_name", "Email", "Name"}


_EMAIL = re.compile(r"[^\s@'\"<>,;]+@[^\s@'\"<>,;]+\.[^\s@'\"<>,;]+")
_PHONE = re.compile(r"(?<![\w.])\+?\(?\d[\d\s().-]{7,}\d(?![\w.])")


_DATE_LIKE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}")


def _phone(match: re.Match) -> str:
    """A written phone number: nine digits or more, with a + or separators, and no date in it (bare digits are ids)."""
    text = match.group()
    written = text.startswith("+") or any(ch in text for ch in " ()-.")
    looks = sum(ch.isdigit() for ch in text) >= 9 and written and not _DATE_LIKE.search(text)
    return "<phone>" if looks else text


def redact(text: str) -> str:
    """Text with anything that looks like an e-mail address or a phone number replaced, whatever column it came from:
    an address typed into a price column must not reach the quarantine, the lake or Dagster's event log."""
    return _PHONE.sub(_phone, _EMAIL.sub("<e-mail>", text))


def mask(column: str, value: object) -> str:
    """A value as text for people to read, masked where it could identify a person."""
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return ""
    text = str(value)
    if column in PERSONAL_COLUMNS:
        return text[:4] + "…" if len(text) > 4 else "…"
    return redact(text[:200])


def neutralise(text: object) -> object:
    """Text for a spreadsheet or report: a leading = + - @ would run as a formula, so it is quoted."""
    if isinstance(text, str) and text[:1] in ("=", "+", "-", "@") and not _NUMBER.match(text):
        return "'" + text
    return text


_NUMBER = re.compile(r"^[-+]?\d[\d,.]*$")
