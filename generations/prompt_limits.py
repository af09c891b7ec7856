"""How long a prompt may be, per vendor. None of the vendor documents (../shared/seeds/000–004) states a prompt
length limit, so every vendor gets the studio's own cap; a vendor that documents one gets it here (or as
`prompt_max_chars` on its capability table). A prompt over the limit is refused with its length, never cut."""
from .vendors import registry
from .vendors.base import ConfigurationError

STUDIO_PROMPT_MAX = 4000
DOCUMENTED: dict[str, int] = {}  # vendor -> characters, where a vendor document states a limit


def prompt_limit(vendor: str | None) -> tuple[int, bool]:
    """(characters, documented by the vendor?)"""
    if vendor in DOCUMENTED:
        return DOCUMENTED[vendor], True
    try:
        documented = getattr(registry.capabilities(vendor), "prompt_max_chars", None) if vendor else None
    except ConfigurationError:
        documented = None
    if documented:
        return int(documented), True
    return STUDIO_PROMPT_MAX, False
