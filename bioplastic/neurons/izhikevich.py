"""The Izhikevich (2003) quadratic spiking neuron.

Izhikevich, E. M. (2003). Simple model of spiking neurons. *IEEE Transactions on Neural
Networks* 14(6), 1569-1572. The model is

.. math::

    \\frac{dv}{dt} = 0.04 v^2 + 5 v + 140 - u + I, \\qquad
    \\frac{du}{dt} = a (b v - u),

    \\text{if } v \\ge v_{peak} \\;(= 30\\text{ mV}):\\quad v \\leftarrow c,\\; u \\leftarrow u + d.

Units
-----
The polynomial ``0.04 v^2 + 5 v + 140`` was fitted so that ``t`` is in ms and ``v`` in
mV, which makes ``dv/dt`` a rate in mV/ms. The recovery variable ``u`` and the input
``I`` enter that sum directly, so both are in **the paper's current units**: the paper
gives them as plain (dimensionless) numbers; dimensionally they are mV/ms (a current
divided by the membrane capacitance). This differs from the rest of
bioplastic, where an input is the voltage ``R*I`` in mV: an Izhikevich input is *not* a
voltage. ``a`` is a rate (1/ms), ``b`` converts mV into ``u`` units (1/ms), ``d`` is in
``u`` units (mV/ms), ``c_mv`` and ``v_peak_mv`` are in mV. The paper's firing classes are
obtained with ``I`` of the order of 10 (its Fig. 2 shows responses to a dc step to
``I = 10``).

Integration
-----------
``method="euler"``
    Forward Euler at any ``dt``: ``v`` and ``u`` both advance from their old values,
    then the threshold is tested on the new ``v``. First-order accurate.
``method="izhikevich2003"``
    The scheme of the paper's MATLAB listing, fixed at ``dt = 1`` ms: ``v`` advances by
    two 0.5 ms Euler half-steps (with ``u`` held), then ``u`` advances 1 ms using the
    *new* ``v``, then the threshold is tested. Any other ``dt`` raises ``BadInput``. Use
    it to reproduce the paper's network results; use ``"euler"`` with a small ``dt``
    for accuracy.

Spikes and reset
----------------
In both methods the spike is stamped in the step in which ``v`` reaches ``v_peak_mv``:
that step outputs ``1.0`` and its returned state already holds the reset values
(``v = c``, ``u = u + d``), so a recorded ``v`` trace never shows the peak itself. (The
paper's listing tests the threshold at the start of the next iteration; the resulting
``v``, ``u`` sequence is the same, only the time label of the spike differs by one step.)

The output is ``spike(v - v_peak_mv, surrogate)`` (:mod:`bioplastic.neurons.surrogate`),
so ``jax.grad`` sees the surrogate derivative through the spike train. The reset is
decided by the hard crossing ``v >= v_peak_mv`` and carries no gradient ("detached
reset", Zenke & Vogels 2021): ``d v_next / d v_new`` is 0 in a spiking step and 1 otherwise,
and ``c_mv`` / ``d`` receive their gradients through the reset values. Letting the
surrogate gradient through the reset, as ``v + s (c - v)`` would, multiplies every
backward pass through a spike by the size of the jump (often more than 100 mV) and the
gradient of a few hundred ms of regular spiking explodes. The reset also ignores
``surrogate.forward``: a smooth forward step changes only the output, never the ``v``,
``u`` trajectory.

Initial state
-------------
As in the paper's listing: ``v = -65`` mV and ``u = b v`` for every neuron, no spike.
``init`` is deterministic; its ``key`` is accepted for the common interface only.

Example
-------
>>> import jax, jax.numpy as jnp
>>> from bioplastic.neurons.izhikevich import Izhikevich
>>> model = Izhikevich(method="euler")
>>> params = model.params(preset="regular_spiking")
>>> state = model.init(params, 3, jax.random.PRNGKey(0))
>>> current = jnp.array([0.0, 5.0, 10.0])        # paper current units (mV/ms)
>>> def step(state, _):
...     state, spikes = model.step(params, state, current, 0.1)
...     return state, spikes
>>> state, spikes = jax.lax.scan(step, state, None, length=5000)   # 500 ms
>>> [int(n) for n in spikes.sum(axis=0)]   # silent, then more spikes for more current
[0, 6, 12]
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple, final

import jax
import jax.numpy as jnp
import numpy as np

from bioplastic._checks import (
    BadInput,
    _is_tracer,
    check_broadcastable,
    check_choice,
    check_dt,
    check_finite,
    check_positive,
    check_shape,
    check_size,
)
from bioplastic.neurons.base import NeuronModel
from bioplastic.neurons.surrogate import Surrogate, spike

__all__ = [
    "METHODS",
    "PRESETS",
    "V_INIT_MV",
    "Izhikevich",
    "IzhikevichParams",
    "IzhikevichState",
    "excitatory_inhibitory_params",
]

METHODS = ("euler", "izhikevich2003")

#: Membrane potential every neuron starts from (mV), as in the paper's listing.
V_INIT_MV = -65.0

#: ``(a, b, c_mv, d)`` of the firing classes of Izhikevich (2003), Fig. 2.
PRESETS: dict[str, tuple[float, float, float, float]] = {
    "regular_spiking": (0.02, 0.2, -65.0, 8.0),
    "intrinsically_bursting": (0.02, 0.2, -55.0, 4.0),
    "chattering": (0.02, 0.2, -50.0, 2.0),
    "fast_spiking": (0.1, 0.2, -65.0, 2.0),
    "low_threshold_spiking": (0.02, 0.25, -65.0, 2.0),
    "thalamo_cortical": (0.02, 0.25, -65.0, 0.05),
    "resonator": (0.1, 0.26, -65.0, 2.0),
}


class IzhikevichParams(NamedTuple):
    """Parameters of an Izhikevich population; each broadcastable to the population shape.

    Attributes
    ----------
    a : array
        Rate of the recovery variable ``u`` (1/ms); ``1/a`` is its time constant.
    b : array
        Sensitivity of ``u`` to ``v`` (``u`` units per mV, i.e. 1/ms).
    c_mv : array
        After-spike reset of ``v`` (mV).
    d : array
        After-spike increment of ``u`` (paper current units, mV/ms).
    v_peak_mv : array
        Spike cut-off: a spike is emitted and ``v`` reset when ``v >= v_peak_mv`` (mV).

    Example
    -------
    >>> params = Izhikevich().params(preset="fast_spiking")
    >>> round(float(params.a), 6), round(float(params.b), 6), float(params.c_mv), float(params.v_peak_mv)
    (0.1, 0.2, -65.0, 30.0)
    """

    a: jax.Array
    b: jax.Array
    c_mv: jax.Array
    d: jax.Array
    v_peak_mv: jax.Array


class IzhikevichState(NamedTuple):
    """State of an Izhikevich population.

    Attributes
    ----------
    v : array
        Membrane potential (mV), after any reset of the last step.
    u : array
        Recovery variable (paper current units, mV/ms), after any reset of the last step.
    spike : array
        1.0 where the neuron spiked in the last step, else 0.0.

    Example
    -------
    >>> model = Izhikevich()
    >>> params = model.params()
    >>> state = model.init(params, 1, None)                      # v = -65 mV, u = b v
    >>> state.v.tolist(), state.u.tolist()
    ([-65.0], [-13.0])
    >>> state, _ = model.step(params, state, jnp.array([0.0]), 1.0)   # one 1-ms Euler step, no input
    >>> state.v.tolist(), state.spike.tolist()
    ([-68.0], [0.0])
    """

    v: jax.Array
    u: jax.Array
    spike: jax.Array


def _float(value):
    return jnp.asarray(value, dtype=jnp.result_type(float))


def _build_params(values: dict) -> IzhikevichParams:
    """Validate concrete values (tracers pass through) and pack them as arrays."""
    for name in ("a", "b", "c_mv", "d", "v_peak_mv"):
        check_finite(values[name], name)
    check_positive(values["a"], "a", "1/ms")
    shapes = {name: np.shape(value) for name, value in values.items()}  # static, even for tracers
    try:
        np.broadcast_shapes(*shapes.values())
    except ValueError:
        listed = ", ".join(f"{name} {shape}" for name, shape in shapes.items())
        raise BadInput("params", f"shapes {listed}", "shapes that broadcast together") from None
    if not _is_tracer((values["c_mv"], values["v_peak_mv"])):
        c = np.asarray(values["c_mv"], dtype=float)
        peak = np.asarray(values["v_peak_mv"], dtype=float)
        above = np.broadcast_to(c >= peak, np.broadcast_shapes(c.shape, peak.shape))
        if np.any(above):
            bad = float(np.broadcast_to(c, above.shape)[above][0])
            raise BadInput("c_mv", f"{bad!r}", "a reset below v_peak_mv (mV)")
    return IzhikevichParams(**{name: _float(value) for name, value in values.items()})


@final
@dataclasses.dataclass(frozen=True)
class Izhikevich(NeuronModel):
    """Izhikevich (2003) neuron population (see the module docstring for units).

    Parameters
    ----------
    method : {"euler", "izhikevich2003"}
        Integration scheme. ``"euler"``: forward Euler at any ``dt``.
        ``"izhikevich2003"``: the paper's scheme, ``dt`` must be 1.0 ms.
    surrogate : Surrogate
        Surrogate derivative of the spike output; its ``width`` is in mV of ``v - v_peak``.

    Example
    -------
    >>> model = Izhikevich(method="izhikevich2003")
    >>> p = model.params(preset="chattering")
    >>> float(p.c_mv), float(p.d), float(p.v_peak_mv)
    (-50.0, 2.0, 30.0)
    """

    method: str = "euler"
    surrogate: Surrogate = Surrogate()

    state_variables = ("v", "u", "spike")
    state_units = {"v": "mV", "u": "mV/ms", "spike": "1"}
    input_unit = "mV/ms"       # the paper's current units

    def __post_init__(self):
        check_choice(self.method, "method", METHODS)
        if not isinstance(self.surrogate, Surrogate):
            raise BadInput("surrogate", f"{self.surrogate!r}", "a bioplastic Surrogate")

    def params(self, preset: str | None = None, **values) -> IzhikevichParams:
        """Return validated parameters.

        Parameters
        ----------
        preset : str, optional
            A key of :data:`PRESETS` providing ``a, b, c_mv, d``; default
            ``"regular_spiking"`` values are used when no preset is named.
        **values
            Any field of :class:`IzhikevichParams` (``a, b, c_mv, d, v_peak_mv``),
            overriding the preset; scalars or arrays broadcastable to the population.

        Returns
        -------
        IzhikevichParams

        Raises
        ------
        BadInput
            Unknown preset or field name, a NaN / inf value, ``a <= 0``,
            ``c_mv >= v_peak_mv``, or fields whose shapes do not broadcast together.

        Example
        -------
        >>> p = Izhikevich().params(preset="fast_spiking", d=[2.0, 3.0])
        >>> round(float(p.a), 6), p.d.shape
        (0.1, (2,))
        """
        name = "regular_spiking" if preset is None else check_choice(preset, "preset", PRESETS)
        a, b, c, d = PRESETS[name]
        merged = {"a": a, "b": b, "c_mv": c, "d": d, "v_peak_mv": 30.0}
        for key, value in values.items():
            check_choice(key, "Izhikevich.params", IzhikevichParams._fields)
            merged[key] = value
        return _build_params(merged)

    def init(self, params: IzhikevichParams, shape, key: jax.Array) -> IzhikevichState:
        """Return the paper's initial state: ``v = -65`` mV, ``u = b v``, no spike.

        Parameters
        ----------
        params : IzhikevichParams
            Every field must broadcast to ``shape``.
        shape : int or tuple of int
            Population shape; each dimension >= 1.
        key : jax.Array
            Unused (the initial state is deterministic); kept for the common interface.

        Returns
        -------
        IzhikevichState

        Example
        -------
        >>> model = Izhikevich()
        >>> state = model.init(model.params(), 2, None)   # regular spiking: b = 0.2
        >>> state.v.tolist(), state.u.tolist(), state.spike.tolist()
        ([-65.0, -65.0], [-13.0, -13.0], [0.0, 0.0])
        """
        shape = check_shape(shape)
        for name, value in zip(IzhikevichParams._fields, params):
            check_broadcastable(value, shape, name)
        v = jnp.full(shape, V_INIT_MV, dtype=jnp.result_type(float))
        u = jnp.broadcast_to(params.b * v, shape)
        return IzhikevichState(v=v, u=u, spike=jnp.zeros(shape, dtype=v.dtype))

    def step(self, params: IzhikevichParams, state: IzhikevichState, input, dt: float):
        """Advance the population by ``dt`` ms.

        Parameters
        ----------
        params : IzhikevichParams
        state : IzhikevichState
        input : array
            Current ``I`` in the paper's units (mV/ms), broadcastable to the population.
        dt : float
            Step (ms). Any value > 0 for ``"euler"``; exactly 1.0 for
            ``"izhikevich2003"`` (it must then be a concrete number, not a tracer).

        Returns
        -------
        (IzhikevichState, array)
            The new state and the spike output (1.0 in the step where ``v`` reached
            ``v_peak_mv``, else 0.0; surrogate gradient).

        Example
        -------
        One Euler step of 0.5 ms from rest under ``I = 10``:
        ``dv/dt = 0.04 (-65)^2 + 5 (-65) + 140 + 13 + 10 = 7`` mV/ms, and ``u`` is at its
        fixed point ``b v``:

        >>> model = Izhikevich()
        >>> p = model.params()
        >>> state, out = model.step(p, model.init(p, 1, None), 10.0, 0.5)
        >>> state.v.tolist(), state.u.tolist(), out.tolist()
        ([-61.5], [-13.0], [0.0])

        Above ``v_peak_mv`` the neuron spikes, ``v`` resets to ``c = -65`` mV and ``u``
        takes its Euler step, ``-13 + 0.5 * 0.02 (0.2 * 29 + 13)``, then jumps by ``d = 8``:

        >>> state, out = model.step(p, state._replace(v=jnp.array([29.0])), 10.0, 0.5)
        >>> state.v.tolist(), round(float(state.u[0]), 3), out.tolist()
        ([-65.0], -4.812, [1.0])

        The paper's scheme only takes ``dt = 1`` ms:

        >>> Izhikevich(method="izhikevich2003").step(p, state, 10.0, 0.5)
        Traceback (most recent call last):
        ...
        bioplastic._checks.BadInput: dt_ms: got 0.5; allowed: 1.0 (method 'izhikevich2003' is the paper's fixed 1 ms scheme; use method 'euler' for other steps)
        """
        a, b, c, d, v_peak = params
        v, u = state.v, state.u
        if self.method == "euler":
            if not _is_tracer(dt):
                dt = check_dt(dt)
            dv = 0.04 * v * v + 5.0 * v + 140.0 - u + input
            v_new = v + dt * dv
            u_new = u + dt * a * (b * v - u)
        else:
            _check_paper_dt(dt)
            v_half = v + 0.5 * (0.04 * v * v + 5.0 * v + 140.0 - u + input)
            v_new = v_half + 0.5 * (0.04 * v_half * v_half + 5.0 * v_half + 140.0 - u + input)
            u_new = u + a * (b * v_new - u)
        out = spike(v_new - v_peak, self.surrogate)
        # The reset takes the hard threshold crossing, with no gradient (detached reset),
        # whatever the surrogate's forward pass emits.
        crossed = v_new >= v_peak
        v_next = jnp.where(crossed, c, v_new)
        u_next = u_new + jnp.where(crossed, d, 0.0)
        return IzhikevichState(v=v_next, u=u_next, spike=out), out


def _check_paper_dt(dt) -> None:
    allowed = "1.0 (method 'izhikevich2003' is the paper's fixed 1 ms scheme; use method 'euler' for other steps)"
    if _is_tracer(dt):
        raise BadInput("dt_ms", "a traced value", allowed)
    try:
        value = float(dt)
    except (TypeError, ValueError):
        raise BadInput("dt_ms", f"{dt!r}", allowed) from None
    if value != 1.0:
        raise BadInput("dt_ms", f"{value!r}", allowed)


def excitatory_inhibitory_params(key: jax.Array, n_exc: int, n_inh: int) -> IzhikevichParams:
    """Heterogeneous excitatory/inhibitory population of the paper's network.

    With ``r ~ U(0, 1)`` drawn independently for every neuron:

    - excitatory (regular spiking to chattering):
      ``(a, b, c, d) = (0.02, 0.2, -65 + 15 r^2, 8 - 6 r^2)``;
    - inhibitory (fast spiking to low-threshold spiking):
      ``(a, b, c, d) = (0.02 + 0.08 r, 0.25 - 0.05 r, -65, 2)``.

    Parameters
    ----------
    key : jax.Array
        PRNG key; the same key gives the same population.
    n_exc, n_inh : int
        Numbers of excitatory and inhibitory neurons (each >= 1).

    Returns
    -------
    IzhikevichParams
        Fields of shape ``(n_exc + n_inh,)``, excitatory neurons first; ``v_peak_mv``
        is the scalar 30.

    Example
    -------
    >>> import jax
    >>> p = excitatory_inhibitory_params(jax.random.PRNGKey(0), 800, 200)
    >>> p.a.shape, bool((p.c_mv[:800] >= -65).all() and (p.c_mv[:800] <= -50).all())
    ((1000,), True)
    """
    n_exc = check_size(n_exc, "n_exc")
    n_inh = check_size(n_inh, "n_inh")
    key_exc, key_inh = jax.random.split(key)
    dtype = jnp.result_type(float)
    r_exc = jax.random.uniform(key_exc, (n_exc,), dtype=dtype)
    r_inh = jax.random.uniform(key_inh, (n_inh,), dtype=dtype)
    ones_exc, ones_inh = jnp.ones(n_exc, dtype), jnp.ones(n_inh, dtype)
    values = {
        "a": jnp.concatenate([0.02 * ones_exc, 0.02 + 0.08 * r_inh]),
        "b": jnp.concatenate([0.2 * ones_exc, 0.25 - 0.05 * r_inh]),
        "c_mv": jnp.concatenate([-65.0 + 15.0 * r_exc**2, -65.0 * ones_inh]),
        "d": jnp.concatenate([8.0 - 6.0 * r_exc**2, 2.0 * ones_inh]),
        "v_peak_mv": 30.0,
    }
    return _build_params(values)

