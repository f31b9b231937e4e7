"""Rate units: a leaky (or instantaneous) integrator of input followed by an activation.

Leaky (``tau_ms`` given)::

    tau du/dt = -u + I,    r = f(u)

integrated exactly for input held constant over a step:
``u(t+dt) = I + (u(t) - I) exp(-dt/tau)``. Instantaneous (``RateUnit(leaky=False)``):
``u = I`` and ``r = f(I)`` at every step. ``I`` and ``u`` are in the units of the
activation's argument (dimensionless for learning tasks; mV-like for neural fields).

Example
-------
>>> import jax, jax.numpy as jnp
>>> from bioplastic.neurons.rate import RateUnit
>>> unit = RateUnit(activation="relu")
>>> params = unit.params(tau_ms=10.0)
>>> state = unit.init(params, 2, jax.random.PRNGKey(0))
>>> state, rate = unit.step(params, state, jnp.array([-1.0, 1.0]), 10.0)
>>> rate.round(3)
Array([0.   , 0.632], dtype=float32)
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp

from bioplastic._checks import check_positive, check_shape
from bioplastic.neurons.activations import activation
from bioplastic.neurons.base import NeuronModel


class RateParams(NamedTuple):
    """``tau_ms``: integration time constant (ms); unused by instantaneous units.

    Example
    -------
    >>> RateUnit().params(tau_ms=5.0).tau_ms.tolist()
    5.0
    """

    tau_ms: jax.Array


class RateState(NamedTuple):
    """``u``: integrated input (activation argument); ``rate``: ``f(u)``.

    Example
    -------
    >>> unit = RateUnit(activation="relu", leaky=False)
    >>> state, _ = unit.step(unit.params(), unit.init(unit.params(), 2, None), jnp.array([-1.0, 2.0]), 1.0)
    >>> state.u.tolist(), state.rate.tolist()
    ([-1.0, 2.0], [0.0, 2.0])
    """

    u: jax.Array
    rate: jax.Array


@dataclasses.dataclass(frozen=True)
class RateUnit(NeuronModel):
    """A population of rate units.

    Parameters
    ----------
    activation : str
        One of :data:`bioplastic.neurons.activations.ACTIVATIONS`.
    leaky : bool
        ``True``: integrate the input with time constant ``tau_ms``; ``False``: ``r = f(I)``.

    Example
    -------
    >>> unit = RateUnit(activation="tanh", leaky=False)
    >>> s, r = unit.step(unit.params(), unit.init(unit.params(), 1, None), jnp.array([0.5]), 1.0)
    >>> r.round(4)
    Array([0.4621], dtype=float32)
    """

    activation: str = "relu"
    leaky: bool = True

    state_variables = ("u", "rate")
    state_units = {"u": "1", "rate": "1"}          # rate units

    def __post_init__(self):
        activation(self.activation, "RateUnit.activation")

    def params(self, *, tau_ms=10.0) -> RateParams:
        """Validated parameters (``tau_ms`` > 0, ms).

        Example
        -------
        >>> RateUnit().params(tau_ms=0.0)
        Traceback (most recent call last):
        ...
        bioplastic._checks.BadInput: RateUnit.params.tau_ms: got 0.0; allowed: a finite number > 0 (ms)
        """
        check_positive(tau_ms, "RateUnit.params.tau_ms", "ms")
        return RateParams(tau_ms=jnp.asarray(tau_ms, jnp.float32))

    def init(self, params: RateParams, shape, key) -> RateState:
        """All units at ``u = 0``, so ``rate = f(0)``; ``key`` is unused.

        Parameters
        ----------
        params : RateParams
            From :meth:`params` (not used: the rest state depends only on ``f``).
        shape : int or tuple of int
            Population shape.
        key : jax key or None
            Unused.

        Example
        -------
        >>> unit = RateUnit(activation="sigmoid")
        >>> state = unit.init(unit.params(), 2, None)
        >>> state.u.tolist(), state.rate.tolist()
        ([0.0, 0.0], [0.5, 0.5])
        """
        shape = check_shape(shape)
        u = jnp.zeros(shape, jnp.float32)
        return RateState(u=u, rate=activation(self.activation)(u))

    def step(self, params: RateParams, state: RateState, input, dt: float):
        """Advance one step of ``dt`` ms; returns ``(state, rate)``.

        Parameters
        ----------
        params : RateParams
            ``tau_ms`` (ms), used only when ``leaky``.
        state : RateState
            From :meth:`init` or a previous step.
        input : array
            Input ``I`` in the units of the activation's argument, held over the step; broadcasts to the population.
        dt : float
            Step (ms); used only when ``leaky``.

        Returns
        -------
        (RateState, array)
            The new state and the rate ``f(u)``, of the population shape.

        Example
        -------
        After one time constant of constant input ``I = 2`` the leaky unit has covered
        ``1 - exp(-1)`` of the way; two steps of ``tau / 2`` give the same (exact update):

        >>> unit = RateUnit(activation="linear")
        >>> p = unit.params(tau_ms=10.0)
        >>> s, r = unit.step(p, unit.init(p, 1, None), jnp.array([2.0]), 10.0)
        >>> s2, _ = unit.step(p, unit.init(p, 1, None), jnp.array([2.0]), 5.0)
        >>> s2, r2 = unit.step(p, s2, jnp.array([2.0]), 5.0)
        >>> round(float(r[0]), 4), round(float(r2[0]), 4)
        (1.2642, 1.2642)
        """
        if self.leaky:
            u = input + (state.u - input) * jnp.exp(-dt / params.tau_ms)
        else:
            u = jnp.broadcast_to(jnp.asarray(input, jnp.float32), state.u.shape)
        rate = activation(self.activation)(u)
        return RateState(u=u, rate=rate), rate
