"""Rules built from rules, as optax builds transformations from transformations.

:func:`chain` applies rules one after another: the first sees the signals it declares,
each later one also receives the change made so far as its ``gradient`` signal (so a
gradient transformation -- HLOP's projection, EWC's penalty -- follows a rule, or the
gradient a trainer reports). :func:`masked` zeroes a rule's change where a mask is False.
States are tuples, one entry per rule; a state of another length fails loudly.

Example
-------
>>> import jax.numpy as jnp
>>> from bioplastic.rules.base import Rule
>>> double = Rule(lambda w: (), lambda s, w, *, gradient: (2 * gradient, s), ("gradient",))
>>> plus_one = Rule(lambda w: (), lambda s, w, *, gradient: (gradient + 1, s), ("gradient",))
>>> both = chain(double, plus_one)
>>> delta, state = both.update(both.init(jnp.zeros(2)), jnp.zeros(2), gradient=jnp.array([1.0, 2.0]))
>>> delta.tolist(), state, both.signals
([3.0, 5.0], ((), ()), ('gradient',))
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from bioplastic._checks import BadInput
from bioplastic.rules.base import Rule


def chain(*rules: Rule) -> Rule:
    """The rules applied in order; each after the first gets the change so far as ``gradient``.

    With no rule, the change is the ``gradient`` signal itself (the identity transformation).

    Example
    -------
    >>> import jax.numpy as jnp
    >>> identity = chain()
    >>> identity.update(identity.init(None), None, gradient=jnp.ones(1))[0].tolist()
    [1.0]
    >>> from bioplastic.rules.ewc import ewc_penalty
    >>> penalised = chain(ewc_penalty(strength=1.0))
    >>> penalised.update((), (jnp.ones(1),), gradient=(jnp.ones(1),))     # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: chain state: got 0 entries; allowed: one state per rule (1)
    """
    signals = tuple(dict.fromkeys(["gradient"] if not rules else
                                  [name for rule in rules for name in rule.signals
                                   if rule is rules[0] or name != "gradient"]))

    def init(weights):
        return tuple(rule.init(weights) for rule in rules)

    def update(state, weights, **given):
        if len(state) != len(rules):
            raise BadInput("chain state", f"{len(state)} entries", f"one state per rule ({len(rules)})")
        if not rules:
            return given["gradient"], state
        change, states = None, []
        for index, (rule, rule_state) in enumerate(zip(rules, state)):
            needed = {name: given[name] for name in rule.signals if name != "gradient" or index == 0}
            if index > 0 and "gradient" in rule.signals:
                needed["gradient"] = change
            change, rule_state = rule.update(rule_state, weights, **needed)
            states.append(rule_state)
        return change, tuple(states)

    return Rule(init, update, signals)


def masked(rule: Rule, mask) -> Rule:
    """``rule`` whose change is zero where ``mask`` (a pytree of booleans shaped like the change) is False.

    Example
    -------
    >>> import jax.numpy as jnp
    >>> from bioplastic.rules.base import Rule
    >>> ones = Rule(lambda w: (), lambda s, w, *, gradient: (jnp.ones(3), s), ("gradient",))
    >>> masked(ones, jnp.array([True, False, True])).update((), None, gradient=None)[0].tolist()
    [1.0, 0.0, 1.0]
    """

    def update(state, weights, **signals):
        change, state = rule.update(state, weights, **signals)
        return jax.tree_util.tree_map(lambda c, m: jnp.where(m, c, jnp.zeros_like(c)), change, mask), state

    return Rule(rule.init, update, rule.signals)
