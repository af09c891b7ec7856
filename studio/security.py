"""Small security helpers shared by the login throttle (django-axes) and the audit log."""
from django.conf import settings


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or, behind STUDIO_PROXY_COUNT trusted reverse proxies, the address the
    outermost of them saw (the right-hand entries of X-Forwarded-For are the ones our proxies wrote; anything to
    their left is what the client claims and is not trusted)."""
    if request is None:
        return None
    proxies = getattr(settings, "STUDIO_PROXY_COUNT", 0)
    if proxies:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or None
