"""GPM: gradient projection memory (Saha, Garg & Roy, ICLR 2021) for any trainer.

After each task, every layer ``l`` keeps an orthonormal basis ``M_l`` (k_l x n_in, one
basis vector per row, as HLOP keeps its frozen lateral rows) of the space its inputs
occupied during that task and the ones before. The basis is found by singular value
decomposition of the layer's *representation matrix* ``R_l``: its presynaptic activity on
a sample of the task's training examples (``samples x n_in``, one example per row; in the
paper's notation ``R_l`` is the transpose, one example per column). With ``||.||`` the
Frobenius norm and ``eps`` the layer's energy threshold (Algorithm 1 of the paper):

- first task: ``R = U S V^T``; keep the fewest leading singular vectors ``k`` such that
  ``||R_k||^2 >= eps ||R||^2`` (``R_k``: ``R`` restricted to them);
- later tasks: project the part already protected off, ``R_hat = R - R M^T M``, take
  ``R_hat = U S V^T`` and add the fewest new vectors ``k`` (possibly none) such that
  ``||R M^T||^2 + ||R_hat_k||^2 >= eps ||R||^2``; ``M`` grows by them.

Training a later task then updates each weight matrix only orthogonally to the basis::

    dW_l  <-  dW_l - M_l^T M_l dW_l          (dW_l: n_in x n_out, for a_{l-1} @ W_l)

so the layer's response ``x @ W_l`` to any input ``x`` in ``span(M_l)`` stays put. GPM is a
transformation of the gradient, as HLOP is (:mod:`bioplastic.rules.hlop`): it differs in
how the protected subspace is found (a decomposition of stored activity after the task,
not Hebbian learning during it) and in its size (set by the energy threshold, not by a
schedule of rows). :func:`task_thresholds` can raise ``eps`` from task to task.

Settings of the paper's experiments (from the authors' published scripts): 10-split
CIFAR-100, ``eps`` = 0.97 + 0.003 per task and 125 random training examples per task (the
defaults of ``[continual.gpm]``); permuted MNIST (3-layer MLP), ``eps`` = 0.95 for the
first layer and 0.99 for the others, the same at every task, and 300 examples. One
difference, on purpose: for the first task the scripts keep the singular vectors whose
cumulative energy fraction is still *below* ``eps`` (one fewer than Eq. 5 asks); here, as
in the paper's text, the first task keeps the fewest that *reach* it, as later tasks do.

The bases are kept in float64 (numpy) between tasks, so that what a later task projects
off is orthogonal to them to float64 rounding; :func:`active_bases` hands them to the
trainer in float32.

Example
-------
>>> import numpy as np
>>> r = np.diag([3.0, 2.0, 1.0, 0.0])[:3]               # 3 examples of 4 inputs, energies 9, 4, 1
>>> state = extend_bases(init_gpm((4,)), (r,), thresholds=(0.9,))
>>> state.sizes.tolist(), np.abs(state.bases[0]).round(6).tolist()      # 13/14 >= 0.9 > 9/14
([[2]], [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]])
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from bioplastic._checks import BadInput, check_nonnegative
from bioplastic.rules.base import Rule


class GPMState(NamedTuple):
    """Each layer's basis and the basis sizes after each finished task.

    ``bases[l]``: float64 array (k_l, n_in_l), orthonormal rows spanning the protected
    input space of layer ``l`` (dimensionless; ``k_l = 0`` before the first task ends);
    ``sizes``: int array (tasks finished, layers), ``sizes[t, l]`` = ``k_l`` after task ``t``.

    Example
    -------
    >>> state = init_gpm((4, 3))
    >>> [b.shape for b in state.bases], state.sizes.shape
    ([(0, 4), (0, 3)], (0, 2))
    """

    bases: tuple
    sizes: np.ndarray


def init_gpm(layer_inputs) -> GPMState:
    """No task finished: an empty basis (0 x n_in) per layer, no sizes recorded.

    Parameters
    ----------
    layer_inputs : sequence of int
        Number of presynaptic inputs ``n_in`` of each layer (>= 1).

    Returns
    -------
    GPMState

    Example
    -------
    >>> init_gpm((784, 100)).bases[1].shape
    (0, 100)
    >>> init_gpm((784, 0))
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: layer_inputs: got [784, 0]; allowed: one whole number >= 1 per layer
    """
    layer_inputs = [int(n) for n in layer_inputs]
    if not layer_inputs or min(layer_inputs) < 1:
        raise BadInput("layer_inputs", layer_inputs, "one whole number >= 1 per layer")
    return GPMState(tuple(np.zeros((0, n)) for n in layer_inputs), np.zeros((0, len(layer_inputs)), dtype=np.int64))


def energy_count(singular_values, threshold: float, total: float = None, captured: float = 0.0) -> int:
    """The fewest leading singular values whose energy, added to ``captured``, reaches ``threshold * total``.

    The smallest ``k`` with ``captured + sum_{i<k} s_i^2 >= threshold * total`` (the paper's
    criterion): ``total`` is ``||R||_F^2`` (by default ``sum s_i^2``, the first task), ``captured``
    the energy of ``R`` already in the basis (``||R M^T||_F^2``, later tasks). Singular values
    at the rounding level of ``R`` (``<= n * eps64 * max(s_max, sqrt(total))``) are never
    counted, so a threshold of 1 keeps the numerical rank, not directions of rounding noise.

    Parameters
    ----------
    singular_values : array (n,)
        Descending, >= 0, in the units of ``R``.
    threshold : float
        The energy fraction, ``0 < threshold <= 1``.
    total : float, optional
        ``||R||_F^2`` (units of ``R`` squared); default ``sum s_i^2``.
    captured : float
        Energy already protected (same units), default 0.

    Returns
    -------
    int
        ``k`` in ``0 .. n``; 0 when ``captured`` already meets the threshold.

    Example
    -------
    Energies 9, 4, 1 (total 14): 9/14 = 0.64, 13/14 = 0.93, 14/14 = 1:

    >>> [energy_count([3.0, 2.0, 1.0], t) for t in (0.5, 0.65, 0.9, 0.95, 1.0)]
    [1, 2, 2, 3, 3]
    >>> energy_count([2.0, 1.0], 0.9, total=14.0, captured=9.0)      # (9 + 4) / 14 >= 0.9
    1
    >>> energy_count([3.0, 1e-9], 1.0), energy_count([2.0], 0.5, total=14.0, captured=9.0)
    (1, 0)
    >>> energy_count([1.0], 1.5)
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: threshold: got 1.5; allowed: 0 < threshold <= 1 (the fraction of the energy kept)
    """
    if not 0 < threshold <= 1:
        raise BadInput("threshold", threshold, "0 < threshold <= 1 (the fraction of the energy kept)")
    s = np.asarray(singular_values, dtype=np.float64)
    energy = s**2
    total = float(energy.sum()) if total is None else float(total)
    if s.size == 0 or captured >= threshold * total:
        return 0
    scale = max(float(s.max()), np.sqrt(total))
    significant = int(np.sum(s > scale * s.size * np.finfo(np.float64).eps))
    reached = np.nonzero(captured + np.cumsum(energy[:significant]) >= threshold * total)[0]
    return int(reached[0]) + 1 if reached.size else significant


def extend_basis(basis, representation, threshold: float) -> np.ndarray:
    """One layer's basis grown by the fewest new directions of ``representation`` that meet ``threshold``.

    Parameters
    ----------
    basis : array (k, n_in)
        Orthonormal rows (k may be 0: the first task).
    representation : array (samples, n_in)
        The layer's presynaptic activity, one example per row (any units).
    threshold : float
        ``0 < threshold <= 1``: the energy fraction of ``representation`` the grown basis must hold.

    Returns
    -------
    numpy array (k + k_new, n_in), float64
        The old rows unchanged, then the new ones (leading left singular vectors of the
        part of ``R`` off the old basis, as rows).

    Example
    -------
    The first basis vector already holds 9 of the 14 units of energy; 0.9 needs one more:

    >>> r = np.array([[3.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 1.0]])
    >>> extend_basis(np.array([[1.0, 0.0, 0.0]]), r, 0.9).round(6).tolist()
    [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    >>> extend_basis(np.zeros((0, 3)), r[:, :2], 0.9)
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: representation: got shape (3, 2); allowed: (samples, 3): one row of the layer's 3 inputs per example
    """
    basis = np.asarray(basis, dtype=np.float64)
    r = np.asarray(representation, dtype=np.float64)
    if r.ndim != 2 or r.shape[1] != basis.shape[1]:
        raise BadInput("representation", f"shape {r.shape}",
                       f"(samples, {basis.shape[1]}): one row of the layer's {basis.shape[1]} inputs per example")
    total = float(np.sum(r**2))
    along = r @ basis.T                                        # (samples, k): the coordinates on the basis
    residual = r - along @ basis
    _, s, vt = np.linalg.svd(residual, full_matrices=False)
    k = energy_count(s, threshold, total=total, captured=float(np.sum(along**2)))
    return np.concatenate([basis, vt[:k]])


def task_thresholds(threshold, increment: float, task: int, n_layers: int) -> tuple:
    """Each layer's energy threshold at ``task`` (0 first): ``threshold_l + task * increment``.

    Parameters
    ----------
    threshold : float or sequence of float
        The first task's threshold, one for every layer or one per layer, each in (0, 1].
    increment : float
        Added per task (>= 0; the paper: 0.003 per task for CIFAR-100).
    task : int
        Task index (0 for the first).
    n_layers : int
        Number of weight layers.

    Returns
    -------
    tuple of float
        One threshold per layer; each must stay <= 1.

    Example
    -------
    >>> [round(t, 3) for t in task_thresholds(0.97, 0.003, 4, 3)]
    [0.982, 0.982, 0.982]
    >>> task_thresholds([0.95, 0.99], 0.0, 9, 2)
    (0.95, 0.99)
    >>> task_thresholds(0.97, 0.003, 20, 1)
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: threshold: got 1.03 for layer 1 at task 21 (0.97 + 20 x 0.003); allowed: at most 1
    >>> task_thresholds([0.97, 0.97], 0.0, 0, 3)
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: threshold: got [0.97, 0.97]; allowed: one number, or one per weight layer (3 here)
    """
    check_nonnegative(increment, "threshold_increment")
    if np.ndim(threshold) == 0:
        first = (float(threshold),) * n_layers
    else:
        first = tuple(float(t) for t in threshold)
        if len(first) != n_layers:
            raise BadInput("threshold", repr(list(threshold)), f"one number, or one per weight layer ({n_layers} here)")
    thresholds = tuple(t + task * increment for t in first)
    for layer, (start, now) in enumerate(zip(first, thresholds)):
        if not 0 < start <= 1:
            raise BadInput("threshold", f"{start!r} for layer {layer + 1}", "0 < threshold <= 1")
        if now > 1 + 1e-12:
            raise BadInput("threshold", f"{now:.4g} for layer {layer + 1} at task {task + 1} ({start:g} + {task} x "
                           f"{increment:g})", "at most 1")
    return tuple(min(t, 1.0) for t in thresholds)


def extend_bases(state: GPMState, representations, thresholds) -> GPMState:
    """After a task: grow every layer's basis from its representation matrix and record the sizes.

    Parameters
    ----------
    state : GPMState
        The bases before the task.
    representations : sequence of array
        ``representations[l]``: layer ``l``'s presynaptic activity on the task's sample (samples x n_in).
    thresholds : sequence of float
        Each layer's energy threshold for this task (:func:`task_thresholds`).

    Returns
    -------
    GPMState
        Grown bases; ``sizes`` gains one row.

    Example
    -------
    Task 0 keeps 9 of 14 (threshold 0.6); task 1's inputs lie in the first two axes, of
    which the basis already holds 4 of 5 units, short of 0.9 (one more vector):

    >>> first = np.diag([3.0, 2.0, 1.0])
    >>> state = extend_bases(init_gpm((3,)), (first,), (0.6,))
    >>> state = extend_bases(state, (np.array([[2.0, 1.0, 0.0]]),), (0.9,))
    >>> state.sizes.tolist()
    [[1], [2]]
    """
    representations, thresholds = tuple(representations), tuple(thresholds)
    if not len(representations) == len(thresholds) == len(state.bases):
        raise BadInput("extend_bases", f"{len(representations)} representations and {len(thresholds)} thresholds",
                       f"one of each per layer ({len(state.bases)})")
    bases = tuple(extend_basis(b, r, t) for b, r, t in zip(state.bases, representations, thresholds))
    sizes = np.concatenate([state.sizes, np.array([[len(b) for b in bases]], dtype=np.int64)])
    return GPMState(bases, sizes)


def active_bases(state: GPMState) -> tuple:
    """Each layer's basis as a float32 array (k, n_in) for the trainer, or None where it is empty.

    What a trainer projects the gradient off (:func:`project_off_bases`, or a DSR backward pass
    given it as ``frozen``, :func:`~bioplastic.networks.spiking_mlp.spiking_gradients`).

    Example
    -------
    >>> state = extend_bases(init_gpm((3, 2)), (np.eye(3), np.zeros((3, 2))), (0.5, 0.5))
    >>> [None if b is None else (b.shape, str(b.dtype)) for b in active_bases(state)]
    [((2, 3), 'float32'), None]
    """
    return tuple(jnp.asarray(b, jnp.float32) if len(b) else None for b in state.bases)


def project_off_bases(gradient, bases) -> tuple:
    """``g_l - M_l^T (M_l g_l)`` per layer: each weight update with no part along its basis' input directions.

    ``gradient[l]``: (n_in, n_out) for ``a_{l-1} @ W_l``, any units; ``bases[l]``: orthonormal rows
    (k, n_in), or None (unchanged).

    Example
    -------
    >>> g = (jnp.ones((3, 2)), jnp.ones((2, 1)))
    >>> projected = project_off_bases(g, (jnp.array([[1.0, 0.0, 0.0]]), None))
    >>> projected[0].tolist(), projected[1].tolist()
    ([[0.0, 0.0], [1.0, 1.0], [1.0, 1.0]], [[1.0], [1.0]])
    """
    return tuple(g if m is None else g - m.T @ (m @ g) for g, m in zip(gradient, bases))


def gpm_projection(projected: bool = False) -> Rule:
    """GPM as a gradient transformation: the ``gradient`` signal projected off each layer's basis.

    The state is :func:`active_bases` (a tuple of (k, n_in) arrays or None), fixed during a
    task; ``update`` returns it unchanged. ``projected``: the trainer has already projected
    the gradient (given the bases, as DSR's backward pass is); it passes unchanged.

    Example
    -------
    >>> rule = gpm_projection()
    >>> bases = rule.init((jnp.zeros((3, 2)),))                       # no task finished: nothing to protect
    >>> rule.update(bases, None, gradient=(jnp.ones((3, 2)),))[0][0].tolist(), rule.signals
    ([[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]], ('gradient',))
    >>> out, _ = rule.update((jnp.array([[0.0, 1.0, 0.0]]),), None, gradient=(jnp.ones((3, 2)),))
    >>> out[0].tolist()
    [[1.0, 1.0], [0.0, 0.0], [1.0, 1.0]]
    """

    def init(weights):
        return (None,) * len(tuple(weights))

    def update(bases, weights, *, gradient):
        return (tuple(gradient) if projected else project_off_bases(gradient, bases)), bases

    return Rule(init, update, ("gradient",))


def representation_sample(key: jax.Array, n_examples: int, samples: int) -> np.ndarray:
    """Which ``samples`` of a task's ``n_examples`` training examples form its representation matrices.

    Drawn without replacement from ``key`` (the paper takes a random sample, e.g. 125
    examples per task); sorted; all of them when ``samples >= n_examples``.

    Example
    -------
    >>> picked = representation_sample(jax.random.PRNGKey(0), 10, 4)
    >>> len(picked), len(set(picked.tolist())), bool((np.diff(picked) > 0).all()), bool(picked.max() < 10)
    (4, 4, True, True)
    >>> representation_sample(jax.random.PRNGKey(0), 3, 125).tolist()
    [0, 1, 2]
    """
    if samples >= n_examples:
        return np.arange(n_examples)
    return np.sort(np.asarray(jax.random.choice(key, n_examples, (samples,), replace=False)))
