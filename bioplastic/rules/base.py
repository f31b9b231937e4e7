"""The learning-rule interface: a pair of pure functions built by a factory.

A rule is made by a factory that closes over its hyperparameters (as an optax
transformation is) and returns a :class:`Rule`::

    rule = stdp(a_plus=0.01, ...)
    rule_state = rule.init(weights)
    delta, rule_state = rule.update(rule_state, weights, pre=..., post=..., **signals)

``weights`` is a :class:`~bioplastic.synapses.connectivity.Connectivity` (padded
out-lists), ``delta`` has the shape of ``weights.weights``. The rule returns a weight
*change*; the caller adds it, so rules compose and a gradient rule is just another
rule. Signals beyond ``pre`` and ``post`` (``modulator=``, ``gate=``, ...) are keyword
arguments; ``Rule.signals`` names the ones a rule needs, so a protocol that does not
provide them is rejected before anything runs, and a call without them fails loudly.

Example
-------
>>> import jax.numpy as jnp
>>> from bioplastic.rules.base import Rule
>>> constant = Rule(init=lambda w: (), update=lambda s, w, *, pre, post: (jnp.ones_like(w.weights), s), signals=())
>>> constant.signals
()
"""

from __future__ import annotations

import math
from typing import Any, Callable, NamedTuple

import jax.numpy as jnp

from bioplastic._checks import BadInput, check_finite


class Rule(NamedTuple):
    """``init(weights) -> state``; ``update(state, weights, *, pre, post, **signals) -> (delta, state)``.

    ``delta`` is a weight *change* (same shape and units as the weights); the caller adds
    it. ``signals`` names the keyword arguments beyond ``pre`` and ``post`` that the rule
    needs.

    Example
    -------
    A plain Hebbian rule on a dense ``(n_post, n_pre)`` matrix that also counts its calls:

    >>> import jax.numpy as jnp
    >>> hebb = Rule(init=lambda w: 0, update=lambda count, w, *, pre, post: (jnp.outer(post, pre), count + 1),
    ...             signals=())
    >>> delta, count = hebb.update(hebb.init(jnp.zeros((1, 2))), jnp.zeros((1, 2)),
    ...                            pre=jnp.array([1.0, 0.0]), post=jnp.array([2.0]))
    >>> delta.tolist(), count
    ([[2.0, 0.0]], 1)
    >>> Rule._fields
    ('init', 'update', 'signals')
    """

    init: Callable[[Any], Any]
    update: Callable[..., tuple[Any, Any]]
    signals: tuple[str, ...]



def check_bounds(w_min, w_max, unbounded: str = "") -> None:
    """Check a rule's hard weight bounds: numbers, ``w_max >= w_min``; raise ``BadInput`` naming the bound.

    Parameters
    ----------
    w_min, w_max : float
        The bounds.
    unbounded : str
        Empty: both must be finite. Otherwise infinite bounds (no bound) are allowed, and
        this text says which (e.g. ``"inf for no upper bound"``) in the error for a NaN or a
        non-number.

    Example
    -------
    >>> check_bounds(0.0, 1.0); check_bounds(-math.inf, math.inf, "-inf / inf for no bound")
    >>> check_bounds(1.0, 0.0)
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: w_max: got 0.0; allowed: a bound >= w_min = 1.0
    >>> check_bounds(0.0, math.nan, "inf for no upper bound")
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: w_max: got nan; allowed: a number (or inf for no upper bound)
    """
    for value, name in ((w_min, "w_min"), (w_max, "w_max")):
        if not unbounded:
            check_finite(value, name)
        elif isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
            raise BadInput(name, f"{value!r}", f"a number (or {unbounded})")
    if w_max < w_min:
        raise BadInput("w_max", f"{w_max!r}", f"a bound >= w_min = {w_min!r}")


def bounded_change(weights, change, w_min, w_max):
    """``clip(w + change, w_min, w_max) - w`` at every synapse, 0 on padding: the change hard bounds allow.

    ``weights`` is a :class:`~bioplastic.synapses.connectivity.Connectivity`; ``change`` has
    the shape of ``weights.weights``.

    Example
    -------
    >>> from bioplastic.synapses.connectivity import dense
    >>> [round(float(x), 4) for x in bounded_change(dense(1, 2, 0.9), jnp.array([[0.3, -0.2]]), 0.0, 1.0)[0]]
    [0.1, -0.2]
    """
    return jnp.where(weights.mask, jnp.clip(weights.weights + change, w_min, w_max) - weights.weights, 0.0)
