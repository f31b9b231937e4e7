"""The one run loop every protocol kind uses: units of work, checkpoints, resume, progress,
the non-finite watch, interrupts and the manifest's status.

A kind describes its run as a :class:`Work`: how many units of work there are (chunks of
simulated time, epochs, tasks, repeats or stages), how to do one from the state the last
one left, and what to write at the end. :func:`run_work` does the rest:

- after every unit: the non-finite watch (a NaN or inf stops the run, exit 1, the
  variable named), then the unit's files (:meth:`Work.persist_unit`) and an atomic
  checkpoint of the state (:mod:`bioplastic.runs.checkpoint`), written on a background
  thread while the next unit runs (:mod:`bioplastic.runs.writer`), then progress; a
  stopped run first lets the write in flight end, and reports the units on disk; a
  :class:`Work` whose units are only dispatched (``runs_ahead``) has unit ``k + 1``
  started before unit ``k`` is checked, so the device does not wait for that host work;
- ``resume=True`` starts from the checkpoint, skipping finished units; since every unit
  is a pure function of the state it starts from, the result is bit-for-bit that of an
  uninterrupted run;
- Ctrl-C ends with one line naming the ``--resume`` command; the manifest says
  ``interrupted``; a failure says ``failed: <message>``; a finished run ``completed``,
  and its checkpoint is removed.

Example
-------
A toy kind that counts to three and then reports the total:

>>> import json, tempfile
>>> import numpy as np
>>> from bioplastic.runs.folder import new_run_folder
>>> class Count(Work):
...     n_units, unit = 3, "steps"
...     def start(self):
...         return np.zeros(())
...     def run_unit(self, index, state, run_dir, advance):
...         return state + 1
...     def finish(self, run_dir, state):
...         return {"count": float(state)}
>>> run_dir = new_run_folder(tempfile.mkdtemp(), "count")
>>> run_work(Count(), run_dir, {"status": "running"}, name="count", resume_command="", progress=False)
{'count': 3.0}
>>> json.loads((run_dir / "manifest.json").read_text())["status"]
'completed'
"""

from __future__ import annotations

import abc
import contextlib
import functools
import gc
import pathlib
import signal
import threading
from typing import Callable, Optional

from bioplastic.runs import checkpoint
from bioplastic.runs.errors import RunError, RunInterrupted
from bioplastic.runs.folder import now, write_json
from bioplastic.runs.progress import Progress
from bioplastic.runs.watch import nonfinite
from bioplastic.runs.writer import BackgroundWriter


class Work(abc.ABC):
    """The units of work of one run of one protocol kind.

    Subclasses set ``n_units`` and ``unit`` (what the progress bar counts) and implement
    :meth:`start`, :meth:`run_unit` and :meth:`finish`; the other methods have defaults.

    Example
    -------
    >>> class Epochs(Work):
    ...     n_units, unit = 4, "epochs"
    ...     def start(self): return {}
    ...     def run_unit(self, index, state, run_dir, advance): return state
    ...     def finish(self, run_dir, state): return {}
    >>> work = Epochs()
    >>> work.progress_at(2), work.unit_name(2)
    (2, 'epoch 3 of 4')
    """

    n_units: int
    unit: str
    runs_ahead: bool = False
    """True when :meth:`run_unit` only starts its computation (JAX dispatches it
    asynchronously) and has no other effect: the engine then starts unit ``k + 1`` before
    it checks and writes unit ``k``, so the device never waits for that host work."""

    @abc.abstractmethod
    def start(self):
        """The state (a pytree) before the first unit."""

    @abc.abstractmethod
    def run_unit(self, index: int, state, run_dir, advance: Callable[[float], None]):
        """Do unit ``index`` from ``state``; return the new state.

        May write the unit's own results into ``run_dir`` (atomically), or leave them to
        :meth:`persist_unit`; may call ``advance(amount, note="")`` with the work done so far
        within the unit (in ``unit``) and a line to show above the progress bar.
        """

    def unit_done(self, index: int, before, after) -> None:
        """Finish on the host what unit ``index`` (from ``before`` to ``after``) left undone; default: nothing.

        Called on the engine's thread once the unit has been run (and, for a Work that
        runs ahead, after the next one has been started), before the non-finite watch and
        the unit's files. It may complete ``after`` in place, e.g. bring its recordings to
        the host, or run the unit again to record what did not fit.
        """

    def persist_unit(self, index: int, state, run_dir) -> None:
        """Write what unit ``index`` (now finished, leaving ``state``) keeps in ``run_dir``; default: nothing.

        Runs on the engine's writer thread, while the next unit computes, just before the
        checkpoint that counts the unit as done; so it must only read ``state``.
        """

    @abc.abstractmethod
    def finish(self, run_dir, state) -> dict:
        """Write the results and plots of a completed run; return its metrics (``metrics.json``)."""

    def progress_at(self, units_done: int) -> float:
        """The work done (in ``unit``) when ``units_done`` units are finished; default: the units."""
        return units_done

    def unit_name(self, index: int) -> str:
        """Unit ``index`` in messages, e.g. ``"epoch 3 of 10"``."""
        return f"{self.unit.removesuffix('s')} {index + 1} of {self.n_units}"

    def checkpointed(self, state):
        """What the checkpoint holds of ``state`` (a pytree whose structure does not change between units)."""
        return state

    def restored(self, tree, start, run_dir, units_done: int):
        """The state from a checkpoint's ``tree`` after ``units_done`` units.

        ``start`` is :meth:`start`'s state, of the same structure; ``run_dir`` holds what
        :meth:`run_unit` wrote for each finished unit.
        """
        return tree

    def watched(self, state):
        """The part of ``state`` that must stay finite; default: all of it."""
        return state

    def nonfinite_message(self, index: int, before, path: str) -> str:
        """Why the run stopped when ``path`` of :meth:`watched` became NaN or inf during unit ``index``."""
        return f"{path.lstrip('.') or 'the state'} became NaN or inf during {self.unit_name(index)}"

    def stopped(self, run_dir, before, index: int) -> None:
        """Keep what can be kept of a run stopped in unit ``index`` (``before``: the last good state)."""


