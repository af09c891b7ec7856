"""The one HTTP client for vendor calls, and the guarded downloader for URLs that came from outside.

- `VendorClient`: httpx with timeouts (connect 5 s, read 30 s by default: well inside the Celery time limit, so a
  hanging vendor is retried later instead of killing the worker), a user agent, logging of method + host + path +
  status + duration only (never headers, query strings or bodies: keys and signed URLs live there), and the mapping
  of failures onto the error tree in vendors/base.py.
- `fetch_public(url, max_bytes)`: vendor output URLs are fetched through a guard that refuses any non-public
  address (SSRF), connects to the exact IP it checked (no DNS rebinding between check and connect), re-checks every
  redirect hop and caps the bytes (RELIABILITY.md "Tenancy and secrets", "Vendors").
"""
from __future__ import annotations

import email.utils
import functools
import ipaddress
import logging
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from django.conf import settings

from studio.logging import redact, redact_secrets

from .errors import (AuthError, FetchRefused, Forbidden, InsufficientCredits, NotFound, OutcomeUnknown, OutputExpired,
                   RateLimited, Unavailable, ValidationFailed, VendorError)

logger = logging.getLogger("generations.vendors.http")

USER_AGENT = "FashionStudio/1.0 (+vendor engine)"
MAX_REDIRECTS = 5
_CHUNK = 64 * 1024


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One verifying TLS context per process. httpx builds a new one (loading the whole CA bundle, ~20 ms of CPU)
    for every Client unless it is handed one; the engine opens a client per step, so that cost was per vendor call.
    An SSLContext is safe to share between clients and threads (Python docs, "ssl — SSL Context")."""
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


def timeouts() -> httpx.Timeout:
    return httpx.Timeout(
        connect=getattr(settings, "STUDIO_HTTP_CONNECT_TIMEOUT", 5.0),
        read=getattr(settings, "STUDIO_HTTP_READ_TIMEOUT", 30.0),
        write=getattr(settings, "STUDIO_HTTP_READ_TIMEOUT", 30.0),
        pool=getattr(settings, "STUDIO_HTTP_CONNECT_TIMEOUT", 5.0),
    )


def _log(method: str, url: httpx.URL, status: int | str, started: float) -> None:
    # raw_path would include the query string (signed URLs, keys): log the path only.
    logger.info("%s %s%s -> %s in %.0f ms", method, url.host, url.path, status, (time.monotonic() - started) * 1000)


# --- Error mapping ----------------------------------------------------------------------------------------------
def vendor_message(response: httpx.Response, secrets: tuple[str, ...] = ()) -> tuple[str, str]:
    """(message, code) from the JSON error shapes the vendors use: {"detail": ..}, {"error": ".."},
    {"message": ..}, {"error": {"code", "message"}}, FastAPI's {"detail": [{"msg": ..}]}. Falls back to the reason."""
    try:
        body = response.json()
    except ValueError:
        body = None
    code = ""
    message = ""
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            code = str(error.get("code") or "")
            message = str(error.get("message") or error.get("detail") or "")
        elif isinstance(error, str):
            message = error
        detail = body.get("detail")
        if not message and isinstance(detail, list):
            message = "; ".join(str(d.get("msg", d)) if isinstance(d, dict) else str(d) for d in detail)
        elif not message and detail:
            message = str(detail)
        message = message or str(body.get("message") or "")
        code = code or str(body.get("code") or "")
    # Some vendors echo the key they rejected ("Invalid API key sk-…", "The key XYZ is not valid"): the message is
    # shown in pages and logs, so the account's own secrets go first, then anything shaped like a credential.
    return redact(redact_secrets(message or response.reason_phrase or f"HTTP {response.status_code}", secrets))[:500], code


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After is either delta-seconds or an HTTP-date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def error_for_response(response: httpx.Response, secrets: tuple[str, ...] = ()) -> VendorError | None:
    """The error a non-2xx vendor response means, or None for success."""
    status = response.status_code
    if status < 400:
        return None
    message, code = vendor_message(response, secrets)
    text = redact(redact_secrets(response.text, secrets)) if len(response.content) < 4000 else ""
    kwargs = {"status_code": status, "response_text": text, "vendor_code": code}
    if status == 401:
        return AuthError(message, **kwargs)
    if status == 403:  # another team's resource, not a bad key: see base.Forbidden
        return Forbidden(message, **kwargs)
    if status == 402:
        return InsufficientCredits(message, **kwargs)
    if status in (400, 422):
        return ValidationFailed(message, **kwargs)
    if status == 404:
        return NotFound(message, **kwargs)
    if status == 429:
        return RateLimited(message, retry_after=parse_retry_after(response.headers.get("Retry-After")), **kwargs)
    if status >= 500:
        return Unavailable(message, **kwargs)
    return ValidationFailed(message, **kwargs)


