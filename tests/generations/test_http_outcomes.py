"""vendors/http.py sorts every failure of a request by what it tells us about the outcome (DESIGN.md §4), tested
against real sockets on 127.0.0.1: a port that refuses (not sent: retry freely), a server that accepts and never
answers, one that closes mid-body, gateways and unreadable bodies (sent, answer lost: OutcomeUnknown for a request
that changes something; a plain retry for a safe GET)."""
import socket
import threading

import httpx
import pytest

from generations.vendors.base import OutcomeUnknown, Unavailable, ValidationFailed
from generations.vendors.http import VendorClient


class RawServer:
    """A TCP server on 127.0.0.1 that answers every connection with `behaviour(conn, request_bytes)`."""

    def __init__(self, behaviour):
        self.behaviour, self.requests = behaviour, []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.stop = threading.Event()
        threading.Thread(target=self.serve, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def serve(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            data = conn.recv(65536)
            self.requests.append(data)
            try:
                self.behaviour(conn, data)
            except OSError:
                pass

    def close(self):
        self.stop.set()
        self.sock.close()


def never_answers(conn, data):
    threading.Event().wait(3)  # holds the connection open past the client's read timeout
    conn.close()


def closes_mid_body(conn, data):
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"job_id\": \"jo")
    conn.close()


def answers(status, body=b'{"detail": "x"}', content_type=b"application/json"):
    def behaviour(conn, data):
        reason = {200: b"OK", 500: b"Internal Server Error", 502: b"Bad Gateway", 503: b"Service Unavailable",
                  504: b"Gateway Timeout", 422: b"Unprocessable"}[status]
        conn.sendall(b"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
                     % (status, reason, content_type, len(body), body))
        conn.close()
    return behaviour


@pytest.fixture
def server(request):
    made = []

    def make(behaviour):
        made.append(RawServer(behaviour))
        return made[-1]

    yield make
    for s in made:
        s.close()


def client(url, sent=None):
    timeout = httpx.Timeout(connect=1.0, read=0.5, write=0.5, pool=1.0)
    return VendorClient(url, timeout=timeout, before_send=(lambda m, p: sent.append((m, p))) if sent is not None
                        else None)


def test_a_post_to_a_server_that_never_answers_is_an_unknown_outcome(server):
    srv = server(never_answers)
    with pytest.raises(OutcomeUnknown, match="did not answer in time"):
        client(srv.url).post("/tryon", json={"a": 1})
    assert len(srv.requests) == 1 and srv.requests[0].startswith(b"POST /tryon")


def test_a_get_to_a_server_that_never_answers_is_a_plain_retry(server):
    srv = server(never_answers)
    with pytest.raises(Unavailable) as caught:
        client(srv.url).get("/jobs/1")
    assert not isinstance(caught.value, OutcomeUnknown)


def test_a_connection_closed_mid_body_is_an_unknown_outcome(server):
    srv = server(closes_mid_body)
    with pytest.raises(OutcomeUnknown, match="broke before its answer"):
        client(srv.url).post("/generation", json={})


def test_a_refused_port_was_never_sent_and_is_safe_to_retry(server):
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now: the connection is refused
    with pytest.raises(Unavailable, match="was not sent") as caught:
        client(f"http://127.0.0.1:{port}").post("/tryon", json={})
    assert not isinstance(caught.value, OutcomeUnknown)


@pytest.mark.parametrize("status", [502, 503, 504])
def test_a_gateway_error_to_a_post_is_an_unknown_outcome(server, status):
    srv = server(answers(status))
    with pytest.raises(OutcomeUnknown):
        client(srv.url).post("/v1/workflows/run/w", json={})


@pytest.mark.parametrize("status", [502, 504])
def test_a_gateway_error_to_a_get_is_a_plain_retry(server, status):
    srv = server(answers(status))
    with pytest.raises(Unavailable) as caught:
        client(srv.url).get("/v1/pipelines/p")
    assert not isinstance(caught.value, OutcomeUnknown)


def test_a_500_is_the_vendors_own_answer_and_not_an_unknown_outcome(server):
    srv = server(answers(500))
    with pytest.raises(Unavailable) as caught:
        client(srv.url).post("/generation", json={})
    assert not isinstance(caught.value, OutcomeUnknown) and caught.value.status_code == 500


def test_an_unreadable_2xx_body_to_a_post_is_an_unknown_outcome(server):
    srv = server(answers(200, body=b"<html>ok</html>", content_type=b"text/html"))
    with pytest.raises(OutcomeUnknown, match="not JSON"):
        client(srv.url).post("/tryon", json={})


def test_a_refusal_is_a_refusal(server):
    srv = server(answers(422, body=b'{"detail": "prompt too long"}'))
    with pytest.raises(ValidationFailed, match="prompt too long"):
        client(srv.url).post("/tryon", json={})


def test_before_send_is_told_only_about_requests_that_change_something(server):
    srv = server(answers(200, body=b"{}"))
    sent = []
    c = client(srv.url, sent)
    c.get("/jobs/1")
    c.post("/tryon", json={})
    assert sent == [("POST", "/tryon")]


def test_the_accounts_own_key_is_removed_from_a_vendor_message_whatever_its_shape(server):
    key = "Kq7Zt2Vw9Xy4Pb6N"
    srv = server(answers(422, body=b'{"detail": "The key Kq7Zt2Vw9Xy4Pb6N is not valid (kq7zt2vw9x...)"}'))
    with pytest.raises(ValidationFailed) as caught:
        VendorClient(srv.url, secrets=(key,)).post("/x", json={})
    text = f"{caught.value} {caught.value.response_text}".lower()
    assert key.lower() not in text and "kq7zt2vw9x" not in text and "is not valid" in text
