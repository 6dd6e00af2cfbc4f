"""One build at a time per index folder: an exclusive lock on a file in the folder, naming the process that holds it."""
from __future__ import annotations

import fcntl
import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..errors import QAError

LOCK_FILE = ".build.lock"
# Depth of each lock this process holds, per folder and thread: `qa index` holds the lock from reading the corpus
# to the switch of CURRENT, and save_index, inside it, takes it again. Another thread is another holder, so two
# builds of one folder in one server are kept apart like two processes.
_held: dict[tuple[str, int], int] = {}
_held_guard = threading.Lock()


def _holder(path: Path) -> str:
    try:
        pid = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        pid = ""
    return f" (pid {pid})" if pid.isdigit() else ""


def _acquire(folder: Path) -> int:
    """An open descriptor of the folder's lock file, locked; QAError when another build holds it."""
    path = folder / LOCK_FILE
    for _ in range(100):  # each turn loses a race with a holder that removed the file (or the folder) as it let go
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except FileNotFoundError:
            continue
        except OSError as err:
            raise QAError(f"cannot lock the index folder {folder} for building ({err.strerror or err})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise QAError(f"another qa index is building {folder}{_holder(path)}; wait for it to finish or stop it, "
                          "then run this again") from None
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:  # else the lock is on a file its holder removed on letting go: take the new one
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode("ascii"))
            return fd
        os.close(fd)
    raise QAError(f"cannot lock the index folder {folder} for building: it keeps changing")


@contextmanager
def build_lock(index_dir: str | os.PathLike) -> Iterator[None]:
    """Hold the index folder's build lock (creating the folder), or fail at once with QAError naming the holder.

    The lock is an flock, so the kernel lets go of it when its process dies, however it dies; the file is removed
    on letting go, and with it the folder when the lock created it and nothing was built in it."""
    folder = Path(index_dir)
    key = (str(folder.resolve()), threading.get_ident())
    with _held_guard:
        depth = _held.get(key, 0)
        if depth:
            _held[key] = depth + 1
    if depth:  # this thread holds it already
        try:
            yield
        finally:
            with _held_guard:
                _held[key] -= 1
        return
    created = not folder.exists()
    fd = _acquire(folder)
    with _held_guard:
        _held[key] = 1
    try:
        yield
    finally:
        with _held_guard:
            del _held[key]
        try:  # removed while still held, so that no one can lock a file that is on its way out
            (folder / LOCK_FILE).unlink(missing_ok=True)
        finally:
            os.close(fd)
        if created:
            try:
                folder.rmdir()  # only when empty: a build that failed before writing anything leaves no folder
            except OSError:
                pass
