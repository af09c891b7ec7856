"""Vendor name → adapter class, as dotted paths imported on first use (after healthchecks' TRANSPORTS registry).

Lazy so that importing the engine never imports every vendor module, and so that a vendor module that is missing
or broken fails only the accounts that use it, with a ConfigurationError that says what is wrong.

The registry is the one door between the core and the vendor packages (DESIGN.md §1): the vendors come from
settings.STUDIO_VENDORS, and what a package adds to the core pages — url patterns, panels, actions, signal
handlers — is read from its adapter class here (`url_modules`, `contributions`, `connect_all`), never imported by
core code.
"""
from __future__ import annotations

from contextlib import contextmanager
from importlib import import_module

from django.conf import settings

from generations.models import AccountState, VendorAccount

from .base import Capabilities, ConfigurationError, Contribution, VendorAdapter

ADAPTERS: dict[str, str] = dict(settings.STUDIO_VENDORS)

_loaded: dict[str, type[VendorAdapter]] = {}


def adapter_class(vendor: str) -> type[VendorAdapter]:
    if vendor in _loaded:
        return _loaded[vendor]
    path = ADAPTERS.get(vendor)
    if path is None:
        raise ConfigurationError(f"no adapter is registered for vendor {vendor!r}")
    module_name, _, class_name = path.rpartition(".")
    try:
        module = import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise  # a real import error inside the vendor module: let it show
        raise ConfigurationError(f"the {vendor} adapter ({module_name}) is not installed yet") from None
    try:
        cls = getattr(module, class_name)
    except AttributeError:
        raise ConfigurationError(f"{module_name} does not define {class_name}") from None
    _loaded[vendor] = cls
    return cls


def adapter_for(account, client=None) -> VendorAdapter:
    """A fresh adapter instance for one account (one per unit of work)."""
    return adapter_class(account.vendor)(account, client=client)


def capabilities(vendor: str) -> Capabilities:
    return adapter_class(vendor).capabilities


def available_vendors() -> list[str]:
    """Vendors whose adapter module can be imported right now (for forms offering a vendor)."""
    found = []
    for vendor in ADAPTERS:
        try:
            adapter_class(vendor)
        except ConfigurationError:
            continue
        found.append(vendor)
    return found


@contextmanager
def registered(vendor: str, cls: type[VendorAdapter]):
    """Register an adapter class for the duration of a block (tests register small scripted adapters)."""
    previous_path, previous_cls = ADAPTERS.get(vendor), _loaded.get(vendor)
    ADAPTERS[vendor] = f"{cls.__module__}.{cls.__qualname__}"
    _loaded[vendor] = cls
    try:
        yield cls
    finally:
        _loaded.pop(vendor, None)
        if previous_path is None:
            ADAPTERS.pop(vendor, None)
        else:
            ADAPTERS[vendor] = previous_path
        if previous_cls is not None:
            _loaded[vendor] = previous_cls


# --- What the vendor packages add to the core ------------------------------------------------------------------
def _loadable() -> list[type[VendorAdapter]]:
    return [adapter_class(vendor) for vendor in available_vendors()]


def url_modules() -> list[str]:
    """The dotted paths of the vendor packages' url patterns (generations/urls.py mounts them)."""
    return [cls.urls for cls in _loadable() if cls.urls]


def connect_all() -> None:
    """Let every vendor package connect its signal handlers (called once, from generations.apps.ready)."""
    for cls in _loadable():
        cls.connect()


def suggests_prompts(vendor: str) -> bool:
    try:
        return adapter_class(vendor).suggests_prompts
    except ConfigurationError:
        return False


def contributions(page: str, accounts) -> list[tuple[Contribution, object]]:
    """What the given vendor accounts (a team's, or one account on its own page) add to `page`, in vendor order:
    (contribution, account) pairs. A panel shows for any account of its vendor (it explains a disabled one); an
    action or a link needs an active account, the first by name, which it acts through."""
    by_vendor: dict[str, list] = {}
    for account in sorted(accounts, key=lambda a: (a.name, a.pk)):
        by_vendor.setdefault(account.vendor, []).append(account)
    found = []
    for vendor in ADAPTERS:
        if vendor not in by_vendor:
            continue
        try:
            cls = adapter_class(vendor)
        except ConfigurationError:
            continue
        active = [a for a in by_vendor[vendor] if a.state == AccountState.ACTIVE]
        for piece in cls.contributions:
            if piece.page != page:
                continue
            account = by_vendor[vendor][0] if piece.kind == "panel" else (active[0] if active else None)
            if account is not None:
                found.append((piece, account))
    return found


def account_offering(team, feature: str):
    """The team's first active account (with a key) whose vendor provides a team feature (`team_features`), or None."""
    vendors = [vendor for vendor in available_vendors() if feature in adapter_class(vendor).team_features]
    return (VendorAccount.objects.filter(team=team, vendor__in=vendors, state=AccountState.ACTIVE)
            .exclude(api_key_encrypted="").order_by("pk").first())
