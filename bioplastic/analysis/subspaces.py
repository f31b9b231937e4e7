"""Principal angles between two subspaces (Björck & Golub 1973).

Each subspace is given by a matrix whose *rows* span it (k x n and m x n; for instance
lateral weights ``H``, or the top principal directions of some activity). With orthonormal
bases ``Q_a``, ``Q_b`` the cosines of the angles are the singular values of
``Q_a Q_b^T``; there are ``min(k, m)`` angles, smallest first, in degrees.

Example
-------
>>> import numpy as np
>>> a = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
>>> b = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 1.0]])
>>> np.round(principal_angles(a, b), 1).tolist()
[0.0, 45.0]
"""

from __future__ import annotations

import numpy as np

from bioplastic._checks import BadInput


def _row_basis(m, name) -> np.ndarray:
    m = np.asarray(m, dtype=np.float64)
    if m.ndim != 2 or min(m.shape) < 1:
        raise BadInput(name, f"shape {m.shape}", "a matrix whose rows span the subspace")
    u, s, vt = np.linalg.svd(m, full_matrices=False)
    rank = int(np.sum(s > s.max() * max(m.shape) * np.finfo(float).eps)) if s.size and s.max() > 0 else 0
    if rank == 0:
        raise BadInput(name, "a zero matrix", "rows spanning a subspace of dimension >= 1")
    return vt[:rank]


def principal_angles(a, b) -> np.ndarray:
    """Angles in degrees (ascending) between the row spaces of ``a`` and ``b`` (same number of columns).

    Parameters
    ----------
    a, b : arrays (k, n) and (m, n)
        Rows spanning each subspace; they need not be orthonormal.

    Returns
    -------
    array (min(rank a, rank b),)
        Principal angles in degrees, in [0, 90].

    Example
    -------
    >>> np.round(principal_angles([[1.0, 0.0]], [[1.0, 1.0]]), 3).tolist()
    [45.0]
    """
    qa, qb = _row_basis(a, "a"), _row_basis(b, "b")
    if qa.shape[1] != qb.shape[1]:
        raise BadInput("b", f"{qb.shape[1]} columns", f"as many as a ({qa.shape[1]}), the same ambient space")
    cosines = np.clip(np.linalg.svd(qa @ qb.T, compute_uv=False), -1.0, 1.0)
    return np.degrees(np.arccos(cosines))


def principal_directions(x, k: int) -> np.ndarray:
    """The top-``k`` right singular vectors of ``x`` (samples x n), as rows: the PCA subspace (uncentred).

    Uncentred, as Oja's rule learns the subspace of the second moment ``<x x^T>``.

    Parameters
    ----------
    x : array (n_samples, n)
        Samples as rows.
    k : int
        Number of directions, 1 to ``min(x.shape)``.

    Returns
    -------
    array (k, n)
        Orthonormal rows, largest singular value first (each up to sign).

    Example
    -------
    >>> x = np.array([[3.0, 0.0, 0.0], [0.0, 1.0, 0.0], [-3.0, 0.0, 0.0]])
    >>> np.abs(principal_directions(x, 1)).tolist()
    [[1.0, 0.0, 0.0]]
    """
    x = np.asarray(x, dtype=np.float64)
    if not 1 <= k <= min(x.shape):
        raise BadInput("k", f"{k!r}", f"1 to {min(x.shape)}")
    return np.linalg.svd(x, full_matrices=False)[2][:k]
