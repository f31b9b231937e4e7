"""FORCE learning (Sussillo & Abbott 2009): recursive least squares on linear readouts.

Readouts ``z = W x`` (``W``: (n_out, n_in)) learn online from their error
``err = z - target``. ``P`` is the running estimate of the inverse of the inputs'
correlation matrix, regularised by ``alpha``::

    P(0) = I / alpha
    k = P x;   c = 1 / (1 + x^T k)
    P <- P - c k k^T                      (= P - P x x^T P / (1 + x^T P x))
    W <- W - c err k^T                    (= W - err (P x)^T with the updated P)

After ``n`` updates, ``W`` is exactly the ridge-regression solution of all targets seen
so far, ``argmin_W sum_t |W x_t - y_t|^2 + alpha |W - W_0|^2``: the error of each step
is weighed against everything learned before, so the effective learning rate falls as
``1/n``. That makes FORCE precise in a stationary world and slow after a change, unless
``P`` is reset to ``I / alpha`` (:func:`reset_inverse_correlation`).

Example
-------
>>> import jax, jax.numpy as jnp
>>> from bioplastic.rules.force import force_update, init_force
>>> x = jax.random.normal(jax.random.PRNGKey(0), (50, 3))
>>> true_w = jnp.array([[1.0, -2.0, 0.5]])
>>> state = init_force(jnp.zeros((1, 3)), alpha=1e-6)
>>> for x_t in x:
...     state = force_update(state, x_t, true_w @ x_t)
>>> bool(jnp.allclose(state.weights, true_w, atol=1e-4))
True
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from bioplastic._checks import check_positive


class ForceState(NamedTuple):
    """Readout ``weights`` (n_out, n_in), inverse correlation ``inverse`` (n_in, n_in), and ``alpha``.

    Example
    -------
    >>> init_force(jnp.zeros((1, 3)), alpha=2.0).inverse.diagonal().tolist()
    [0.5, 0.5, 0.5]
    """

    weights: jax.Array
    inverse: jax.Array
    alpha: jax.Array


def init_force(weights, alpha: float) -> ForceState:
    """Start from ``weights`` with ``P = I / alpha`` (``alpha`` > 0: the ridge regulariser).

    ``alpha`` has the units of the inputs squared: a small ``alpha`` trusts the first
    examples fully, a large one learns slowly at first.

    Example
    -------
    >>> state = init_force([[1.0, 2.0]], alpha=4.0)
    >>> state.weights.tolist(), state.inverse.tolist(), float(state.alpha)
    ([[1.0, 2.0]], [[0.25, 0.0], [0.0, 0.25]], 4.0)
    >>> init_force(jnp.zeros((1, 2)), alpha=0.0)
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: alpha: got 0.0; allowed: a finite number > 0
    """
    check_positive(alpha, "alpha")
    weights = jnp.asarray(weights, jnp.float32)
    n_in = weights.shape[1]
    return ForceState(weights, jnp.eye(n_in, dtype=jnp.float32) / alpha, jnp.asarray(alpha, jnp.float32))


def force_update(state: ForceState, x: jax.Array, target: jax.Array) -> ForceState:
    """One RLS step on input ``x`` (n_in,) towards ``target`` (n_out,).

    Parameters
    ----------
    state : ForceState
        Current readout weights (n_out, n_in), inverse correlation ``P`` (n_in, n_in) and ``alpha``.
    x : array (n_in,)
        Presynaptic input (any units; ``alpha`` has these units squared).
    target : array (n_out,)
        Desired readout ``W x``, in the units of the readout.

    Returns
    -------
    ForceState
        Updated ``weights`` and ``inverse``; ``alpha`` unchanged.

    Example
    -------
    >>> state = init_force(jnp.zeros((1, 1)), alpha=1e-6)   # almost no regularisation
    >>> round(float(force_update(state, jnp.array([2.0]), jnp.array([4.0])).weights[0, 0]), 4)   # solves w x = t at once
    2.0"""
    error = state.weights @ x - target
    k = state.inverse @ x
    c = 1.0 / (1.0 + x @ k)
    inverse = state.inverse - c * jnp.outer(k, k)
    weights = state.weights - c * jnp.outer(error, k)
    return ForceState(weights, inverse, state.alpha)


def reset_inverse_correlation(state: ForceState) -> ForceState:
    """``P <- I / alpha``, keeping the weights: FORCE learns as fast as at its start again.

    Example
    -------
    >>> state = force_update(init_force(jnp.zeros((1, 2)), 1.0), jnp.array([1.0, 1.0]), jnp.array([1.0]))
    >>> reset_inverse_correlation(state).inverse.tolist()
    [[1.0, 0.0], [0.0, 1.0]]"""
    return state._replace(inverse=jnp.eye(state.inverse.shape[0], dtype=state.inverse.dtype) / state.alpha)
