"""Where encrypted blobs live. `Storage` is the interface; `LocalStorage` (the default) keeps them
under the instance folder; `storage_s3.S3Storage` in an S3-compatible bucket (COMPANION_DOCUMENT_STORE)."""

import os
import re
import secrets
import socket
from collections.abc import Iterable
from pathlib import Path

KEY_RE = re.compile(r"^[0-9a-f]{32}$")
FOLDER_RE = re.compile(r"^[0-9a-f]{2}$")  # a key's first two characters
# A half-written file names its writer: <key>.<host>-<pid>.<random>.part
PART_RE = re.compile(r"^[0-9a-f]{32}\.(?P<host>[A-Za-z0-9-]+)-(?P<pid>\d+)\.[0-9a-f]+\.part$")


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:40] or "host"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # another user's process: alive; an absurd pid: let the age decide
    return True


class Storage:
    def put(self, key: str, data: bytes) -> None:  # whole or nothing
        raise NotImplementedError

    def get(self, key: str) -> bytes:
        raise NotImplementedError

    def delete(self, key: str) -> None:  # no error when absent
        raise NotImplementedError

    def put_stream(self, key: str, chunks: Iterable[bytes]) -> None:
        """Whole or nothing, like `put`, for a blob written piece by piece (an export archive)."""
        self.put(key, b"".join(chunks))

    def read_range(self, key: str, start: int, length: int) -> bytes:
        """`length` bytes from `start` (a resumed download reads only what it sends)."""
        return self.get(key)[start:start + length]

    def keys(self, older_than: float | None = None, prefix: str | None = None) -> list[str]:
        """Stored keys, only those last written before `older_than` (a timestamp) when given, and only
        those starting with `prefix` (two characters: one folder of the store) when given."""
        raise NotImplementedError


def _folder(prefix: str) -> str:
    if not FOLDER_RE.match(prefix):
        raise ValueError("bad storage folder")
    return prefix


def new_key() -> str:
    """A random storage key: the person's filename never reaches the file system."""
    return secrets.token_hex(16)


class LocalStorage(Storage):
    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.tmp = self.root / "tmp"

    def _path(self, key: str) -> Path:
        if not KEY_RE.match(key):
            raise ValueError("bad storage key")
        return self.root / key[:2] / key

    def put(self, key: str, data: bytes) -> None:
        self.put_stream(key, (data,))

    def put_stream(self, key: str, chunks: Iterable[bytes]) -> None:
        # Temp file + fsync + rename: a crash leaves the old state or the whole file, never half.
        final = self._path(key)
        final.parent.mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(parents=True, exist_ok=True)
        part = self.tmp / f"{key}.{_host()}-{os.getpid()}.{secrets.token_hex(4)}.part"
        try:
            fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                for chunk in chunks:
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(part, final)
        finally:
            part.unlink(missing_ok=True)
        _fsync_dir(final.parent)

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def read_range(self, key: str, start: int, length: int) -> bytes:
        with self._path(key).open("rb") as handle:
            handle.seek(start)
            return handle.read(length)

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def keys(self, older_than: float | None = None, prefix: str | None = None) -> list[str]:
        if not self.root.exists():
            return []
        folders = "??" if prefix is None else _folder(prefix)
        return sorted(p.name for p in self.root.glob(f"{folders}/*")
                      if KEY_RE.match(p.name) and (older_than is None or p.stat().st_mtime < older_than))

    def stale_parts(self, older_than: float | None = None) -> list[Path]:
        """Half-written files left by an interrupted write: written before `older_than` (a timestamp),
        or by a process of this machine that no longer runs. A younger file of a live writer (another
        worker uploading right now) is never listed. Without `older_than`, every part file."""
        if not self.tmp.exists():
            return []
        found = []
        for part in sorted(self.tmp.glob("*.part")):
            try:
                mtime = part.stat().st_mtime
            except FileNotFoundError:  # its writer just finished
                continue
            writer = PART_RE.match(part.name)
            dead = bool(writer and writer["host"] == _host() and not _alive(int(writer["pid"])))
            if older_than is None or mtime < older_than or dead:
                found.append(part)
        return found


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
