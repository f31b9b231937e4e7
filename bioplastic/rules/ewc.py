"""Elastic weight consolidation (Kirkpatrick et al. 2017): a quadratic anchor per finished task.

After task ``t`` the diagonal empirical Fisher information ``F_t = < g^2 >`` (``g``: the
gradient of one example's log-likelihood of its label) measures how much each weight
mattered; later tasks add the penalty ``(strength / 2) sum_t sum_i F_t,i (w_i - w*_t,i)^2``.
Its gradient ``strength (sum_t F_t w - sum_t F_t w*_t)`` needs only two running sums, so
the state does not grow with the number of tasks.

Example
-------
>>> import jax.numpy as jnp
>>> state = init_ewc((jnp.zeros(2),))
>>> state = consolidate(state, (jnp.array([1.0, 3.0]),), fisher=(jnp.array([2.0, 0.0]),))
>>> penalty_gradient(state, (jnp.array([0.0, 0.0]),), strength=0.5)[0].tolist()
[-1.0, 0.0]
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from bioplastic.rules.base import Rule


class EWCState(NamedTuple):
    """Running sums over finished tasks: ``importance = sum_t F_t``, ``anchor = sum_t F_t w*_t``.

    Each is a tuple shaped like the weights; ``importance`` has the units of
    1 / weight^2 (a Fisher diagonal), ``anchor`` those of 1 / weight.

    Example
    -------
    Two tasks, each with its own Fisher and optimum, fold into the two sums:

    >>> state = init_ewc((jnp.zeros(2),))
    >>> state = consolidate(state, (jnp.array([1.0, 2.0]),), fisher=(jnp.array([1.0, 0.5]),))
    >>> state = consolidate(state, (jnp.array([3.0, 0.0]),), fisher=(jnp.array([2.0, 0.5]),))
    >>> state.importance[0].tolist(), state.anchor[0].tolist()      # F1 + F2, F1 w1 + F2 w2
    ([3.0, 1.0], [7.0, 1.0])
    """

    importance: tuple
    anchor: tuple


def init_ewc(weights) -> EWCState:
    """No task finished yet: zero importance, no penalty.

    ``weights``: a sequence of arrays (one per layer); the state is shaped like it.

    Example
    -------
    >>> state = init_ewc((jnp.ones((2, 3)), jnp.ones(3)))
    >>> [i.shape for i in state.importance], float(state.anchor[0].sum())
    ([(2, 3), (3,)], 0.0)
    >>> penalty_gradient(state, (jnp.ones((2, 3)), jnp.ones(3)), strength=10.0)[1].tolist()
    [0.0, 0.0, 0.0]
    """
    zeros = jax.tree_util.tree_map(jnp.zeros_like, tuple(weights))
    return EWCState(zeros, zeros)


def consolidate(state: EWCState, weights, fisher) -> EWCState:
    """Add a finished task: its weights ``w*`` and their diagonal Fisher ``F``.

    Parameters
    ----------
    state : EWCState
        The sums over the tasks finished before.
    weights : sequence of arrays
        ``w*``, the weights at the end of the task, one array per layer.
    fisher : sequence of arrays
        ``F``, shaped like ``weights`` (1 / weight^2; see :func:`fisher_diagonal`).

    Returns
    -------
    EWCState
        The new sums; ``state`` is not changed.

    Example
    -------
    After two tasks, the penalty gradient is the gradient of the explicit sum of the two
    quadratic anchors ``(strength / 2) sum_t sum_i F_t,i (w_i - w*_t,i)^2``:

    >>> import jax
    >>> f1, w1 = jnp.array([1.0, 0.5]), jnp.array([1.0, 2.0])
    >>> f2, w2 = jnp.array([2.0, 0.5]), jnp.array([3.0, 0.0])
    >>> state = consolidate(consolidate(init_ewc((w1,)), (w1,), (f1,)), (w2,), (f2,))
    >>> w = jnp.array([0.5, -1.0])
    >>> penalty = lambda w: 0.5 * 4.0 * (jnp.sum(f1 * (w - w1) ** 2) + jnp.sum(f2 * (w - w2) ** 2))
    >>> penalty_gradient(state, (w,), strength=4.0)[0].tolist(), jax.grad(penalty)(w).tolist()
    ([-22.0, -8.0], [-22.0, -8.0])
    """
    return EWCState(jax.tree_util.tree_map(jnp.add, state.importance, tuple(fisher)),
                    jax.tree_util.tree_map(lambda a, f, w: a + f * w, state.anchor, tuple(fisher), tuple(weights)))


def penalty_gradient(state: EWCState, weights, strength: float):
    """Gradient of the penalty, ``strength (importance * w - anchor)``, per weight.

    Parameters
    ----------
    state : EWCState
    weights : sequence of arrays
        The current weights ``w``, one array per layer.
    strength : float
        The dimensionless ``lambda`` of Kirkpatrick et al.

    Returns
    -------
    tuple of arrays
        Shaped like ``weights`` (1 / weight), to be added to the task's loss gradient.

    Example
    -------
    One task with ``F = [2, 0]`` at ``w* = [1, 3]``: the pull is ``strength F (w - w*)``,
    and a weight with zero Fisher is free:

    >>> state = consolidate(init_ewc((jnp.zeros(2),)), (jnp.array([1.0, 3.0]),), (jnp.array([2.0, 0.0]),))
    >>> penalty_gradient(state, (jnp.array([4.0, 5.0]),), strength=0.5)[0].tolist()
    [3.0, 0.0]
    """
    return jax.tree_util.tree_map(lambda i, a, w: strength * (i * w - a), state.importance, state.anchor,
                                  tuple(weights))


def fisher_diagonal(example_gradient, weights, x, labels, batch: int = 64):
    """Mean squared per-example gradient over ``x`` (``example_gradient(weights, x1, label1) -> gradient``).

    Parameters
    ----------
    example_gradient : callable
        Gets one example with a batch axis of 1 and returns the gradient of its loss (the negative
        log-likelihood of ``label``), a sequence shaped like ``weights``.
    weights : sequence of arrays
        Where the gradients are taken, one array per layer.
    x : array
        Examples ``(n, ...)``.
    labels : array
        Their labels ``(n,)``.
    batch : int
        Examples vmapped at a time (the result does not depend on it).

    Returns
    -------
    tuple of arrays
        Shaped like ``weights`` (units: 1 / weight^2 when the loss is in nats).

    Example
    -------
    A squared-error loss ``0.5 (w . x - y)^2`` at ``w = 0`` has the per-example gradient
    ``-y x``, so the Fisher diagonal is the mean of ``y^2 x^2``, whatever the batching:

    >>> def example_gradient(w, x1, y1):
    ...     return (((x1 @ w[0] - y1)[:, None] * x1).sum(axis=0),)
    >>> x, y = jnp.array([[1.0, 2.0], [3.0, 0.0], [0.0, 1.0]]), jnp.array([1.0, 2.0, -1.0])
    >>> [round(float(f), 4) for f in fisher_diagonal(example_gradient, (jnp.zeros(2),), x, y)[0]]   # [37 / 3, 5 / 3]
    [12.3333, 1.6667]
    >>> [round(float(f), 4) for f in fisher_diagonal(example_gradient, (jnp.zeros(2),), x, y, batch=2)[0]]
    [12.3333, 1.6667]
    """
    squared = jax.jit(jax.vmap(lambda w, xi, yi: jax.tree_util.tree_map(
        jnp.square, example_gradient(w, xi[None], yi[None])), in_axes=(None, 0, 0)))
    total = jax.tree_util.tree_map(jnp.zeros_like, tuple(weights))
    for start in range(0, len(x), batch):
        block = squared(weights, x[start:start + batch], labels[start:start + batch])
        total = jax.tree_util.tree_map(lambda t, b: t + b.sum(axis=0), total, tuple(block))
    return jax.tree_util.tree_map(lambda t: t / len(x), total)


def ewc_penalty(strength: float) -> Rule:
    """EWC as a gradient transformation: adds :func:`penalty_gradient` to the ``gradient`` signal.

    The state is the :class:`EWCState` (``init`` makes an empty one; :func:`consolidate`
    adds each finished task).

    Example
    -------
    >>> rule = ewc_penalty(strength=0.5)
    >>> state = consolidate(rule.init((jnp.zeros(2),)), (jnp.array([1.0, 3.0]),), (jnp.array([2.0, 0.0]),))
    >>> rule.update(state, (jnp.array([4.0, 5.0]),), gradient=(jnp.ones(2),))[0][0].tolist()   # 1 + 0.5 * 2 * 3
    [4.0, 1.0]
    """

    def update(state: EWCState, weights, *, gradient):
        penalty = penalty_gradient(state, weights, strength)
        return tuple(g + p for g, p in zip(gradient, penalty)), state

    return Rule(init_ewc, update, ("gradient",))
