"""The entry point of an audience worker process: tie its life to the job's first, then
import the heavy parts (NumPy, OpenCV, onnxruntime) and serve recordings.

Only the standard library is imported here, and the classifier factory arrives pickled
(unpickling it would import its module, and so would importing the runner), so a worker whose job is killed while it is still
starting up ends at once instead of finishing its imports as an orphan.
"""

from __future__ import annotations

import ctypes
import os
import pickle
import signal
import sys
import threading
import time


def die_with_parent(parent_pid: int) -> None:
    """End this process when ``parent_pid`` ends (``kill -9`` of the job included)."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent_pid:  # the parent died before we got here
        os._exit(1)

    def watch() -> None:  # also where prctl is missing
        while os.getppid() == parent_pid:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def main(conn, payload: bytes, parent_pid: int, threads: int) -> None:
    """Run by :class:`multiprocessing.Process` in the worker: ``payload`` is the pickled
    ``(serve, factory)`` of :mod:`.runner`, unpickled (imported) only after the worker is
    tied to its parent."""
    die_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the job decides
    serve, factory = pickle.loads(payload)
    serve(conn, factory, threads)
