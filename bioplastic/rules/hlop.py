"""HLOP: Hebbian learning based orthogonal projection (Xiao et al., ICLR 2024) for any trainer.

Every layer ``l`` gets lateral subspace neurons (:mod:`bioplastic.rules.hebbian_subspace`)
that learn, by Oja's subspace rule on each training batch, the principal subspace of that
layer's *presynaptic traces* (whatever trace the trainer reports: the input, a weighted
firing rate, an eligibility trace). At the end of a task the learned rows are frozen; the
next task adds new free rows and updates each weight matrix only orthogonally to the frozen
subspace::

    dW_l  <-  dW_l - H_l^T H_l dW_l          (dW_l: n_in x n_out, for a_{l-1} @ W_l)

so the layer's response to inputs of earlier tasks (which lie in that subspace) stays put.
HLOP is a transformation of the gradient and never looks inside the trainer: it takes the
``(gradient, traces)`` any trainer produces.

Defaults follow the HLOP code for permuted MNIST: Hebbian learning rates 1e-3 for the input
layer and 1e-2 for the others, 5 iterations per batch, momentum 0.9, updates clipped at 10;
80 / 200 / 100 rows for the first task, then 70 more per layer and task, 20 fewer from every
third task on (:func:`rows_schedule`).

Example
-------
>>> import jax, jax.numpy as jnp
>>> state = init_hlop(jax.random.PRNGKey(0), layer_inputs=(4, 3), rows=(2, 1))
>>> state = start_task(state, jax.random.PRNGKey(1), new_rows=(1, 1))
>>> [int(s.frozen.sum()) for s in state], [s.weights.shape for s in state]
([2, 1], [(3, 4), (2, 3)])
"""

from __future__ import annotations

import jax

from bioplastic._checks import BadInput
from bioplastic.rules.base import Rule
from bioplastic.rules.hebbian_subspace import (add_rows, freeze, frozen_count, frozen_weights, init_subspace,
                                               learn_subspace, project_gradient)


def init_hlop(key: jax.Array, layer_inputs, rows) -> tuple:
    """One :class:`Subspace` per layer, with ``rows[l]`` free rows over ``layer_inputs[l]`` inputs.

    Parameters
    ----------
    key : jax key
        Split into one key per layer for the orthonormal initial rows.
    layer_inputs : sequence of int
        Number of presynaptic inputs ``n_in`` of each layer.
    rows : sequence of int
        Number of free rows of each layer (``rows[l] <= layer_inputs[l]``); one per layer.

    Returns
    -------
    tuple of Subspace
        One per layer, ``weights`` (rows[l], layer_inputs[l]), nothing frozen.

    Example
    -------
    >>> state = init_hlop(jax.random.PRNGKey(0), layer_inputs=(4, 3), rows=(2, 1))
    >>> [s.weights.shape for s in state], [s.frozen.tolist() for s in state]
    ([(2, 4), (1, 3)], [[False, False], [False]])
    >>> init_hlop(jax.random.PRNGKey(0), layer_inputs=(4, 3), rows=(2,))
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: rows: got 1 numbers; allowed: one per layer (2)
    """
    layer_inputs, rows = tuple(layer_inputs), tuple(rows)
    if len(layer_inputs) != len(rows):
        raise BadInput("rows", f"{len(rows)} numbers", f"one per layer ({len(layer_inputs)})")
    keys = jax.random.split(key, len(rows))
    return tuple(init_subspace(k, n, r) for k, n, r in zip(keys, layer_inputs, rows))


def start_task(subspaces, key: jax.Array, new_rows) -> tuple:
    """Freeze every row learned so far and add ``new_rows[l]`` free rows to layer ``l``.

    Parameters
    ----------
    subspaces : sequence of Subspace
        One per layer, as from :func:`init_hlop` or a previous call.
    key : jax key
        Split into one key per layer for the new rows.
    new_rows : sequence of int
        Rows to add to each layer (one per layer); the total may not exceed the layer's inputs.

    Returns
    -------
    tuple of Subspace
        Old rows frozen, the new free rows appended after them.

    Example
    -------
    >>> state = start_task(init_hlop(jax.random.PRNGKey(0), (4,), (1,)), jax.random.PRNGKey(1), new_rows=(2,))
    >>> state[0].frozen.tolist()
    [True, False, False]
    >>> start_task(state, jax.random.PRNGKey(2), new_rows=(1, 1))
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: new_rows: got 2 numbers; allowed: one per layer (1)
    """
    new_rows = tuple(new_rows)
    if len(new_rows) != len(subspaces):
        raise BadInput("new_rows", f"{len(new_rows)} numbers", f"one per layer ({len(subspaces)})")
    keys = jax.random.split(key, len(subspaces))
    return tuple(add_rows(freeze(s), k, n) for s, k, n in zip(subspaces, keys, new_rows))


