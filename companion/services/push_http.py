"""The HTTP/1.1 client of the push fan-out: a POST written in one send on a connection kept open per push
service, and its status line and headers read back (the body of a push service's answer is skipped).

Why not requests or urllib3: measured on the fan-out, their per-message work (building and parsing
headers through http.client and the email parser, pool bookkeeping) cost more CPU than the message's
encryption, for a protocol exchange that is always the same POST. What is kept: TLS checked against the
CA bundle (certifi, or REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE), an HTTPS proxy from the environment
(HTTPS_PROXY through CONNECT, NO_PROXY honoured), connect and read timeouts, Content-Length or chunked
answers, and a connection the push service closed is never reused.
"""

import base64
import os
import select
import socket
import ssl
import threading
import time
import urllib.request
from urllib.parse import unquote, urlsplit

import certifi

MAX_HEAD = 64 * 1024  # a push service's status line and headers
MAX_BODY = 1024 * 1024  # an answer's body read (and dropped) to keep the connection; beyond, closed


class AnswerError(ConnectionError):
    """The push service closed the connection or answered something that is not HTTP/1.x."""


class _Reader:
    """Reads an answer by `deadline` (time.monotonic()): a push service that sends it a byte at a time
    cannot keep a POST alive past its timeout, which the batch's lease counts on (services/delivery.py)."""

    def __init__(self, sock: socket.socket, deadline: float):
        self.sock, self.buf, self.deadline = sock, b"", deadline

    def fill(self) -> None:
        self.sock.settimeout(left(self.deadline))
        data = self.sock.recv(65536)
        if not data:
            raise AnswerError("connection closed by the push service")
        self.buf += data

    def line(self) -> bytes:
        while b"\r\n" not in self.buf:
            if len(self.buf) > MAX_HEAD:
                raise AnswerError("answer line too long")
            self.fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def skip(self, n: int) -> None:
        while len(self.buf) < n:
            self.fill()
        self.buf = self.buf[n:]


def left(deadline: float) -> float:
    """The seconds left until `deadline`; a TimeoutError (an OSError: the message is tried again later)
    once it has passed."""
    seconds = deadline - time.monotonic()
    if seconds <= 0:
        raise TimeoutError("the push service took longer than the message's timeout")
    return seconds


def read_answer(sock: socket.socket, deadline: float) -> tuple[int, dict[str, str], bool]:
    """Status, headers (lower-case names) and whether the connection may be used again."""
    reader = _Reader(sock, deadline)
    while True:
        status_line = reader.line().decode("latin-1")
        headers = {}
        while line := reader.line():
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        version, _, rest = status_line.partition(" ")
        if not version.startswith("HTTP/1.") or not rest[:3].isdigit():
            raise AnswerError(f"not an HTTP answer: {status_line[:40]!r}")
        status = int(rest[:3])
        if status >= 200:
            break  # 1xx interim answers (100 Continue, 103 Early Hints) precede the real one
    keep = version == "HTTP/1.1" and "close" not in headers.get("connection", "").lower()
    if "chunked" in headers.get("transfer-encoding", "").lower():
        while size := int(reader.line().split(b";")[0], 16):
            reader.skip(size + 2)
        while reader.line():  # trailers, up to the empty line
            pass
    elif "content-length" in headers and int(headers["content-length"]) <= MAX_BODY:
        reader.skip(int(headers["content-length"]))
    elif status not in (204, 304):
        keep = False  # a body that runs to the end of the connection, or too big to read
    return status, headers, keep and not reader.buf


class Connections:
    """Open connections per (scheme, host, port), taken by one thread at a time."""

    def __init__(self, size: int):
        self.size = size
        self._idle: dict[tuple, list[socket.socket]] = {}
        self._lock = threading.Lock()
        ca = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or certifi.where()
        self._tls = ssl.create_default_context(cafile=ca)
        self._tls.set_alpn_protocols(["http/1.1"])
        self._proxy = urllib.request.getproxies().get("https")  # read once, not on every message

    def post(self, url: str, headers: dict[str, str], body: bytes, timeout: float) -> tuple[int, dict]:
        """`timeout`: for the whole exchange (connecting, sending, the answer), not for each read."""
        deadline = time.monotonic() + timeout
        parts = urlsplit(url)
        tls = parts.scheme == "https"
        key = (parts.scheme, parts.hostname, parts.port or (443 if tls else 80))
        sock = self._take(key) or self._connect(key, deadline)
        try:
            sock.settimeout(left(deadline))
            head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
            sock.sendall(f"POST {parts.path or '/'}{'?' + parts.query if parts.query else ''} HTTP/1.1\r\n"
                         f"Host: {parts.netloc}\r\nContent-Length: {len(body)}\r\n{head}\r\n"
                         .encode("latin-1") + body)
            status, answer, keep = read_answer(sock, deadline)
        except BaseException:
            sock.close()
            raise
        self._give(key, sock) if keep else sock.close()
        return status, answer

    def _take(self, key: tuple) -> socket.socket | None:
        while True:
            with self._lock:
                idle = self._idle.get(key)
                sock = idle.pop() if idle else None
            if sock is None:
                return None
            # Readable while idle: the push service closed it (or sent what we did not ask for).
            if not select.select([sock], [], [], 0)[0]:
                return sock
            sock.close()

    def _give(self, key: tuple, sock: socket.socket) -> None:
        with self._lock:
            idle = self._idle.setdefault(key, [])
            if len(idle) < self.size:
                idle.append(sock)
                return
        sock.close()

    def _connect(self, key: tuple, deadline: float) -> socket.socket:
        scheme, host, port = key
        proxy = self._proxy if scheme == "https" and not urllib.request.proxy_bypass(host) else None
        if proxy:
            sock = _tunnel(proxy, host, port, deadline)
        else:
            sock = socket.create_connection((host, port), timeout=left(deadline))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # one write per message: no delay
        if scheme != "https":
            return sock
        sock.settimeout(left(deadline))  # the TLS handshake too
        return self._tls.wrap_socket(sock, server_hostname=host)


def _tunnel(proxy: str, host: str, port: int, deadline: float) -> socket.socket:
    """A CONNECT tunnel through an HTTP proxy (user:password@ in its URL sent as Basic)."""
    parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    sock = socket.create_connection((parts.hostname, parts.port or 8080), timeout=left(deadline))
    auth = ""
    if parts.username:
        secret = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
        auth = f"Proxy-Authorization: Basic {base64.b64encode(secret).decode()}\r\n"
    sock.sendall(f"CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n{auth}\r\n".encode())
    try:
        status, _, _ = read_answer(sock, deadline)
    except BaseException:
        sock.close()
        raise
    if status != 200:
        sock.close()
        raise AnswerError(f"the proxy refused the tunnel ({status})")
    return sock