def run_work(work: Work, run_dir, manifest: dict, *, name: str, resume_command: str, progress: bool,
             resume: bool = False, on_unit: Optional[Callable[[int, object], None]] = None) -> dict:
    """Do every unit of ``work`` not done yet in ``run_dir``; write metrics and the final manifest.

    Parameters
    ----------
    work : Work
        The kind's units of work.
    run_dir : pathlib.Path
        The run folder (new, or a stopped run's with ``resume``).
    manifest : dict
        The run's manifest; its ``status`` and ``finished`` are set here.
    name : str
        Shown on the progress bar (the protocol's name).
    resume_command : str
        The command that resumes this run, named when it is interrupted.
    progress : bool
        Show a progress bar on standard error.
    resume : bool
        Start from ``run_dir``'s checkpoint.
    on_unit : callable, optional
        Called with ``(units done, state)`` after each unit's checkpoint, and with ``(0, start state)``
        before the first unit of a new run.

    Returns
    -------
    dict
        The metrics, as written to ``metrics.json``.

    Raises
    ------
    RunError
        A non-finite state, a full disk, a failed write or no memory left; the manifest says
        ``failed: ...``, the last checkpoint is kept, and the message names the resume command.
    BadInput
        ``resume`` and the folder has no readable checkpoint of this work (nothing has run).
    RunInterrupted
        Ctrl-C; the manifest says ``interrupted``.
    """
    run_dir = pathlib.Path(run_dir)
    state, done = work.start(), 0
    if resume:
        tree, done = checkpoint.load(run_dir / checkpoint.FILE, like=work.checkpointed(state))
        state = work.restored(tree, state, run_dir, done)
    _write_status(run_dir, manifest, "running", done, finished=None)
    shown = Progress(name, work.progress_at(work.n_units), work.unit, progress, initial=work.progress_at(done))
    interrupts: list = []
    with BackgroundWriter(done) as writer:

        def settle_unit(index, before, after):
            """The non-finite watch on unit ``index``'s state, then its files (background) and progress."""
            work.unit_done(index, before, after)
            bad = nonfinite(work.watched(after))
            if bad is not None:
                writer.wait()
                message = work.nonfinite_message(index, before, bad)
                work.stopped(run_dir, before, index)
                raise RunError(f"{message}; the finished work is kept in {run_dir}")
            writer.submit(functools.partial(_persist, work, run_dir, after, index), units_done=index + 1)
            shown.update_to(work.progress_at(index + 1))
            if on_unit is not None:
                writer.wait()            # the callback sees the unit's checkpoint on disk
                on_unit(index + 1, after)
            if interrupts:               # a Ctrl-C whose KeyboardInterrupt was swallowed (e.g. in a gc callback)
                raise KeyboardInterrupt

        try:
            with _sigint_remembered(interrupts):
                if on_unit is not None and done == 0:
                    on_unit(0, state)
                unchecked: list = []     # units started but not yet settled: (index, before, after)
                for index in range(done, work.n_units):
                    before, base = state, work.progress_at(index)
                    state = work.run_unit(index, state, run_dir,
                                          lambda amount, note="", base=base: shown.update_to(base + amount, note))
                    unchecked.append((index, before, state))
                    while len(unchecked) > (1 if work.runs_ahead else 0):
                        settle_unit(*unchecked.pop(0))
                for pending in unchecked:
                    settle_unit(*pending)
                writer.wait()
                if interrupts:
                    raise KeyboardInterrupt
            shown.close()
            metrics = work.finish(run_dir, state)
            write_json(run_dir / "metrics.json", metrics)
        except KeyboardInterrupt:
            shown.close()
            writer.settle()
            done = writer.units_done
            _write_status(run_dir, manifest, "interrupted", done)
            where = f"during {work.unit_name(done)}" if done < work.n_units else "while writing the results"
            raise RunInterrupted(f"{name} stopped {where}; the {done} finished units of work (of {work.n_units}) are "
                                 f"kept in {run_dir}; resume with: {resume_command}") from None
        except BaseException as error:
            shown.close()
            writer.settle()
            done = writer.units_done
            stopped = _stopped_by(error, work, done, run_dir, name, resume_command)
            reason = str(error) if isinstance(error, RunError) else f"{type(error).__name__}: {error}"
            try:
                _write_status(run_dir, manifest, f"failed: {reason}", done)
            except OSError:              # the disk that stopped the run may not take the status either
                pass
            if stopped is not None:
                raise stopped from None
            raise
    _write_status(run_dir, manifest, "completed", work.n_units)
    (run_dir / checkpoint.FILE).unlink(missing_ok=True)
    return metrics


