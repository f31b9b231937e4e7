"""How a run ends when it does not complete: :class:`RunError` and :class:`RunInterrupted`.

The command line prints a ``RunError`` after ``run stopped:`` and exits with code 1; a
``RunInterrupted`` (Ctrl-C) is printed after ``interrupted:`` with exit code 130. Both
leave the run folder with every finished unit of work and the last checkpoint.

Example
-------
>>> issubclass(RunInterrupted, RunError), issubclass(RunError, RuntimeError)
(True, True)
"""

from __future__ import annotations


class RunError(RuntimeError):
    """A run stopped (a non-finite state, a resume that does not match); the message says why and where.

    Example
    -------
    >>> str(RunError("variable 'v' of population 'exc' became NaN or inf at step 12 (t = 1.3 ms)"))
    "variable 'v' of population 'exc' became NaN or inf at step 12 (t = 1.3 ms)"
    """


class RunInterrupted(RunError):
    """The run was interrupted (Ctrl-C, SIGINT); the message names the command that resumes it.

    Example
    -------
    >>> raise RunInterrupted("after 2 of 5 epochs; resume with: bioplastic run p.toml --resume runs/p-1")
    Traceback (most recent call last):
    ...
    bioplastic.runs.errors.RunInterrupted: after 2 of 5 epochs; resume with: bioplastic run p.toml --resume runs/p-1
    """