def _allow_listed(host: str, port: int, entries) -> bool:
    """`entries` are "host" or "host:port", matched against the host exactly as written in the URL (so
    http://2130706433/ never matches "127.0.0.1")."""
    for entry in entries or []:
        entry_host, _, entry_port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "")
        if entry_host.lower() == host.lower() and (not entry_port or int(entry_port) == port):
            return True
    return False


def vendor_host_allowed(host: str, port: int) -> bool:
    """STUDIO_VENDOR_ALLOW_HOSTS: vendor API hosts exempt from the public-address and https rules (tests' fakes on
    127.0.0.1, a private deployment's staging endpoint). Empty by default."""
    return _allow_listed(host.strip("[]"), port, getattr(settings, "STUDIO_VENDOR_ALLOW_HOSTS", []))


def check_vendor_url(url: str | httpx.URL) -> tuple[httpx.URL, str]:
    """(URL, the IP to connect to) for a vendor API URL, or FetchRefused: https only, and every address the host
    resolves to must be public, unless the host is in STUDIO_VENDOR_ALLOW_HOSTS (RELIABILITY.md "a vendor base
    URL pointing at loopback, a private range or 169.254.169.254: refused before connecting")."""
    parsed = _parse(str(url)) if not isinstance(url, httpx.URL) else url
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise FetchRefused("the vendor URL must be an https URL")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    allowed = vendor_host_allowed(parsed.host, port)
    if parsed.scheme != "https" and not allowed:
        raise FetchRefused("vendor API calls go over https only")
    if parsed.userinfo:
        raise FetchRefused("the vendor URL must not carry a user name or password")
    addresses = resolved_addresses(parsed.host, port)
    if not addresses:
        raise FetchRefused("the vendor URL's host does not resolve")
    if not allowed and any(not is_public_address(a) for a in addresses):
        raise FetchRefused("the vendor URL points to a non-public address")
    return parsed, str(addresses[0])


class PublicVendorTransport(httpx.BaseTransport):
    """Checks every vendor API request before any connection is opened, then connects to the exact IP it checked
    while speaking to the original host (Host header, TLS SNI and certificate check): no DNS rebinding between
    check and connect. The same rule as fetch_public, for the account's base URL."""

    def __init__(self, inner: httpx.BaseTransport | None = None):
        self._inner = inner or httpx.HTTPTransport(verify=tls_context(), trust_env=False)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url, ip = check_vendor_url(request.url)
        if ip != url.host.strip("[]"):
            request.url = url.copy_with(host=ip)  # the Host header keeps the name httpx built it with
            if url.scheme == "https":
                request.extensions = {**request.extensions, "sni_hostname": url.host}
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


# A lost answer to one of these changes nothing at the vendor: asking again is always safe (RFC 9110 §9.2.1).
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Failures that happen before a single byte of the request reached the vendor: DNS, connection refused, connect
# timeout, a TLS handshake that failed (httpx raises ConnectError for it), no free connection in the pool, a
# request httpx refused to build. Whatever the method, retrying is safe.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol,
            httpx.LocalProtocolError, httpx.ProxyError)
# A gateway's answer: the request may have reached the vendor's application and been done there (DESIGN.md §4).
GATEWAY_STATUSES = frozenset({502, 503, 504})