def _persist(work: Work, run_dir: pathlib.Path, state, index: int) -> None:
    """Unit ``index``'s files, then the checkpoint that counts it as done (on the writer thread)."""
    work.persist_unit(index, state, run_dir)
    checkpoint.save(run_dir / checkpoint.FILE, work.checkpointed(state), index + 1)


def _stopped_by(error: BaseException, work: Work, done: int, run_dir, name: str, resume_command: str):
    """The one-line :class:`RunError` of a run stopped by the machine (disk, memory); None for any other error."""
    if isinstance(error, OSError):
        what = f"{error.strerror or type(error).__name__}" + (f" ({error.filename})" if error.filename else "")
    elif isinstance(error, MemoryError) or "RESOURCE_EXHAUSTED" in str(error):
        what = "out of memory"
    else:
        return None
    where = f"during {work.unit_name(done)}" if done < work.n_units else "while writing the results"
    return RunError(f"{name} stopped {where}: {what}; the {done} finished units of work (of {work.n_units}) are kept "
                    f"in {run_dir}; once that is mended, resume with: {resume_command}")


@contextlib.contextmanager
def _sigint_remembered(interrupts: list):
    """While running, a SIGINT is remembered in ``interrupts`` and raises KeyboardInterrupt.

    Python drops an exception raised inside a garbage-collector callback (JAX has one) and
    prints a traceback for it; so during a collection a SIGINT is only remembered, and the
    engine checks ``interrupts`` after every unit and stops then. Outside the main thread
    signals cannot be handled: nothing changes.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    collecting = []

    def collection_starts(phase, info):
        if phase == "start":
            collecting.append(True)

    def collection_ends(phase, info):
        if phase == "stop" and collecting:
            collecting.pop()

    def remember(signum, frame):
        interrupts.append(signum)
        if not collecting:
            raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, remember)
    gc.callbacks.insert(0, collection_starts)      # before every other callback of a collection ...
    gc.callbacks.append(collection_ends)           # ... and after them
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        gc.callbacks.remove(collection_starts)
        gc.callbacks.remove(collection_ends)


def _write_status(run_dir, manifest: dict, status: str, units_done: int, finished: Optional[str] = "now") -> None:
    manifest.update(status=status, units_done=units_done, finished=now() if finished == "now" else finished)
    write_json(run_dir / "manifest.json", manifest)

