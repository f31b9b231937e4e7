"""Progress of a run on standard error (tqdm): work done, elapsed time, an estimate of what is left.

The estimate counts only the time after the first update: the first unit of work of a run
includes compiling it, which would make every estimate after it too long.

Example
-------
>>> progress = Progress("demo", total=4, unit="epochs", enabled=False)
>>> for epochs in range(1, 5):
...     progress.update_to(epochs)
>>> progress.done, progress.close()
(4, None)
"""

from __future__ import annotations

import sys
import time

from tqdm import tqdm


class Progress:
    """A progress bar of ``total`` units of work (simulated ms, epochs, tasks, trials, minutes).

    Parameters
    ----------
    name : str
        Shown before the bar (the protocol's name).
    total : float
        The work of the whole run, in ``unit``.
    unit : str
        What is counted, e.g. ``"ms simulated"``.
    enabled : bool
        False shows nothing.
    initial : float
        Work already done (a resumed run).

    Example
    -------
    >>> progress = Progress("demo", total=100.0, unit="ms simulated", enabled=False, initial=40.0)
    >>> progress.update_to(70.0); progress.done
    70.0
    """

    def __init__(self, name: str, total: float, unit: str, enabled: bool, initial: float = 0):
        self.total, self.done = total, initial
        self._bar = tqdm(total=total, initial=initial, desc=name, unit=unit, disable=not enabled, file=sys.stderr,
                         bar_format="{desc} |{bar:30}| {n:g}/{total:g} {unit} [{elapsed} elapsed{postfix}]")
        self._first = None

    def update_to(self, done: float, note: str = "") -> None:
        """Show ``done`` units of work finished (of the whole run, not since the last update).

        A ``note`` (e.g. an epoch's losses) is printed on its own line above the bar, and
        stays when the bar moves on.

        Example
        -------
        >>> progress = Progress("demo", total=2, unit="tasks", enabled=False)
        >>> progress.update_to(1); progress.update_to(2, note="task 2: accuracy 0.9"); progress.done
        2
        """
        if note and not self._bar.disable:
            self._bar.write(note, file=sys.stderr)
        now = time.perf_counter()
        if self._first is None:
            self._first = (now, done)
        else:
            started, done_then = self._first
            if done > done_then:
                left = (now - started) / (done - done_then) * (self.total - done)
                self._bar.set_postfix_str(f"~{left:.0f} s left", refresh=False)
        self._bar.update(round(done, 2) - self._bar.n)          # a fraction of an epoch shows as 0.05, not 0.0526316
        self.done = done

    def close(self) -> None:
        """End the bar's line.

        Example
        -------
        >>> Progress("demo", total=1, unit="tasks", enabled=False).close()
        """
        self._bar.close()
