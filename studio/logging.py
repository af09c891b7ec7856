"""A log filter that masks anything that looks like a credential, as a second line of defence.

The first line is never passing secrets to a logger at all (vendors/http.py logs method, host, path and status
only). This filter catches Authorization headers, `sk-...` style keys and known secret parameters in any message.
"""
import base64
import logging
import re
from urllib.parse import quote, quote_plus

_PATTERNS = [
    re.compile(r"(?i)(authorization|x-api-key|api[_-]?key|webhook[_-]?secret|secret|token)(\"?\s*[:=]\s*\"?)([^\s\"',;&]+)"),
    re.compile(r"(?i)(bearer\s+)([A-Za-z0-9._\-]+)"),
    re.compile(r"\b(sk-)[A-Za-z0-9_\-]{6,}"),
]


def redact(text: str) -> str:
    text = _PATTERNS[0].sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)
    text = _PATTERNS[1].sub(lambda m: f"{m.group(1)}***", text)
    return _PATTERNS[2].sub(lambda m: f"{m.group(1)}***", text)


_TOKEN = re.compile(r"[A-Za-z0-9_\-.~+/=]{8,}")
MIN_FRAGMENT = 8  # a run of this many characters of a secret, echoed alone, is treated as the secret


def _shapes(secret: str) -> list[str]:
    """The ways a vendor may echo a key back: as sent, URL-encoded, base64 (Basic auth as key: or :key)."""
    raw = secret.encode()
    shapes = {secret, quote(secret, safe=""), quote_plus(secret)}
    for value in (raw, raw + b":", b":" + raw):
        shapes.add(base64.b64encode(value).decode().rstrip("="))
    return sorted(shapes, key=len, reverse=True)


def redact_secrets(text: str, secrets) -> str:
    """`text` without any of these exact secrets (an account's own API key and webhook secret), whatever their shape:
    as sent, in any letter case, URL-encoded, base64-encoded, or a fragment of at least MIN_FRAGMENT characters
    (a vendor quoting the first or last part of the key it rejected). Applied to every vendor message before it is
    stored, logged or shown; redact() then catches anything else shaped like a credential."""
    if not text:
        return text
    for secret in secrets or ():
        if not secret or len(secret) < 4:
            continue
        for shape in _shapes(secret):
            text = re.sub(re.escape(shape), "***", text, flags=re.IGNORECASE)
        lowered = secret.lower()
        text = _TOKEN.sub(lambda m: "***" if _is_fragment(m.group(0), lowered) else m.group(0), text)
    return text


def _is_fragment(token: str, lowered_secret: str) -> bool:
    for piece in re.split(r"[.=]+$|^[.=]+", token):  # sentence punctuation around an echoed key
        if len(piece) >= MIN_FRAGMENT and piece.lower() in lowered_secret:
            return True
    return False


class RedactSecretsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


class ExpectedForbiddenFilter(logging.Filter):
    """A 403 is expected behaviour (a role without a permission, a missing CSRF token), not an error: log one INFO
    line with no traceback (issue 14.12). Django's request logger passes the exception as exc_info otherwise."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True