class VendorClient:
    """httpx.Client bound to one account's base URL and auth headers. `request` raises the error tree, sorting every
    failure of a request that changes something into two kinds (DESIGN.md §4 "Unknown outcomes"):
    - not sent (NOT_SENT above): Unavailable, retry freely;
    - sent, answer lost (a read or write timeout, the connection dropped mid-response, a gateway 502/503/504, a 2xx
      body that cannot be read): OutcomeUnknown. An adapter that knows a documented meaning for a gateway status
      (ArtEmotion's 502 SUBMISSION_ERROR: refunded) translates it before the engine sees it.
    `before_send(method, path)` is called just before such a request goes out: the engine records that the paid
    call left, so a worker that dies after this point is known to have sent it, and one that died before is not.
    `secrets` are the account's own key and webhook secret: removed from every vendor message, whatever their shape,
    before it is raised (and so before it is stored, logged or shown)."""

    def __init__(self, base_url: str, *, headers: dict | None = None, transport: httpx.BaseTransport | None = None,
                 timeout: httpx.Timeout | None = None, secrets: tuple[str, ...] | list[str] = (),
                 before_send=None):
        # Every request goes through PublicVendorTransport (SSRF guard: https, public address, pinned). Only a test
        # hands in its own transport (httpx.MockTransport), which opens no connection at all.
        self._http = httpx.Client(base_url=base_url, headers={"User-Agent": USER_AGENT, **(headers or {})},
                                  timeout=timeout or timeouts(), transport=transport or PublicVendorTransport(),
                                  follow_redirects=False, trust_env=False)
        self.secrets = tuple(s for s in secrets if s)
        self.before_send = before_send

    def request(self, method: str, path: str, **kwargs) -> httpx.Response:
        method = method.upper()
        changes = method not in SAFE_METHODS
        if changes and self.before_send is not None:
            self.before_send(method, path)
        started = time.monotonic()
        try:
            response = self._http.request(method, path, **kwargs)
        except NOT_SENT as exc:
            _log(method, self._http.build_request(method, path).url, "not sent", started)
            raise Unavailable(f"could not reach the vendor; the request was not sent ({type(exc).__name__})") from None
        except httpx.TimeoutException as exc:  # read, write: the request (or part of it) went out
            _log(method, self._http.build_request(method, path).url, "timeout", started)
            error = OutcomeUnknown if changes else Unavailable
            raise error(f"the vendor did not answer in time ({type(exc).__name__})") from None
        except httpx.TransportError as exc:  # dropped mid-request or mid-response
            _log(method, self._http.build_request(method, path).url, "dropped", started)
            error = OutcomeUnknown if changes else Unavailable
            raise error(f"the connection to the vendor broke before its answer arrived ({type(exc).__name__})") \
                from None
        _log(method, response.request.url, response.status_code, started)
        error = error_for_response(response, self.secrets)
        if error is not None:
            if changes and response.status_code in GATEWAY_STATUSES and type(error) is Unavailable:
                raise OutcomeUnknown(error.args[0], status_code=error.status_code, response_text=error.response_text,
                                     vendor_code=error.vendor_code)
            raise error
        return response

    def json(self, method: str, path: str, **kwargs):
        response = self.request(method, path, **kwargs)
        try:
            return response.json()
        except ValueError:
            # A 2xx to a request that changes something was done even though we cannot read what it says.
            error = OutcomeUnknown if method.upper() not in SAFE_METHODS else Unavailable
            raise error("the vendor answered with something that is not JSON",
                        status_code=response.status_code) from None

    def get(self, path: str, **kwargs):
        return self.json("GET", path, **kwargs)

    def post(self, path: str, **kwargs):
        return self.json("POST", path, **kwargs)

    def close(self) -> None:
        self._http.close()


# --- The guarded downloader -------------------------------------------------------------------------------------
@dataclass
class Fetched:
    data: bytes
    content_type: str
    url: str


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries: IPv4-mapped ::ffff:a.b.c.d, 6to4 2002:AABB:CCDD::/16, NAT64
    64:ff9b::/96 (RFC 6052) and the deprecated IPv4-compatible ::a.b.c.d."""
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if ip.sixtofour:
        return ip.sixtofour
    packed = ip.packed
    if ip in ipaddress.IPv6Network("64:ff9b::/96") or ip in ipaddress.IPv6Network("64:ff9b:1::/48"):
        return ipaddress.IPv4Address(packed[-4:])
    if packed[:12] == bytes(12) and packed[12:] != bytes(4):
        return ipaddress.IPv4Address(packed[-4:])
    return None


def resolved_addresses(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """Every address `host` resolves to, as a socket would reach them ([] when it does not resolve). The one
    resolver behind the public-address guard: vendor API URLs, downloads, and ArtEmotion's reachability check."""
    try:
        infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        return []
    return [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]


def is_public_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return is_public_address(embedded)
    # is_global is False for loopback, private, link-local (169.254.169.254), CGNAT 100.64/10, documentation,
    # reserved and unspecified ranges.
    return ip.is_global and not ip.is_multicast


def _allowed_for_tests(host: str, port: int) -> bool:
    """STUDIO_FETCH_ALLOW_HOSTS lets tests reach their fake vendors on 127.0.0.1; empty in every real setting.
    Matches the host exactly as written in the URL, so http://2130706433/ never matches "127.0.0.1"."""
    for entry in getattr(settings, "STUDIO_FETCH_ALLOW_HOSTS", []) or []:
        entry_host, _, entry_port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "")
        if entry_host.lower() == host.lower() and (not entry_port or int(entry_port) == port):
            return True
    return False


