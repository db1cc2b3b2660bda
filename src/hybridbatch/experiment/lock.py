"""One writer per experiment folder: ``<out>/experiment.lock``.

The process that runs a grid (under either executor: the driver) holds an exclusive ``flock`` on the lock
file for as long as it runs, and the file names it: pid, host, start time, command. A second process on
the same folder refuses with one line naming that holder. The lock of a holder that is gone — the flock is
free and its pid is no longer that process on this host (a killed run leaves the file behind) — is taken
over. A lock written on another host is never taken over (its pid cannot be checked from here).

Where the file system has no ``flock`` (some network mounts answer ENOLCK), the pid check alone decides.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import json
import os
import socket
import sys
from pathlib import Path
from typing import Any

from hybridbatch.errors import HybridbatchError

NO_FLOCK = (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL)


def _process_start(pid: int) -> str | None:
    """The start time of ``pid`` in clock ticks since boot (Linux ``/proc``), or None where unknown: with the
    pid it names one process, so a recycled pid is not mistaken for the holder."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[-1].split()[19]  # field 22: starttime


def _alive(holder: dict[str, Any]) -> bool:
    """Whether the holder recorded on this host is still running (and is the same process)."""
    pid = int(holder.get("pid", 0))
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    started = holder.get("process_start")
    return started is None or _process_start(pid) in (None, started)


def describe(holder: dict[str, Any] | None) -> str:
    """``pid P on HOST since TIME (COMMAND)``, or what is known of it."""
    if not holder:
        return "a process that has not recorded itself yet"
    command = " ".join(str(a) for a in holder.get("argv", []))[:200]
    return (f"pid {holder.get('pid', '?')} on {holder.get('host', '?')} since {holder.get('started_utc', '?')}"
            + (f" ({command})" if command else ""))


def read_holder(path: Path) -> dict[str, Any] | None:
    """The holder recorded in the lock file at ``path``, or None (no file, empty or unreadable)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def active_holder(path: Path) -> dict[str, Any] | None:
    """The holder of the lock at ``path`` when it looks active (another host, or a live pid here); reads
    only, takes nothing (``experiment --list`` says a grid is running)."""
    holder = read_holder(path)
    if holder is None:
        return None
    if holder.get("host") != socket.gethostname() or _alive(holder):
        return holder
    return None


class ExperimentLock:
    """``with ExperimentLock(path):`` — hold the lock file ``path`` (its folder must exist) or raise
    :class:`HybridbatchError` naming the holder. ``taken_over`` is the stale holder replaced, if any."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.taken_over: dict[str, Any] | None = None
        self._fd: int | None = None

    def me(self) -> dict[str, Any]:
        pid = os.getpid()
        return {"pid": pid, "host": socket.gethostname(), "process_start": _process_start(pid),
                "started_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "argv": sys.argv}

    def _refuse(self, holder: dict[str, Any] | None) -> HybridbatchError:
        return HybridbatchError(f"another hybridbatch experiment is writing this folder: {describe(holder)}; "
                                f"wait for it to end (or delete {self.path.name} if that process is gone)",
                                path=self.path.parent)

    def acquire(self) -> ExperimentLock:
        for _ in range(10):  # the file may be replaced between open and flock: try again on the new one
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                flocked = True
            except BlockingIOError:
                holder = read_holder(self.path)
                os.close(fd)
                raise self._refuse(holder) from None
            except OSError as exc:
                if exc.errno not in NO_FLOCK:
                    os.close(fd)
                    raise
                flocked = False
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if not same:  # released (unlinked) by its holder meanwhile
                os.close(fd)
                continue
            holder = read_holder(self.path)
            # a free flock is proof enough that a holder on this host is gone; without flock, its pid decides
            if holder is not None and (holder.get("host") != socket.gethostname() or (not flocked and _alive(holder))):
                os.close(fd)
                raise self._refuse(holder)
            self.taken_over = holder
            data = json.dumps(self.me(), ensure_ascii=False).encode("utf-8")
            os.ftruncate(fd, 0)
            os.pwrite(fd, data, 0)
            os.fsync(fd)
            self._fd = fd
            return self
        raise HybridbatchError("could not take the experiment lock (its file keeps changing)", path=self.path)

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            if (read_holder(self.path) or {}).get("pid") == os.getpid():
                self.path.unlink(missing_ok=True)
        finally:
            os.close(self._fd)  # releases the flock
            self._fd = None

    def __enter__(self) -> ExperimentLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
