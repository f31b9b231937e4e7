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
>>> x = jax.random.normal(jax.random.PRNGKey(0), (50, 3))
>>> true_w = jnp.array([[1.0, -2.0, 0.5]])
>>> rule, w = force(alpha=1e-6), jnp.zeros((1, 3))
>>> state = rule.init(w)
>>> for x_t in x:
...     change, state = rule.update(state, w, pre=x_t, target=true_w @ x_t)
...     w = w + change
>>> bool(jnp.allclose(w, true_w, atol=1e-4))
True
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from bioplastic._checks import check_positive
from bioplastic.rules.base import Rule


class ForceState(NamedTuple):
    """The inverse correlation ``inverse`` (n_in, n_in) of the inputs, and ``alpha``.

    Example
    -------
    >>> force(alpha=2.0).init(jnp.zeros((1, 3))).inverse.diagonal().tolist()
    [0.5, 0.5, 0.5]
    """

    inverse: jax.Array
    alpha: jax.Array


def force(alpha: float) -> Rule:
    """FORCE as a rule on readout weights ``W`` (n_out, n_in): one RLS step per update.

    ``init(weights)`` sets ``P = I / alpha`` (``alpha`` > 0, the ridge regulariser, in the
    units of the inputs squared: a small ``alpha`` trusts the first examples fully, a large
    one learns slowly at first). ``update(state, weights, *, pre, target)`` takes the input
    ``x`` (n_in,) and the desired readout ``target`` (n_out,) and returns the weight change
    ``- c err k^T`` and the updated ``P``.

    Example
    -------
    >>> rule, w = force(alpha=1e-6), jnp.zeros((1, 1))                 # almost no regularisation
    >>> change, state = rule.update(rule.init(w), w, pre=jnp.array([2.0]), target=jnp.array([4.0]))
    >>> round(float((w + change)[0, 0]), 4)                              # solves w x = t at once
    2.0
    >>> force(alpha=0.0)
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: alpha: got 0.0; allowed: a finite number > 0
    """
    check_positive(alpha, "alpha")

    def init(weights) -> ForceState:
        n_in = jnp.shape(weights)[1]
        return ForceState(jnp.eye(n_in, dtype=jnp.float32) / alpha, jnp.asarray(alpha, jnp.float32))

    def update(state: ForceState, weights, *, pre, target):
        error = weights @ pre - target
        k = state.inverse @ pre
        c = 1.0 / (1.0 + pre @ k)
        return -(c * jnp.outer(error, k)), ForceState(state.inverse - c * jnp.outer(k, k), state.alpha)

    return Rule(init, update, ("target",))


def reset_inverse_correlation(state: ForceState) -> ForceState:
    """``P <- I / alpha``: FORCE learns as fast as at its start again (the weights are not touched).

    Example
    -------
    >>> rule, w = force(1.0), jnp.zeros((1, 2))
    >>> _, state = rule.update(rule.init(w), w, pre=jnp.array([1.0, 1.0]), target=jnp.array([1.0]))
    >>> reset_inverse_correlation(state).inverse.tolist()
    [[1.0, 0.0], [0.0, 1.0]]"""
    return state._replace(inverse=jnp.eye(state.inverse.shape[0], dtype=state.inverse.dtype) / state.alpha)