def resolve_public(host: str, port: int) -> str:
    """The one IP we will connect to for `host`, after checking every address the name resolves to. Non-standard
    IPv4 spellings (2130706433, 0x7f000001, 127.1) resolve through inet_aton/getaddrinfo to what a socket would
    really reach, and are checked as that."""
    host = host.strip("[]")
    if not host:
        raise FetchRefused("the URL has no host")
    addresses = resolved_addresses(host, port)
    if not addresses:
        raise FetchRefused("the URL's host does not resolve")
    if _allowed_for_tests(host, port):
        return str(addresses[0])
    refused = [a for a in addresses if not is_public_address(a)]
    if refused:
        raise FetchRefused("the URL points to a non-public address")
    return str(addresses[0])


def _pinned_request(client: httpx.Client, url: httpx.URL) -> httpx.Request:
    """A request that connects to the checked IP while speaking to the original host (Host header, TLS SNI and
    certificate check), so a DNS answer that changes after the check cannot redirect the connection."""
    if url.scheme not in ("http", "https"):
        raise FetchRefused("only http and https URLs are fetched")
    port = url.port or (443 if url.scheme == "https" else 80)
    ip = resolve_public(url.host, port)
    default_port = url.port is None
    host_header = url.host if ":" not in url.host else f"[{url.host}]"
    if not default_port:
        host_header += f":{url.port}"
    pinned = url.copy_with(host=ip)
    extensions = {"sni_hostname": url.host} if url.scheme == "https" else {}
    return client.build_request("GET", pinned, headers={"Host": host_header}, extensions=extensions)


def fetch_public(url: str, max_bytes: int | None = None) -> Fetched:
    """Download a URL that came from outside (a vendor output). Raises FetchRefused for anything unsafe or too big,
    OutputExpired for 403/404/410 (expired signed URLs), Unavailable for 5xx, timeouts and dropped connections."""
    max_bytes = max_bytes or settings.STUDIO_MAX_DOWNLOAD_BYTES
    current = _parse(url)
    with httpx.Client(timeout=timeouts(), follow_redirects=False, headers={"User-Agent": USER_AGENT},
                      trust_env=False, verify=tls_context()) as client:
        for _hop in range(MAX_REDIRECTS + 1):
            request = _pinned_request(client, current)
            started = time.monotonic()
            try:
                response = client.send(request, stream=True)
            except httpx.TimeoutException:
                _log("GET", current, "timeout", started)
                raise Unavailable("the output download timed out") from None
            except httpx.TransportError as exc:
                _log("GET", current, "error", started)
                raise Unavailable(f"the output download failed ({type(exc).__name__})") from None
            try:
                _log("GET", current, response.status_code, started)
                if response.is_redirect:
                    current = _parse(str(current.join(response.headers.get("Location", ""))))
                    continue
                return _read_capped(response, current, max_bytes)
            finally:
                response.close()
    raise FetchRefused(f"more than {MAX_REDIRECTS} redirects")


def _parse(url: str) -> httpx.URL:
    try:
        return httpx.URL(url)
    except (httpx.InvalidURL, ValueError, TypeError):
        raise FetchRefused("the URL is not a valid http(s) URL") from None


def _read_capped(response: httpx.Response, url: httpx.URL, max_bytes: int) -> Fetched:
    if response.status_code in (401, 403, 404, 410):
        raise OutputExpired("the output URL has expired or is no longer available", status_code=response.status_code)
    if response.status_code >= 500 or response.status_code == 429:
        raise Unavailable("the output host is unavailable", status_code=response.status_code)
    if response.status_code >= 300:
        raise FetchRefused("the output URL did not answer with a file", status_code=response.status_code)
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise FetchRefused(f"the output is larger than the {max_bytes:,} byte limit")
    chunks, total = [], 0
    try:
        for chunk in response.iter_bytes(_CHUNK):
            total += len(chunk)
            if total > max_bytes:
                raise FetchRefused(f"the output is larger than the {max_bytes:,} byte limit")
            chunks.append(chunk)
    except httpx.TimeoutException:
        raise Unavailable("the output download timed out") from None
    except httpx.TransportError as exc:
        raise Unavailable(f"the output download was cut off ({type(exc).__name__})") from None
    return Fetched(b"".join(chunks), response.headers.get("Content-Type", ""), str(url))
