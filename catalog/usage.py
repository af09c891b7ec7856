"""What is using a catalog object right now: the catalog asks before a destructive action, and the app that runs
work on the catalog (generations) answers through a check it registers at start-up, so the catalog imports
nothing above it (apps: generations → catalog → studio)."""
from collections.abc import Callable

# check(obj) -> (lines naming what uses it, how many in all); obj is a SKU, GarmentImage, FashionModel or Pose.
_CHECKS: list[Callable] = []


def register(check: Callable) -> None:
    if check not in _CHECKS:
        _CHECKS.append(check)


def running_uses(obj) -> tuple[list[str], int]:
    lines, total = [], 0
    for check in _CHECKS:
        found, count = check(obj)
        lines += found
        total += count
    return lines, total
