"""The guarded downloader: nothing that came from outside reaches a private address, and nothing is unbounded.

A loopback listener counts every TCP connection it accepts; each forbidden form must leave it at zero.
"""
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from generations.engine import outputs
from generations.vendors import http
from generations.vendors.base import FetchRefused, OutputExpired, RemoteOutput

from .test_engine_support import png


class Listener:
    """A bare TCP listener on 127.0.0.1 that counts connections (and answers nothing useful)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.hits = 0
        self._stop = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.hits += 1
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            conn.close()

    def close(self):
        self._stop = True
        self.sock.close()


class FakeFiles(BaseHTTPRequestHandler):
    """A fake vendor file host: /png, /html, /redirect?to=, /loop, /huge (streams until the client hangs up),
    /liar (claims 200 MB in Content-Length), /expired."""

    sent = 0
    redirect_to = ""

    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802
        path = self.path.split("?")[0]
        if path == "/png":
            self._send(200, png(), "image/png")
        elif path == "/html":
            self._send(200, b"<html><body>Sign in to continue</body></html>", "text/html")
        elif path == "/redirect":
            self.send_response(302)
            self.send_header("Location", type(self).redirect_to)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == "/loop":
            self.send_response(302)
            self.send_header("Location", "/loop")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == "/huge":
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            chunk = b"\0" * 65536
            try:
                for _ in range(200 * 16):  # 200 MB, unless the client stops reading
                    self.wfile.write(chunk)
                    type(self).sent += len(chunk)
            except OSError:
                pass
        elif path == "/liar":
            self.send_response(200)
            self.send_header("Content-Length", str(200 * 1024 * 1024))
            self.end_headers()
            try:
                self.wfile.write(b"\0" * 1024)
            except OSError:
                pass
        else:
            self._send(403, b"<Error>Request has expired</Error>", "application/xml")

    def _send(self, status, body, content_type):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def listener():
    listening = Listener()
    yield listening
    listening.close()


@pytest.fixture
def fake(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeFiles)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    FakeFiles.sent = 0
    port = server.server_address[1]
    settings.STUDIO_FETCH_ALLOW_HOSTS = [f"127.0.0.1:{port}"]
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def no_connections(monkeypatch):
    """Fail loudly if anything tries to open a connection."""
    attempts = []

    def refuse(self, request):
        attempts.append(str(request.url))
        raise AssertionError("a connection was attempted")

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", refuse)
    return attempts


@pytest.mark.parametrize("form", ["127.0.0.1", "2130706433", "0x7f000001", "127.1", "0177.0.0.1", "localhost",
                                  "[::ffff:127.0.0.1]", "[::1]"])
def test_every_spelling_of_loopback_is_refused_before_connecting(listener, form):
    with pytest.raises(FetchRefused):
        http.fetch_public(f"http://{form}:{listener.port}/out.png")
    assert listener.hits == 0


@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata (link-local)
    "http://100.64.0.1/x.png",  # CGNAT
    "http://10.0.0.5/x.png", "http://192.168.1.1/x.png", "http://172.16.0.1/x.png", "http://0.0.0.0/x.png",
    "http://[64:ff9b::a9fe:a9fe]/x.png",  # NAT64 embedding 169.254.169.254
    "http://[64:ff9b::7f00:1]/x.png",  # NAT64 embedding 127.0.0.1
    "http://[2002:a9fe:a9fe::1]/x.png",  # 6to4 embedding 169.254.169.254
    "http://[2002:c0a8:0101::1]/x.png",  # 6to4 embedding 192.168.1.1
    "http://[::ffff:a9fe:a9fe]/x.png",  # IPv4-mapped metadata
    "http://[fe80::1]/x.png", "http://[fc00::1]/x.png",
])
def test_private_and_metadata_addresses_are_refused_without_a_connection_attempt(no_connections, url):
    with pytest.raises(FetchRefused):
        http.fetch_public(url)
    assert no_connections == []


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/x.png", "gopher://example.com/"])
def test_only_http_and_https_are_fetched(no_connections, url):
    with pytest.raises(FetchRefused):
        http.fetch_public(url)
    assert no_connections == []


def test_a_redirect_from_an_allowed_host_to_loopback_is_refused(fake, listener):
    FakeFiles.redirect_to = f"http://127.0.0.1:{listener.port}/steal"
    with pytest.raises(FetchRefused):
        http.fetch_public(f"{fake}/redirect")
    assert listener.hits == 0


def test_a_redirect_to_a_decimal_loopback_is_refused(fake, listener):
    FakeFiles.redirect_to = f"http://2130706433:{listener.port}/steal"
    with pytest.raises(FetchRefused):
        http.fetch_public(f"{fake}/redirect")
    assert listener.hits == 0


def test_a_redirect_that_stays_on_an_allowed_host_is_followed(fake):
    FakeFiles.redirect_to = f"{fake}/png"
    assert http.fetch_public(f"{fake}/redirect").data == png()


def test_a_redirect_loop_stops_after_five_hops(fake):
    with pytest.raises(FetchRefused, match="redirects"):
        http.fetch_public(f"{fake}/loop")


def test_a_200_mb_stream_is_cut_at_the_cap(fake):
    with pytest.raises(FetchRefused, match="limit"):
        http.fetch_public(f"{fake}/huge", max_bytes=1024 * 1024)
    assert FakeFiles.sent < 100 * 1024 * 1024  # we hung up long before the end


def test_a_content_length_over_the_cap_is_refused_before_reading(fake):
    with pytest.raises(FetchRefused, match="limit"):
        http.fetch_public(f"{fake}/liar", max_bytes=1024 * 1024)


def test_an_expired_output_url_is_reported_as_expired(fake):
    with pytest.raises(OutputExpired):
        http.fetch_public(f"{fake}/expired?X-Amz-Signature=abc")


def test_the_connection_goes_to_the_address_that_was_checked(monkeypatch):
    """DNS rebinding: the name resolves to a public address for the check and to loopback afterwards; the request
    must still go to the checked address, with the original Host header."""
    answers = iter(["93.184.216.34", "127.0.0.1", "127.0.0.1"])
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, port, *a, **k: [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))])
    seen = []

    def answer(self, request):
        seen.append((request.url.host, request.headers["Host"], request.extensions.get("sni_hostname")))
        return httpx.Response(200, content=png(), headers={"Content-Type": "image/png"})

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", answer)

    fetched = http.fetch_public("https://cdn.vendor.example/out.png")

    assert fetched.data == png()
    assert seen == [("93.184.216.34", "cdn.vendor.example", "cdn.vendor.example")]


def test_html_instead_of_an_image_is_refused_by_the_output_check(fake, db):
    from tests.factories import TaskFactory

    task = TaskFactory(vendor_task_id="job-1")
    with pytest.raises(outputs.RejectedOutput, match="not an image"):
        outputs.store(task, RemoteOutput(result_id="r1", url=f"{fake}/html"), 0)
    assert not task.outputs.exists()


def test_a_real_image_is_stored_once(fake, db):
    from tests.factories import TaskFactory

    task = TaskFactory(vendor_task_id="job-1")
    first, created = outputs.store(task, RemoteOutput(result_id="r1", url=f"{fake}/png"), 0)
    again, created_again = outputs.store(task, RemoteOutput(result_id="r1", url=f"{fake}/png"), 0)
    assert created and not created_again and first.pk == again.pk


def test_request_logs_carry_no_query_string_or_headers(fake, caplog):
    caplog.set_level("INFO", logger="generations.vendors.http")
    http.fetch_public(f"{fake}/png?token=very-secret-signature")
    client = http.VendorClient(fake, headers={"Authorization": "Bearer sk-live-123456789"})
    client.request("GET", "/png?api_key=hunter2")
    text = caplog.text
    assert "/png" in text and "200" in text
    assert "very-secret-signature" not in text and "hunter2" not in text and "sk-live" not in text
