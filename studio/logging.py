"""A log filter that masks anything that looks like a credential, as a second line of defence.

The first line is never passing secrets to a logger at all (vendors/http.py logs method, host, path and status
only). This filter catches Authorization headers, `sk-...` style keys and known secret parameters in any message.
"""
import logging
import re

_PATTERNS = [
    re.compile(r"(?i)(authorization|x-api-key|api[_-]?key|webhook[_-]?secret|secret|token)(\"?\s*[:=]\s*\"?)([^\s\"',;&]+)"),
    re.compile(r"(?i)(bearer\s+)([A-Za-z0-9._\-]+)"),
    re.compile(r"\b(sk-)[A-Za-z0-9_\-]{6,}"),
]


def redact(text: str) -> str:
    text = _PATTERNS[0].sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)
    text = _PATTERNS[1].sub(lambda m: f"{m.group(1)}***", text)
    return _PATTERNS[2].sub(lambda m: f"{m.group(1)}***", text)


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
