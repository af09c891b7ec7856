"""Guess a garment image's type and view from its file name ("navy-tee_back.jpg" → Top, back).

Only a first guess to save clicks: the user edits both on the SKU page. Names are matched by whole words
(so "capri" is not a "cap"), case-insensitively, and digits or separators around a word do not matter.
"""
import re

from .models import GarmentType, GarmentView

# SKU codes travel into file names, CSV manifests and vendor payloads: a small, safe alphabet (issue 14.6).
SKU_CODE_MAX = 64
SKU_CODE_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._\-]{0,63}"
SKU_CODE_RE = re.compile(SKU_CODE_PATTERN)
SKU_CODE_RULE = ("Letters, digits, dash (-), underscore (_) and dot (.) only, starting with a letter or digit; "
                 "up to 64 characters.")

_VIEW_WORDS = {
    "front": GarmentView.FRONT,
    "back": GarmentView.BACK,
    "rear": GarmentView.BACK,
    "side": GarmentView.SIDE,
}

_TYPE_WORDS = {
    GarmentType.TOP: {"top", "tops", "tee", "tees", "tshirt", "shirt", "shirts", "jacket", "jackets", "blouse",
                      "hoodie", "sweater", "sweatshirt", "coat"},
    GarmentType.BOTTOM: {"bottom", "bottoms", "jeans", "pants", "trousers", "skirt", "skirts", "shorts"},
    GarmentType.FULL_BODY: {"dress", "dresses", "jumpsuit", "jumpsuits", "minidress", "overall", "overalls"},
    GarmentType.SHOES: {"shoe", "shoes", "sneaker", "sneakers", "boot", "boots", "sandals", "heels"},
    GarmentType.ACCESSORY: {"hat", "hats", "cap", "caps", "glasses", "sunglasses", "bag", "bags", "belt"},
}
_WORD_TO_TYPE = {word: garment_type for garment_type, words in _TYPE_WORDS.items() for word in words}


def _words(file_name: str) -> list[str]:
    stem = file_name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    return re.findall(r"[a-z]+", stem.lower())


def guess_garment(file_name: str, default_type: str = GarmentType.TOP) -> tuple[str, str]:
    """(garment type, view) for a file name; the SKU's garment type and "front" when the name says nothing."""
    words = _words(file_name)
    garment_type = next((_WORD_TO_TYPE[w] for w in words if w in _WORD_TO_TYPE), default_type)
    view = next((_VIEW_WORDS[w] for w in words if w in _VIEW_WORDS), GarmentView.FRONT)
    return str(garment_type), str(view)