def hlop_update(subspaces, gradient, traces, learning_rates, iterations: int = 5, momentum: float = 0.9,
                clip: float = 10.0, spike_levels=None, frozen_rows=None, projected: bool = False):
    """Learn each layer's free rows on its traces; project each layer's gradient off its frozen rows.

    With no frozen rows (the first task) the gradient passes unchanged. The projection uses
    the frozen rows as they are before this call's learning (frozen rows do not learn anyway).

    Parameters
    ----------
    subspaces : sequence of Subspace
        One per layer.
    gradient : sequence of array
        Weight update of each layer, ``gradient[l]`` (n_in, n_out) for ``a_{l-1} @ W_l``.
    traces : sequence of array
        Presynaptic traces of each layer, ``traces[l]`` (batch, n_in), any units.
    learning_rates : sequence of float
        Hebbian learning rate of each layer (> 0).
    iterations, momentum, clip, spike_levels
        As in :func:`~bioplastic.rules.hebbian_subspace.learn_subspace`, the same for every layer.
    frozen_rows : sequence of int or None
        Each layer's number of frozen rows (:func:`frozen_rows_of`): the frozen rows' part
        is then computed once per call instead of at every iteration (same result up to
        rounding, less work); ``None`` reads the masks.
    projected : bool
        The trainer has already projected ``gradient`` off the frozen rows (it was given
        :func:`frozen_bases`, e.g. :func:`~bioplastic.networks.spiking_mlp.spiking_gradients`
        with DSR); it passes unchanged and only the free rows learn.

    Returns
    -------
    tuple
        ``(projected, subspaces)``: tuples of the projected gradients and of the updated subspaces.

    Example
    -------
    >>> import jax.numpy as jnp
    >>> g, traces = (jnp.ones((3, 2)),), (jax.random.normal(jax.random.PRNGKey(2), (8, 3)),)
    >>> state = init_hlop(jax.random.PRNGKey(0), layer_inputs=(3,), rows=(1,))
    >>> projected, state = hlop_update(state, g, traces, learning_rates=(0.01,))
    >>> bool(jnp.array_equal(projected[0], g[0]))                     # first task: nothing frozen
    True
    >>> state = start_task(state, jax.random.PRNGKey(1), new_rows=(1,))
    >>> projected, learned = hlop_update(state, g, traces, learning_rates=(0.01,))
    >>> float(jnp.abs(state[0].weights[:1] @ projected[0]).max()) < 1e-6     # no change along the frozen row
    True
    >>> bool(jnp.array_equal(learned[0].weights[0], state[0].weights[0]))    # and the frozen row does not learn
    True
    """
    if not (len(subspaces) == len(gradient) == len(traces) == len(learning_rates)):
        raise BadInput("hlop_update",
                       f"{len(subspaces)} subspaces, {len(gradient)} gradients, {len(traces)} traces and {len(learning_rates)} learning rates",
                       "one of each per layer")
    frozen_rows = (None,) * len(subspaces) if frozen_rows is None else tuple(frozen_rows)
    if not projected:
        gradient = tuple(project_gradient(g, s, f) for g, s, f in zip(gradient, subspaces, frozen_rows))
    learned = tuple(learn_subspace(s, t, lr, iterations, momentum, clip, spike_levels, f)
                    for s, t, lr, f in zip(subspaces, traces, learning_rates, frozen_rows))
    return tuple(gradient), learned


