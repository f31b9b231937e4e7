"""One background thread that writes a finished unit's files while the next unit runs.

A unit's files (its recordings, then the checkpoint that counts it as done) take a few
milliseconds to write and sync, as long as a short unit takes to compute. The engine
hands them to a :class:`BackgroundWriter` and starts the next unit at once; writes run in
the order they were handed over, at most one at a time, and the writer counts the units
whose writes are all on disk (:attr:`BackgroundWriter.units_done`), which is what a
stopped run reports as kept. An error in a write (a full disk) is raised in the engine's
thread by the next :meth:`~BackgroundWriter.submit` or :meth:`~BackgroundWriter.wait`.

Example
-------
>>> written = []
>>> with BackgroundWriter(units_done=0) as writer:
...     writer.submit(lambda: written.append("unit 1"), units_done=1)
...     writer.submit(lambda: written.append("unit 2"), units_done=2)
...     writer.wait()
...     written, writer.units_done
(['unit 1', 'unit 2'], 2)
"""

from __future__ import annotations

import concurrent.futures
from typing import Callable, Optional


class BackgroundWriter:
    """Runs write jobs on one thread, in order, one at a time; see the module docstring.

    Parameters
    ----------
    units_done : int
        Units whose files are already on disk (those of a resumed run).

    Example
    -------
    A failed write is raised by the next call, and its unit is not counted:

    >>> def full_disk():
    ...     raise OSError(28, "No space left on device")
    >>> with BackgroundWriter(units_done=3) as writer:
    ...     writer.submit(full_disk, units_done=4)
    ...     try:
    ...         writer.wait()
    ...     except OSError as error:
    ...         print(error.strerror, writer.units_done)
    No space left on device 3
    """

    def __init__(self, units_done: int):
        self.units_done = units_done
        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="bioplastic-writer")
        self._pending: Optional[concurrent.futures.Future] = None

    def submit(self, write: Callable[[], None], units_done: int) -> None:
        """Wait for the previous write (raising its error), then start ``write``; ``units_done`` counts once it ends."""
        self.wait()

        def job():
            write()
            self.units_done = units_done

        self._pending = self._executor.submit(job)

    def wait(self) -> None:
        """Block until the write in flight (if any) ends; raise its error."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def settle(self) -> None:
        """Let the write in flight end, dropping its error: for a run that is stopping anyway.

        :attr:`units_done` then says which units are kept.
        """
        try:
            self.wait()
        except Exception:
            pass

    def __enter__(self) -> "BackgroundWriter":
        return self

    def __exit__(self, *exc_info) -> None:
        """Let the write in flight end (:meth:`settle`), then stop the thread."""
        try:
            self.settle()
        finally:
            self._executor.shutdown(wait=True)
