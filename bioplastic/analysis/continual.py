"""Continual-learning metrics from an accuracy matrix.

``A[i, j]`` is the test accuracy on task ``j`` after training on tasks ``0 .. i`` (rows:
training stages; columns: evaluated tasks; ``T`` tasks in all). As in the HLOP paper and
code (Lopez-Paz & Ranzato 2017)::

    ACC = mean_j A[T-1, j]                         (accuracy on every task at the end)
    BWT = mean_{j < T-1} (A[T-1, j] - A[j, j])     (backward transfer: < 0 is forgetting)

Example
-------
>>> import numpy as np
>>> a = np.array([[0.9, 0.1], [0.6, 0.95]])
>>> round(average_accuracy(a), 3), round(backward_transfer(a), 3)
(0.775, -0.3)
"""

from __future__ import annotations

import numpy as np

from bioplastic._checks import BadInput


def _square(accuracy) -> np.ndarray:
    a = np.asarray(accuracy, dtype=float)
    if a.ndim != 2 or a.shape[0] != a.shape[1] or len(a) < 1:
        raise BadInput("accuracy matrix",
                       f"shape {a.shape}",
                       "a square T x T matrix (T >= 1), A[i, j] = accuracy on task j after training task i")
    return a


def average_accuracy(accuracy) -> float:
    """ACC: the mean of the last row (every task's accuracy after the last task).

    Parameters
    ----------
    accuracy : array (T, T)
        ``A[i, j]``: accuracy (a fraction in [0, 1]) on task ``j`` after training tasks ``0 .. i``.

    Returns
    -------
    float
        The mean final accuracy, in the units of ``accuracy``.

    Example
    -------
    >>> a = np.array([[0.9, 0.1, 0.2], [0.7, 0.95, 0.1], [0.6, 0.8, 0.9]])
    >>> round(average_accuracy(a), 3)
    0.767
    """
    return float(_square(accuracy)[-1].mean())


def backward_transfer(accuracy) -> float:
    """BWT: mean over the first T-1 tasks of (final accuracy - accuracy just after learning it); 0 for T = 1.

    Parameters
    ----------
    accuracy : array (T, T)
        ``A[i, j]``: accuracy (a fraction in [0, 1]) on task ``j`` after training tasks ``0 .. i``.

    Returns
    -------
    float
        Negative when earlier tasks were forgotten, positive when later training helped them.

    Example
    -------
    >>> a = np.array([[0.9, 0.1, 0.2], [0.7, 0.95, 0.1], [0.6, 0.8, 0.9]])
    >>> round(backward_transfer(a), 3), backward_transfer([[0.8]])      # (0.6 - 0.9 + 0.8 - 0.95) / 2
    (-0.225, 0.0)
    """
    a = _square(accuracy)
    if len(a) == 1:
        return 0.0
    return float(np.mean(a[-1, :-1] - np.diag(a)[:-1]))