def frozen_bases(subspaces, frozen_rows=None) -> tuple:
    """Each layer's frozen rows (k x n_in), the subspace a trainer projects its gradient off; None where none is frozen.

    With ``frozen_rows`` (:func:`frozen_rows_of`) the frozen rows are sliced off the front;
    without it, every row is kept with the free ones zeroed (the same projection).

    Example
    -------
    >>> state = start_task(init_hlop(jax.random.PRNGKey(0), (4, 3), (2, 1)), jax.random.PRNGKey(1), (1, 1))
    >>> [b.shape for b in frozen_bases(state, frozen_rows_of(state))]
    [(2, 4), (1, 3)]
    >>> frozen_bases(init_hlop(jax.random.PRNGKey(0), (4, 3), (2, 1)), (0, 0))      # the first task
    (None, None)
    """
    if frozen_rows is None:
        return tuple(frozen_weights(s) for s in subspaces)
    return tuple(s.weights[:count] if count else None for s, count in zip(subspaces, frozen_rows))


def frozen_rows_of(subspaces) -> tuple:
    """Each layer's number of frozen rows (they come first), read outside ``jit`` for :func:`hlop_update`.

    Example
    -------
    >>> state = start_task(init_hlop(jax.random.PRNGKey(0), (4, 3), (2, 1)), jax.random.PRNGKey(1), (1, 1))
    >>> frozen_rows_of(state)
    (2, 1)
    """
    return tuple(frozen_count(s) for s in subspaces)


def rows_schedule(n_tasks: int, first=(80, 200, 100), added=(70, 70, 70), fewer_every: int = 3,
                  fewer_by: int = 20) -> list:
    """Rows added per layer at each task: ``first`` at task 0, then ``added``, reduced by ``fewer_by`` at
    every task index divisible by ``fewer_every`` (the HLOP code's schedule).

    Parameters
    ----------
    n_tasks : int
        Number of tasks (length of the schedule).
    first : sequence of int
        Rows per layer at task 0.
    added : sequence of int
        Rows per layer at task 1 (and after, until the first reduction).
    fewer_every : int
        Period (in tasks) of the reductions.
    fewer_by : int
        Rows removed from every layer's count at each reduction; the reductions accumulate, floored at 0.

    Returns
    -------
    list of tuple of int
        ``n_tasks`` entries, one row count per layer (the ``new_rows`` of :func:`start_task`).

    Example
    -------
    >>> [rows[0] for rows in rows_schedule(10)]
    [80, 70, 70, 50, 50, 50, 30, 30, 30, 10]
    """
    schedule, current = [tuple(first)], list(added)
    for task in range(1, n_tasks):
        if task % fewer_every == 0:
            current = [max(0, n - fewer_by) for n in current]
        schedule.append(tuple(current))
    return schedule


def hlop_projection(learning_rates, iterations: int = 5, momentum: float = 0.9, spike_levels=None, *,
                    key: jax.Array = None, rows=None, frozen_rows=None, projected: bool = False) -> Rule:
    """HLOP as a gradient transformation: :func:`hlop_update` of the ``gradient`` and ``traces`` signals.

    The state is one :class:`~bioplastic.rules.hebbian_subspace.Subspace` per layer; ``init``
    makes them with ``rows`` free rows from ``key`` (:func:`init_hlop`), and
    :func:`start_task` freezes them and adds rows between tasks. ``frozen_rows``: each
    layer's number of frozen rows during this task (:func:`frozen_rows_of`), or ``None``;
    ``projected``: the gradient signal comes already projected (see :func:`hlop_update`).

    Example
    -------
    >>> import jax.numpy as jnp
    >>> rule = hlop_projection((0.01,), key=jax.random.PRNGKey(0), rows=(1,))
    >>> state = rule.init((jnp.zeros((3, 2)),))                         # one layer of 3 inputs
    >>> g, traces = (jnp.ones((3, 2)),), (jnp.ones((8, 3)),)
    >>> projected, state = rule.update(state, None, gradient=g, traces=traces)
    >>> bool(jnp.array_equal(projected[0], g[0])), rule.signals               # first task: nothing frozen
    (True, ('gradient', 'traces'))
    """

    def init(weights):
        if key is None or rows is None:
            raise BadInput("hlop_projection.init", "no key or rows", "hlop_projection(..., key=..., rows=...) "
                           "to make the subspaces (or init_hlop)")
        return init_hlop(key, tuple(w.shape[0] for w in weights), rows)

    def update(subspaces, weights, *, gradient, traces):
        return hlop_update(subspaces, gradient, traces, learning_rates, iterations, momentum,
                           spike_levels=spike_levels, frozen_rows=frozen_rows, projected=projected)

    return Rule(init, update, ("gradient", "traces"))
