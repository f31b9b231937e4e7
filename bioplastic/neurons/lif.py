"""Leaky integrate-and-fire neuron: current- or conductance-driven, refractory, two resets.

Membrane equation (time in ms, voltage in mV)::

    tau dv/dt = -(v - v_rest) + I + g (E - v)

``I`` is the input current expressed as the voltage it produces across the membrane
resistance (``R * I``, mV). ``g`` is a total synaptic conductance relative to the leak
conductance (dimensionless) and ``E`` its reversal potential; a conductance input is
passed as :class:`ConductanceInput` (see below). Over one step the inputs are held
constant, so the equation is linear in ``v`` and has the closed form used by
``integration="exact"``::

    tau_eff = tau / (1 + g)
    v_inf   = (v_rest + I + g E) / (1 + g)
    v(t+dt) = v_inf + (v(t) - v_inf) exp(-dt / tau_eff)

``integration="euler"`` takes one forward-Euler step of the same equation instead.

Conventions (tested in ``tests/test_lif.py``)
---------------------------------------------
- Step ``n`` advances the state from ``t_n = n dt`` to ``t_{n+1}``. A spike is emitted as
  the output of the step in which ``v`` reaches ``v_th`` (``v >= v_th`` after the
  update); its time stamp is ``t_{n+1}``. ``v`` is reset in that same step.
- Absolute refractory period: after a spike, the next ``round(tau_ref / dt)`` steps hold
  ``v`` at ``v_reset`` and do not integrate input; the step after them integrates again.
  So with constant input the inter-spike interval is
  ``(round(tau_ref/dt) + ceil(T / dt)) * dt`` where ``T = tau_eff ln((v_inf - v_reset) /
  (v_inf - v_th))`` is the free-run time from reset to threshold: within one step of
  ``tau_ref + T``.
- Reset: ``"hard"`` sets ``v <- v_reset``; ``"subtract"`` sets ``v <- v - (v_th - v_reset)``
  (keeps the overshoot, as in HLOP's spiking neurons with ``v_reset = 0``).
- Spikes are 0.0 / 1.0 floats produced by :func:`~bioplastic.neurons.surrogate.spike`,
  so ``jax.grad`` passes through the threshold with the model's surrogate derivative.

Example
-------
>>> import jax, jax.numpy as jnp
>>> from bioplastic.neurons.lif import LIF
>>> model = LIF()
>>> params = model.params(tau_ms=20.0, v_rest_mv=-65.0, v_th_mv=-50.0, v_reset_mv=-65.0)
>>> state = model.init(params, 3, jax.random.PRNGKey(0))
>>> state, spikes = model.step(params, state, jnp.array([0.0, 10.0, 30.0]), 0.1)
>>> spikes.shape
(3,)
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp

from bioplastic._checks import (
    BadInput,
    check_choice,
    check_finite,
    check_nonnegative,
    check_positive,
    check_shape,
)
from bioplastic.neurons.base import NeuronModel
from bioplastic.neurons.surrogate import Surrogate, spike


class ConductanceInput(NamedTuple):
    """Synaptic drive of a conductance-based neuron over one step.

    Fields
    ------
    current : array
        Injected current as voltage across R (mV).
    conductance : array
        Total synaptic conductance, relative to the leak conductance (dimensionless).
    conductance_reversal : array
        Sum over receptor types of ``g_k * E_k`` (mV); with one receptor, ``g E``.

    Example
    -------
    >>> from bioplastic.neurons.lif import ConductanceInput
    >>> ConductanceInput(current=20.0, conductance=0.5, conductance_reversal=0.5 * -80.0).conductance
    0.5
    """

    current: jax.Array
    conductance: jax.Array
    conductance_reversal: jax.Array


class LIFParams(NamedTuple):
    """LIF parameters; each field broadcasts to the population shape.

    Fields: ``tau_ms`` membrane time constant (ms); ``v_rest_mv``, ``v_th_mv``,
    ``v_reset_mv`` resting, threshold and reset potentials (mV); ``tau_ref_ms``
    absolute refractory period (ms, >= 0).

    Example
    -------
    >>> params = LIF().params(tau_ms=10.0, tau_ref_ms=2.0)
    >>> params.tau_ms.tolist(), params.v_th_mv.tolist(), params.tau_ref_ms.tolist()
    (10.0, -50.0, 2.0)
    """

    tau_ms: jax.Array
    v_rest_mv: jax.Array
    v_th_mv: jax.Array
    v_reset_mv: jax.Array
    tau_ref_ms: jax.Array


class LIFState(NamedTuple):
    """LIF state: ``v`` (mV), ``refractory_steps`` left (int32), last ``spike`` (0/1).

    Example
    -------
    A neuron driven far above threshold spikes, is reset and starts a 2-ms refractory period:

    >>> model = LIF()
    >>> params = model.params(tau_ref_ms=2.0)
    >>> state, _ = model.step(params, model.init(params, 1, None), jnp.array([1000.0]), 1.0)
    >>> state.v.tolist(), state.refractory_steps.tolist(), state.spike.tolist()
    ([-60.0], [2], [1.0])
    """

    v: jax.Array
    refractory_steps: jax.Array
    spike: jax.Array


_DEFAULTS = dict(tau_ms=20.0, v_rest_mv=-60.0, v_th_mv=-50.0, v_reset_mv=-60.0, tau_ref_ms=0.0)


@dataclasses.dataclass(frozen=True)
class LIF(NeuronModel):
    """Leaky integrate-and-fire population model (see the module docstring for the maths).

    Parameters
    ----------
    integration : {"exact", "euler"}
        Exponential (exact for inputs constant over a step) or forward-Euler update.
    reset : {"hard", "subtract"}
        ``v <- v_reset`` or ``v <- v - (v_th - v_reset)`` after a spike.
    surrogate : Surrogate
        Derivative of the spike threshold seen by ``jax.grad``.

    Example
    -------
    >>> LIF(integration="euler", reset="subtract").reset
    'subtract'
    """

    integration: str = "exact"
    reset: str = "hard"
    surrogate: Surrogate = Surrogate()

    state_variables = ("v", "refractory_steps", "spike")
    state_units = {"v": "mV", "refractory_steps": "steps", "spike": "1"}
    input_unit = "mV"          # R*I

    def __post_init__(self):
        check_choice(self.integration, "LIF.integration", ("exact", "euler"))
        check_choice(self.reset, "LIF.reset", ("hard", "subtract"))

    def params(self, **values) -> LIFParams:
        """Validated parameters; defaults are the COBA benchmark's cell (tau 20 ms, -60/-50/-60 mV).

        Example
        -------
        >>> LIF().params(tau_ms=10.0).tau_ms
        Array(10., dtype=float32)
        """
        unknown = sorted(set(values) - set(_DEFAULTS))
        if unknown:
            raise BadInput("LIF.params", f"unknown parameter {unknown[0]!r}", ', '.join(_DEFAULTS))
        merged = {**_DEFAULTS, **values}
        for name, value in merged.items():
            check_finite(value, f"LIF.params.{name}")
        check_positive(merged["tau_ms"], "LIF.params.tau_ms", "ms")
        check_nonnegative(merged["tau_ref_ms"], "LIF.params.tau_ref_ms", "ms")
        return LIFParams(**{name: jnp.asarray(value, jnp.float32) for name, value in merged.items()})

    def init(self, params: LIFParams, shape, key: jax.Array, v_mv=None) -> LIFState:
        """Rest state (``v = v_rest``), or ``v_mv`` when given; ``key`` is unused (deterministic).

        Parameters
        ----------
        params : LIFParams
            From :meth:`params`; ``v_rest_mv`` sets the initial voltage when ``v_mv`` is None.
        shape : int or tuple of int
            Population shape.
        key : jax key or None
            Unused.
        v_mv : float or array or None
            Initial membrane potential (mV), broadcast to ``shape``.

        Returns
        -------
        LIFState
            ``v`` (mV), ``refractory_steps`` 0 and ``spike`` 0, each of shape ``shape``.

        Example
        -------
        >>> model = LIF()
        >>> model.init(model.params(), (2, 3), jax.random.PRNGKey(0)).v.shape
        (2, 3)
        """
        shape = check_shape(shape)
        v = jnp.broadcast_to(params.v_rest_mv if v_mv is None else jnp.asarray(v_mv, jnp.float32), shape)
        return LIFState(
            v=v.astype(jnp.float32),
            refractory_steps=jnp.zeros(shape, jnp.int32),
            spike=jnp.zeros(shape, jnp.float32),
        )

    def step(self, params: LIFParams, state: LIFState, input, dt: float):
        """Advance one step of ``dt`` ms; ``input`` is a current (mV) or a :class:`ConductanceInput`.

        Parameters
        ----------
        params : LIFParams
            From :meth:`params`.
        state : LIFState
            From :meth:`init` or a previous step.
        input : array or ConductanceInput
            Current as voltage across R (mV), or current plus synaptic conductances; broadcasts to the population.
        dt : float
            Step (ms); a spike holds ``v`` at reset for ``round(tau_ref_ms / dt)`` steps.

        Returns
        -------
        (LIFState, array)
            The new state and the spikes, 0.0 / 1.0 of the population shape.

        Example
        -------
        From rest (-60 mV, tau 20 ms) under I = 10 mV for dt = 1 ms, Euler gives
        ``-60 + 1 * 10 / 20 = -59.5`` mV and the exact update ``-60 + 10 (1 - exp(-1/20))``:

        >>> params = LIF().params()
        >>> for scheme in ("euler", "exact"):
        ...     model = LIF(integration=scheme)
        ...     state, _ = model.step(params, model.init(params, 1, None), jnp.array([10.0]), 1.0)
        ...     print(scheme, round(float(state.v[0]), 4))
        euler -59.5
        exact -59.5123

        A conductance g = 1 with E = 0 mV halves tau and pulls towards v_inf = -30 mV:

        >>> drive = ConductanceInput(current=0.0, conductance=1.0, conductance_reversal=1.0 * 0.0)
        >>> state, _ = LIF().step(params, LIF().init(params, 1, None), drive, 1.0)
        >>> round(float(state.v[0]), 4)   # -30 - 30 exp(-1/10)
        -57.1451
        """
        if isinstance(input, ConductanceInput):
            current, conductance, conductance_reversal = input
        else:
            current, conductance, conductance_reversal = input, 0.0, 0.0
        drive = params.v_rest_mv + current + conductance_reversal  # (1 + g) * v_inf
        leak = 1.0 + conductance  # tau / tau_eff
        if self.integration == "exact":
            v_inf = drive / leak
            decay = jnp.exp(-dt * leak / params.tau_ms)
            v_free = v_inf + (state.v - v_inf) * decay
        else:
            v_free = state.v + dt * (drive - leak * state.v) / params.tau_ms

        refractory = state.refractory_steps > 0
        v = jnp.where(refractory, params.v_reset_mv, v_free)
        spikes = spike(v - params.v_th_mv, self.surrogate) * (~refractory)
        if self.reset == "hard":
            v = v + spikes * (params.v_reset_mv - v)
        else:
            v = v - spikes * (params.v_th_mv - params.v_reset_mv)
        refractory_total = jnp.round(params.tau_ref_ms / dt).astype(jnp.int32)
        refractory_steps = jnp.where(
            spikes > 0, refractory_total, jnp.maximum(state.refractory_steps - 1, 0)
        )
        return LIFState(v=v, refractory_steps=refractory_steps, spike=spikes), spikes
