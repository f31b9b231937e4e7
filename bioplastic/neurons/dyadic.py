"""Dyadic units: two internal states per neuron, their mean the activity, their difference the error.

A dyad holds ``s_plus`` and ``s_minus``. It receives a bottom-up drive ``a`` (the usual
weighted input) and a top-down ``feedback`` (for dual propagation, ``gamma * W^T
(s_plus - s_minus)`` of the layer above) and sets::

    s_plus  = f(a + alpha       * feedback)
    s_minus = f(a - (1 - alpha) * feedback)

so that ``activity = (s_plus + s_minus) / 2`` (what the layer above sees; with
``alpha = 1/2``) and ``error = s_plus - s_minus`` (what local learning uses). With zero
feedback both states equal ``f(a)``: an ordinary unit. ``alpha = 1/2`` is the symmetric
dyad of dual propagation; ``alpha`` in [0, 1] gives the asymmetric nudging variants.

``leaky=True`` relaxes both states towards those targets with time constant ``tau_ms``
(exact exponential step); ``leaky=False`` (default) sets them at once, which is how dual
propagation solves a layer in closed form.

Example
-------
>>> import jax.numpy as jnp
>>> from bioplastic.neurons.dyadic import DyadicInput, DyadicUnit, dyad_activity, dyad_error
>>> unit = DyadicUnit(activation="linear")
>>> p = unit.params()
>>> state, activity = unit.step(p, unit.init(p, 2, None), DyadicInput(jnp.array([1.0, 2.0]), jnp.array([0.2, 0.0])), 1.0)
>>> dyad_error(state).round(6), activity
(Array([0.2, 0. ], dtype=float32), Array([1., 2.], dtype=float32))
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp

from bioplastic._checks import BadInput, check_finite, check_positive, check_shape
from bioplastic.neurons.activations import activation
from bioplastic.neurons.base import NeuronModel


class DyadicInput(NamedTuple):
    """``feedforward``: bottom-up drive ``a``; ``feedback``: top-down error drive (same shape).

    Both are in the units of the activation's argument.

    Example
    -------
    With ``alpha = 1`` all the feedback goes to ``s_plus``:

    >>> unit = DyadicUnit(activation="linear")
    >>> params = unit.params(alpha=1.0)
    >>> drive = DyadicInput(feedforward=jnp.array([1.0]), feedback=jnp.array([0.5]))
    >>> state, activity = unit.step(params, unit.init(params, 1, None), drive, 1.0)
    >>> state.s_plus.tolist(), state.s_minus.tolist(), activity.tolist()
    ([1.5], [1.0], [1.25])
    """

    feedforward: jax.Array
    feedback: jax.Array


class DyadicParams(NamedTuple):
    """``alpha``: share of the feedback given to ``s_plus`` (in [0, 1]); ``tau_ms``: relaxation (ms).

    Example
    -------
    >>> params = DyadicUnit(leaky=True).params(alpha=0.25, tau_ms=5.0)
    >>> params.alpha.tolist(), params.tau_ms.tolist()
    (0.25, 5.0)
    """

    alpha: jax.Array
    tau_ms: jax.Array


class DyadicState(NamedTuple):
    """The two intrinsic states of each dyad (units of the activation's output).

    Example
    -------
    >>> state = DyadicState(s_plus=jnp.array([1.0, 0.5]), s_minus=jnp.array([0.5, 0.5]))
    >>> dyad_activity(state).tolist(), dyad_error(state).tolist()
    ([0.75, 0.5], [0.5, 0.0])
    """

    s_plus: jax.Array
    s_minus: jax.Array


def dyad_activity(state: DyadicState) -> jax.Array:
    """Mean of the two states: the activity passed to the next layer.

    Example
    -------
    >>> dyad_activity(DyadicState(s_plus=jnp.array([1.0]), s_minus=jnp.array([0.5]))).tolist()
    [0.75]
    """
    return 0.5 * (state.s_plus + state.s_minus)


def dyad_error(state: DyadicState) -> jax.Array:
    """Difference ``s_plus - s_minus``: the error signal a local rule learns from.

    Example
    -------
    >>> dyad_error(DyadicState(s_plus=jnp.array([1.0]), s_minus=jnp.array([0.5]))).tolist()
    [0.5]
    """
    return state.s_plus - state.s_minus


@dataclasses.dataclass(frozen=True)
class DyadicUnit(NeuronModel):
    """A population of dyads (see the module docstring).

    Parameters
    ----------
    activation : str
        Activation ``f`` applied to each state (a name from ``ACTIVATIONS``).
    leaky : bool
        Relax towards the targets with ``tau_ms`` (True) or set them at once (False).

    Example
    -------
    >>> DyadicUnit(activation="relu").params(alpha=0.5).alpha
    Array(0.5, dtype=float32)
    """

    activation: str = "relu"
    leaky: bool = False

    state_variables = ("s_plus", "s_minus")
    state_units = {"s_plus": "1", "s_minus": "1"}  # rate units

    def __post_init__(self):
        activation(self.activation, "DyadicUnit.activation")

    def params(self, *, alpha=0.5, tau_ms=1.0) -> DyadicParams:
        """Validated parameters: ``alpha`` in [0, 1]; ``tau_ms`` > 0 (ms).

        Example
        -------
        >>> DyadicUnit().params(alpha=1.5)
        Traceback (most recent call last):
        ...
        bioplastic._checks.BadInput: DyadicUnit.params.alpha: got 1.5; allowed: a number in [0, 1]
        """
        check_finite(alpha, "DyadicUnit.params.alpha")
        if not 0.0 <= float(alpha) <= 1.0:
            raise BadInput("DyadicUnit.params.alpha", f"{float(alpha)!r}", "a number in [0, 1]")
        check_positive(tau_ms, "DyadicUnit.params.tau_ms", "ms")
        return DyadicParams(alpha=jnp.asarray(alpha, jnp.float32), tau_ms=jnp.asarray(tau_ms, jnp.float32))

    def init(self, params: DyadicParams, shape, key) -> DyadicState:
        """Both states at ``f(0)``; ``key`` is unused.

        Parameters
        ----------
        params : DyadicParams
            From :meth:`params` (not used: the rest state depends only on ``f``).
        shape : int or tuple of int
            Population shape.
        key : jax key or None
            Unused.

        Example
        -------
        >>> unit = DyadicUnit(activation="sigmoid")
        >>> state = unit.init(unit.params(), 2, None)
        >>> state.s_plus.tolist(), dyad_error(state).tolist()
        ([0.5, 0.5], [0.0, 0.0])
        """
        shape = check_shape(shape)
        rest = activation(self.activation)(jnp.zeros(shape, jnp.float32))
        return DyadicState(s_plus=rest, s_minus=rest)

    def step(self, params: DyadicParams, state: DyadicState, input: DyadicInput, dt: float):
        """Set (or relax) both states from ``input``; returns ``(state, activity)``.

        Parameters
        ----------
        params : DyadicParams
            ``alpha`` (share of the feedback given to ``s_plus``) and ``tau_ms``.
        state : DyadicState
            States before the step (used only when ``leaky``).
        input : DyadicInput
            Feedforward and feedback drives, in the units of the activation's argument.
        dt : float
            Step (ms); used only when ``leaky``.

        Returns
        -------
        (DyadicState, array)
            The new states and the activity ``(s_plus + s_minus) / 2``, of the population shape.

        Example
        -------
        With ``alpha = 1/2`` and a linear ``f``, the error equals the feedback and the
        activity is the feedforward drive; a leaky dyad covers ``1 - exp(-dt / tau)`` of
        the way to those targets:

        >>> drive = DyadicInput(feedforward=jnp.array([1.0]), feedback=jnp.array([0.4]))
        >>> unit = DyadicUnit(activation="linear")
        >>> state, activity = unit.step(unit.params(), unit.init(unit.params(), 1, None), drive, 1.0)
        >>> round(float(dyad_error(state)[0]), 4), activity.tolist()
        (0.4, [1.0])
        >>> leaky = DyadicUnit(activation="linear", leaky=True)
        >>> p = leaky.params(tau_ms=1.0)
        >>> state, activity = leaky.step(p, leaky.init(p, 1, None), drive, 1.0)
        >>> round(float(activity[0]), 4)   # 1 - exp(-1)
        0.6321
        """
        f = activation(self.activation)
        target_plus = f(input.feedforward + params.alpha * input.feedback)
        target_minus = f(input.feedforward - (1.0 - params.alpha) * input.feedback)
        if self.leaky:
            keep = jnp.exp(-dt / params.tau_ms)
            target_plus = target_plus + (state.s_plus - target_plus) * keep
            target_minus = target_minus + (state.s_minus - target_minus) * keep
        new_state = DyadicState(s_plus=target_plus, s_minus=target_minus)
        return new_state, dyad_activity(new_state)
