"""The push fan-out's HTTP/1.1 client (services/push_http.py) against a real socket server that answers
what real push services may: chunked or sized bodies, an interim 100, `Connection: close`, a connection
dropped while idle, no answer at all. Each POST must read the right status and headers, reuse a
connection only when that is safe, and never hang."""

import socket
import threading

import pytest

from companion.services import push_http


class Scripted:
    """Accepts connections on 127.0.0.1 and answers each request with the next scripted bytes
    (None: close the connection without answering; "hang": read, then say nothing)."""

    def __init__(self, answers: list):
        self.answers, self.requests, self.connections = list(answers), [], 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/push/abc"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        buf = b""
        with conn:
            while self.answers:
                while b"\r\n\r\n" not in buf:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                head, _, buf = buf.partition(b"\r\n\r\n")
                length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                                  if line.lower().startswith(b"content-length")))
                while len(buf) < length:
                    buf += conn.recv(65536)
                self.requests.append((head, buf[:length]))
                buf = buf[length:]
                answer = self.answers.pop(0)
                if answer is None:
                    return
                if answer == "hang":
                    threading.Event().wait(5)
                    return
                if isinstance(answer, tuple):  # ("trickle", bytes): a byte every 0.1 s
                    try:
                        for byte in answer[1]:
                            conn.sendall(bytes([byte]))
                            threading.Event().wait(0.1)
                    except OSError:  # the client gave up (its timeout) and closed
                        return
                    continue
                conn.sendall(answer)

    def close(self):
        self.sock.close()


@pytest.fixture
def scripted():
    servers = []

    def make(answers):
        servers.append(Scripted(answers))
        return servers[-1]

    yield make
    for server in servers:
        server.close()


def test_one_request_carries_the_headers_and_body_and_the_connection_is_kept(scripted):
    server = scripted([b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n",
                       b"HTTP/1.1 201 Created\r\nContent-Length: 5\r\n\r\nhello"])
    http = push_http.Connections(4)
    assert http.post(server.url, {"TTL": "60", "Topic": "t"}, b"\x01\x02", 5)[0] == 201
    assert http.post(server.url, {"TTL": "60"}, b"body", 5)[0] == 201
    head, body = server.requests[0]
    assert head.startswith(b"POST /push/abc HTTP/1.1\r\n") and b"\r\nTTL: 60" in head and b"Topic: t" in head
    assert body == b"\x01\x02" and server.requests[1][1] == b"body"
    assert server.connections == 1


def test_chunked_and_interim_answers_are_read_whole(scripted):
    server = scripted([b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 429 Too Many\r\nRetry-After: 600\r\n"
                       b"Transfer-Encoding: chunked\r\n\r\n5;x=y\r\nslow \r\n4\r\ndown\r\n0\r\n"
                       b"X-T: 1\r\n\r\n",
                       b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"])
    http = push_http.Connections(4)
    status, headers = http.post(server.url, {}, b"x", 5)
    assert status == 429 and headers["retry-after"] == "600"
    assert http.post(server.url, {}, b"x", 5)[0] == 201 and server.connections == 1


def test_a_connection_the_service_closes_is_not_used_again(scripted):
    server = scripted([b"HTTP/1.1 201 Created\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
                       b"HTTP/1.1 410 Gone\r\nContent-Length: 0\r\n\r\n", None,
                       b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"])
    http = push_http.Connections(4)
    assert http.post(server.url, {}, b"x", 5)[0] == 201
    assert http.post(server.url, {}, b"x", 5)[0] == 410
    with pytest.raises(ConnectionError):  # closed without an answer: the sender retries later
        http.post(server.url, {}, b"x", 5)
    assert http.post(server.url, {}, b"x", 5)[0] == 201
    assert server.connections == 3


def test_a_silent_service_times_out_instead_of_holding_the_worker(scripted):
    server = scripted(["hang"])
    with pytest.raises(TimeoutError):
        push_http.Connections(4).post(server.url, {}, b"x", 0.3)


def test_an_answer_sent_a_byte_at_a_time_cannot_hold_the_post_past_its_timeout(scripted):
    """Each byte comes well within the timeout, the whole answer (4 s) far past it: the message gives up
    at its timeout, which the batch's lease counts on (else another worker sends it again meanwhile)."""
    server = scripted([("trickle", b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")])
    with pytest.raises(TimeoutError):
        push_http.Connections(4).post(server.url, {}, b"x", 0.5)


def test_an_answer_that_is_not_http_is_refused(scripted):
    server = scripted([b"SSH-2.0-OpenSSH\r\n\r\n"])
    with pytest.raises(push_http.AnswerError):
        push_http.Connections(4).post(server.url, {}, b"x", 5)
