"""The one client maps vendor answers onto the error tree, with the vendor's own message."""
import email.utils
import time

import httpx
import pytest

from generations.vendors import http
from generations.vendors.base import (AuthError, Forbidden, InsufficientCredits, NotFound, RateLimited, Unavailable,
                                      ValidationFailed)


def client_answering(status, *, json=None, text=None, headers=None, exc=None):
    def handler(request):
        if exc is not None:
            raise exc
        if json is not None:
            return httpx.Response(status, json=json, headers=headers)
        return httpx.Response(status, text=text or "", headers=headers)

    return http.VendorClient("https://api.vendor.example", transport=httpx.MockTransport(handler))


@pytest.mark.parametrize("status, error", [(401, AuthError), (403, Forbidden), (402, InsufficientCredits),
                                           (400, ValidationFailed), (422, ValidationFailed), (404, NotFound),
                                           (429, RateLimited), (500, Unavailable), (502, Unavailable),
                                           (503, Unavailable)])
def test_each_status_maps_to_its_branch_of_the_tree(status, error):
    with pytest.raises(error) as caught:
        client_answering(status, json={"detail": "nope"}).get("/task")
    assert caught.value.status_code == status


@pytest.mark.parametrize("body, message, code", [
    ({"detail": "Garment image is required"}, "Garment image is required", ""),
    ({"error": "Invalid workflow id"}, "Invalid workflow id", ""),
    ({"message": "num_images must be 1-4"}, "num_images must be 1-4", ""),
    ({"error": {"code": "INVALID_IMAGE", "message": "Image too small"}}, "Image too small", "INVALID_IMAGE"),
    ({"detail": [{"loc": ["body", "prompt"], "msg": "field required"}]}, "field required", ""),
])
def test_the_vendors_message_is_kept_from_every_error_shape(body, message, code):
    with pytest.raises(ValidationFailed) as caught:
        client_answering(422, json=body).post("/tryon", json={})
    assert caught.value.args[0] == message and caught.value.vendor_code == code


def test_retry_after_in_seconds():
    with pytest.raises(RateLimited) as caught:
        client_answering(429, json={"error": "rate limited"}, headers={"Retry-After": "17"}).get("/x")
    assert caught.value.retry_after == 17


def test_retry_after_as_an_http_date():
    when = email.utils.formatdate(time.time() + 120, usegmt=True)
    with pytest.raises(RateLimited) as caught:
        client_answering(429, text="slow down", headers={"Retry-After": when}).get("/x")
    assert 100 < caught.value.retry_after <= 121


@pytest.mark.parametrize("exc", [httpx.ReadTimeout("read"), httpx.ConnectTimeout("connect"),
                                 httpx.ConnectError("refused"), httpx.RemoteProtocolError("dropped")])
def test_timeouts_and_dropped_connections_are_unavailable(exc):
    with pytest.raises(Unavailable):
        client_answering(200, exc=exc).get("/x")


def test_an_html_error_page_does_not_become_the_message():
    with pytest.raises(Unavailable) as caught:
        client_answering(502, text="<html>" + "x" * 10000 + "</html>").get("/x")
    assert "<html>" not in str(caught.value) and len(caught.value.response_text) <= 2000


def test_timeouts_default_to_five_seconds_connect_and_thirty_read():
    timeout = http.timeouts()
    assert timeout.connect == 5 and timeout.read == 30


def test_a_key_the_vendor_echoes_back_never_reaches_the_message():
    with pytest.raises(AuthError) as caught:
        client_answering(401, json={"detail": "Invalid API key sk-live-abcdef123456"}).get("/x")
    assert "abcdef123456" not in str(caught.value)
