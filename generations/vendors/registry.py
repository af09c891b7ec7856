"""Vendor name → adapter class, as dotted paths imported on first use (after healthchecks' TRANSPORTS registry).

Lazy so that importing the engine never imports every vendor module, and so that a vendor module that is missing
or broken fails only the accounts that use it, with a ConfigurationError that says what is wrong.
"""
from __future__ import annotations

from contextlib import contextmanager
from importlib import import_module

from .base import Capabilities, ConfigurationError, VendorAdapter

ADAPTERS: dict[str, str] = {
    "sandbox": "generations.vendors.sandbox.adapter.SandboxAdapter",
    "huhu": "generations.vendors.huhu.adapter.HuhuAdapter",
    "uwear": "generations.vendors.uwear.adapter.UwearAdapter",
    "hautech": "generations.vendors.hautech.adapter.HautechAdapter",
    "artemotion": "generations.vendors.artemotion.adapter.ArtEmotionAdapter",
}

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
