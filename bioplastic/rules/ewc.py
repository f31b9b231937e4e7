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


class EWCState(NamedTuple):
    """Running sums over finished tasks: ``importance = sum_t F_t``, ``anchor = sum_t F_t w*_t``."""

    importance: tuple
    anchor: tuple


def init_ewc(weights) -> EWCState:
    """No task finished yet: zero importance, no penalty."""
    zeros = jax.tree_util.tree_map(jnp.zeros_like, tuple(weights))
    return EWCState(zeros, zeros)


def consolidate(state: EWCState, weights, fisher) -> EWCState:
    """Add a finished task: its weights ``w*`` and their diagonal Fisher ``F``."""
    return EWCState(jax.tree_util.tree_map(jnp.add, state.importance, tuple(fisher)),
                    jax.tree_util.tree_map(lambda a, f, w: a + f * w, state.anchor, tuple(fisher), tuple(weights)))


def penalty_gradient(state: EWCState, weights, strength: float):
    """Gradient of the penalty, ``strength (importance * w - anchor)``, per weight."""
    return jax.tree_util.tree_map(lambda i, a, w: strength * (i * w - a), state.importance, state.anchor,
                                  tuple(weights))


def fisher_diagonal(example_gradient, weights, x, labels, batch: int = 64):
    """Mean squared per-example gradient over ``x`` (``example_gradient(weights, x1, label1) -> gradient``).

    ``example_gradient`` gets one example with a batch axis of 1 and returns the gradient
    of its loss (the negative log-likelihood of ``label``); examples are vmapped ``batch``
    at a time.
    """
    squared = jax.jit(jax.vmap(lambda w, xi, yi: jax.tree_util.tree_map(
        jnp.square, example_gradient(w, xi[None], yi[None])), in_axes=(None, 0, 0)))
    total = jax.tree_util.tree_map(jnp.zeros_like, tuple(weights))
    for start in range(0, len(x), batch):
        block = squared(weights, x[start:start + batch], labels[start:start + batch])
        total = jax.tree_util.tree_map(lambda t, b: t + b.sum(axis=0), total, tuple(block))
    return jax.tree_util.tree_map(lambda t: t / len(x), total)
