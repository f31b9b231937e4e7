"""Theta-driven wake-sleep: each dendritic compartment learns locally to predict its soma.

George, de Cothi, Stachenfeld & Barry (2023). Two-compartment units
(:class:`~bioplastic.neurons.two_compartment.TwoCompartmentUnit`) have a basal
(inference) and an apical (generative) compartment; a theta schedule
(:mod:`bioplastic.simulation.theta_gate`) decides which one drives the soma. At every step,
whatever the phase, each compartment ``c`` with presynaptic rates ``x``, potential
``V_c = W_c x`` and rate ``r_c = f_c(V_c)`` (plus noise) moves towards the soma rate ``r``::

    delta_c = (r - r_c) f_c'(V_c)
    P_c <- (dt / tau) delta_c x^T + (1 - dt / tau) P_c          (a low-pass filtered update)
    W_c <- W_c + eta (P_c - l2 W_c - l1 sign(W_c))

In the inference phase the soma follows the basal compartment, so the apical weights
learn to generate it (the wake phase of a Helmholtz machine); in the generative phase the
soma follows the apical one and the basal weights learn to infer it (the sleep phase).
Alternating at theta frequency, this is a fast wake-sleep algorithm. The update of
``W_c[i, j]`` uses only ``x_j``, the compartment's ``V_c[i]`` and ``r_c[i]``, and the soma's
``r[i]``: it is local. A bias is a weight on a constant presynaptic input of 1.

Times in ms (``dt``, ``tau``); rates dimensionless.

Example
-------
>>> import jax.numpy as jnp
>>> from bioplastic.rules.wake_sleep import WakeSleepSettings, compartment_error, wake_sleep
>>> rule = wake_sleep(WakeSleepSettings(learning_rate=1.0, tau_ms=100.0), dt_ms=25.0)
>>> weights = jnp.zeros((1, 2))
>>> delta = compartment_error(soma=jnp.array([1.0]), potential=jnp.array([0.0]), activation_name="linear")
>>> change, trace = rule.update(rule.init(weights), weights, pre=jnp.array([1.0, 0.5]), error=delta)
>>> trace.tolist(), (weights + change).tolist()          # dt / tau = 0.25
([[0.25, 0.125]], [[0.25, 0.125]])
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

from bioplastic._checks import _is_tracer, check_dt, check_finite, check_nonnegative, check_positive
from bioplastic.neurons.activations import activation
from bioplastic.rules.base import Rule


@dataclasses.dataclass(frozen=True)
class WakeSleepSettings:
    """``learning_rate`` (eta, per step), trace time constant ``tau_ms``, ``l1`` and ``l2`` penalties.

    Example
    -------
    >>> WakeSleepSettings(learning_rate=0.001, l2=0.005).tau_ms
    100.0
    """

    learning_rate: float = 0.01
    tau_ms: float = 100.0
    l1: float = 0.0
    l2: float = 0.0

    def __post_init__(self):
        check_finite(self.learning_rate, "learning_rate")
        check_positive(self.tau_ms, "tau_ms", "ms")
        check_nonnegative(self.l1, "l1")
        check_nonnegative(self.l2, "l2")


def compartment_error(soma, potential, activation_name: str, compartment_rate=None) -> jax.Array:
    """``delta_c = (r - r_c) f_c'(V_c)``; ``r_c`` defaults to the noise-free ``f_c(V_c)``.

    Pass the compartment's actual (noisy) rate as ``compartment_rate`` to learn from it.

    Parameters
    ----------
    soma : array (n,)
        Soma rates ``r`` (dimensionless), the target.
    potential : array (n,)
        Compartment potentials ``V_c`` (dimensionless, the activation's input).
    activation_name : str
        The compartment's activation ``f_c``, a key of :data:`~bioplastic.neurons.activations.ACTIVATIONS`.
    compartment_rate : array (n,) or None
        Compartment rates ``r_c`` (dimensionless); None uses ``f_c(V_c)``.

    Returns
    -------
    jax.Array (n,)
        ``delta_c``, the error scaled by the activation's slope at ``V_c``.

    Example
    -------
    >>> import jax.numpy as jnp
    >>> compartment_error(jnp.array([1.0, 1.0]), jnp.array([0.5, -0.5]), "relu").tolist()   # f' = 0 below 0
    [0.5, 0.0]
    """
    f = activation(activation_name)
    value, slope = jax.jvp(f, (potential,), (jnp.ones_like(potential),))
    rate = value if compartment_rate is None else compartment_rate
    return (soma - rate) * slope


def init_trace(weights) -> jax.Array:
    """The filtered update ``P`` of a weight matrix, at zero.

    Example
    -------
    >>> import jax.numpy as jnp
    >>> init_trace(jnp.ones((2, 3))).sum().item()
    0.0
    """
    return jnp.zeros_like(weights)


def wake_sleep(settings: WakeSleepSettings, *, dt_ms: float) -> Rule:
    """The rule for one compartment's weights ``W_c`` (n_post, n_pre): a filtered ``delta_c x`` minus penalties.

    ``init(weights)`` is the filtered update ``P_c`` at zero (:func:`init_trace`);
    ``update(trace, weights, *, pre, error)`` takes the presynaptic rates ``x`` (n_pre,) and
    the compartment error ``delta_c`` (n_post,) from :func:`compartment_error` and returns
    the weight change ``learning_rate (P_c - l2 W_c - l1 sign(W_c))`` and the new ``P_c``.

    Parameters
    ----------
    settings : WakeSleepSettings
        Learning rate, trace time constant (ms) and ``l1`` / ``l2`` penalties.
    dt_ms : float
        Step (ms); may be traced, else it is checked.

    Example
    -------
    >>> import jax.numpy as jnp
    >>> rule = wake_sleep(WakeSleepSettings(learning_rate=1.0, tau_ms=100.0), dt_ms=25.0)
    >>> change, trace = rule.update(rule.init(jnp.zeros((1, 1))), jnp.zeros((1, 1)), pre=jnp.array([2.0]),
    ...                             error=jnp.array([0.5]))
    >>> float(trace[0, 0]), float(change[0, 0]), rule.signals        # P = (dt / tau) delta x = 0.25 * 0.5 * 2
    (0.25, 0.25, ('error',))
    """
    alpha = (dt_ms if _is_tracer(dt_ms) else check_dt(dt_ms)) / settings.tau_ms

    def update(trace, weights, *, pre, error):
        trace = alpha * jnp.outer(error, pre) + (1.0 - alpha) * trace
        change = trace - settings.l2 * weights - settings.l1 * jnp.sign(weights)
        return settings.learning_rate * change, trace

    return Rule(init_trace, update, ("error",))
