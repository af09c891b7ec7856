"""Ids from forms and query strings: a database id is a positive 64-bit integer, anything else is not one.

`parse_id("99999999999999999999")` is None instead of an OverflowError in the database driver (issue 14.9).
"""
from collections.abc import Iterable

from django import forms
from django.core.exceptions import ValidationError

MAX_ID = 2**63 - 1


def parse_id(raw) -> int | None:
    text = str(raw if raw is not None else "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 19:
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None


def parse_ids(values: Iterable) -> list[int]:
    """The valid ids among `values`, in order, each once."""
    seen: dict[int, None] = {}
    for raw in values:
        value = parse_id(raw)
        if value is not None:
            seen.setdefault(value, None)
    return list(seen)



class IdModelChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField that refuses a value that cannot be an id before asking the database."""

    def to_python(self, value):
        if (value not in self.empty_values and not self.to_field_name and not hasattr(value, "pk")
                and parse_id(value) is None):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class IdModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    def _check_values(self, value):
        if not self.to_field_name:
            for raw in value or ():
                if not hasattr(raw, "pk") and parse_id(raw) is None:
                    raise ValidationError(self.error_messages["invalid_pk_value"], code="invalid_pk_value",
                                          params={"pk": str(raw)[:30]})
        return super()._check_values(value)
