"""Two-compartment units: basal and apical dendrites, and a soma switched between them by a gate.

Each unit has a basal compartment (bottom-up, "inference" input) and an apical
compartment (top-down, "generative" input). With compartment potentials ``V_B``, ``V_A``
(the summed synaptic input each receives) the compartment rates are::

    r_B = f_B(V_B) + xi_B,     r_A = f_A(V_A) + xi_A

where ``xi`` are Ornstein-Uhlenbeck noises (standard deviations ``basal_noise_sigma`` and
``apical_noise_sigma``, one time constant ``noise_tau_ms``; exact discretisation, so the
stationary variance is ``sigma**2`` at any ``dt``). A gate ``theta`` in [0, 1] chooses which compartment
drives the soma::

    r = f_soma((1 - theta) r_B + theta r_A)

``theta = 0`` is the inference (wake) phase, ``theta = 1`` the generative (sleep) phase;
the theta-gated hippocampal model switches it at theta frequency. The rates are
dimensionless; potentials are in the units of the activation's argument.

Example
-------
>>> import jax, jax.numpy as jnp
>>> from bioplastic.neurons.two_compartment import TwoCompartmentInput, TwoCompartmentUnit
>>> unit = TwoCompartmentUnit()
>>> p = unit.params(basal_noise_sigma=0.0, apical_noise_sigma=0.0)
>>> state = unit.init(p, 2, jax.random.PRNGKey(0))
>>> drive = TwoCompartmentInput(basal=jnp.array([1.0, 2.0]), apical=jnp.array([5.0, 5.0]), gate=0.0)
>>> state, rate = unit.step(p, state, drive, 25.0)
>>> rate
Array([1., 2.], dtype=float32)
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp

from bioplastic._checks import check_nonnegative, check_positive, check_shape
from bioplastic.neurons.activations import activation
from bioplastic.neurons.base import NeuronModel


class TwoCompartmentInput(NamedTuple):
    """Drive for one step: ``basal`` and ``apical`` potentials, ``gate`` theta in [0, 1].

    Example
    -------
    >>> TwoCompartmentInput(basal=1.0, apical=2.0, gate=1.0).gate
    1.0
    """

    basal: jax.Array
    apical: jax.Array
    gate: jax.Array


class TwoCompartmentParams(NamedTuple):
    """OU noise standard deviations of the two compartments (rate units) and their time constant (ms).

    Example
    -------
    >>> float(TwoCompartmentUnit().params(apical_noise_sigma=0.05).apical_noise_sigma)
    0.05000000074505806
    """

    basal_noise_sigma: jax.Array
    apical_noise_sigma: jax.Array
    noise_tau_ms: jax.Array


class TwoCompartmentState(NamedTuple):
    """Compartment and soma rates, the two OU noise values, and the PRNG key that drives them.

    Example
    -------
    >>> import jax
    >>> unit = TwoCompartmentUnit()
    >>> unit.init(unit.params(), 3, jax.random.PRNGKey(0)).rate.shape
    (3,)
    """

    rate_basal: jax.Array
    rate_apical: jax.Array
    rate: jax.Array
    noise_basal: jax.Array
    noise_apical: jax.Array
    key: jax.Array


@dataclasses.dataclass(frozen=True)
class TwoCompartmentUnit(NeuronModel):
    """A population of basal/apical/soma units (see the module docstring).

    Parameters
    ----------
    basal_activation, apical_activation, soma_activation : str
        ``f_B``, ``f_A`` and ``f_soma`` (names from ``ACTIVATIONS``); all linear by default.

    Example
    -------
    >>> TwoCompartmentUnit(basal_activation="rectified_tanh").soma_activation
    'linear'
    """

    basal_activation: str = "linear"
    apical_activation: str = "linear"
    soma_activation: str = "linear"

    state_variables = ("rate_basal", "rate_apical", "rate", "noise_basal", "noise_apical")

    def __post_init__(self):
        activation(self.basal_activation, "TwoCompartmentUnit.basal_activation")
        activation(self.apical_activation, "TwoCompartmentUnit.apical_activation")
        activation(self.soma_activation, "TwoCompartmentUnit.soma_activation")

    def params(self, *, basal_noise_sigma=0.01, apical_noise_sigma=0.01, noise_tau_ms=300.0) -> TwoCompartmentParams:
        """Validated parameters (defaults: sigma 0.01 in both compartments, tau 300 ms, as in the theta-gated model).

        Parameters
        ----------
        basal_noise_sigma, apical_noise_sigma : float or array
            Stationary standard deviation of each compartment's OU noise (rate units, >= 0).
        noise_tau_ms : float or array
            Correlation time of both noises (ms, > 0).

        Example
        -------
        >>> TwoCompartmentUnit().params(basal_noise_sigma=-0.1)
        Traceback (most recent call last):
        ...
        bioplastic._checks.BadInput: TwoCompartmentUnit.params.basal_noise_sigma: got -0.1; allowed: a finite number >= 0
        """
        check_nonnegative(basal_noise_sigma, "TwoCompartmentUnit.params.basal_noise_sigma")
        check_nonnegative(apical_noise_sigma, "TwoCompartmentUnit.params.apical_noise_sigma")
        check_positive(noise_tau_ms, "TwoCompartmentUnit.params.noise_tau_ms", "ms")
        return TwoCompartmentParams(*(jnp.asarray(value, jnp.float32)
                                      for value in (basal_noise_sigma, apical_noise_sigma, noise_tau_ms)))

    def init(self, params: TwoCompartmentParams, shape, key: jax.Array) -> TwoCompartmentState:
        """Rates at zero; noises drawn from their stationary distribution using ``key``.

        Parameters
        ----------
        params : TwoCompartmentParams
            From :meth:`params`; the noise standard deviations scale the initial noises.
        shape : int or tuple of int
            Population shape.
        key : jax key
            Draws the initial noises; a split of it is kept in the state for the noise of later steps.

        Example
        -------
        >>> import jax
        >>> unit = TwoCompartmentUnit()
        >>> state = unit.init(unit.params(basal_noise_sigma=0.0), 3, jax.random.PRNGKey(0))
        >>> state.rate.tolist(), bool((state.noise_basal == 0).all()), bool((state.noise_apical != 0).all())
        ([0.0, 0.0, 0.0], True, True)
        """
        shape = check_shape(shape)
        key, key_basal, key_apical = jax.random.split(key, 3)
        zeros = jnp.zeros(shape, jnp.float32)
        return TwoCompartmentState(
            rate_basal=zeros,
            rate_apical=zeros,
            rate=zeros,
            noise_basal=params.basal_noise_sigma * jax.random.normal(key_basal, shape),
            noise_apical=params.apical_noise_sigma * jax.random.normal(key_apical, shape),
            key=key,
        )

    def step(self, params: TwoCompartmentParams, state: TwoCompartmentState, input: TwoCompartmentInput, dt: float):
        """Advance noises, compartments and soma by ``dt`` ms; returns ``(state, soma_rate)``.

        Parameters
        ----------
        params : TwoCompartmentParams
            From :meth:`params`.
        state : TwoCompartmentState
            From :meth:`init` or a previous step (its ``key`` drives this step's noise).
        input : TwoCompartmentInput
            Basal and apical potentials (units of the activations' argument) and the gate theta in [0, 1].
        dt : float
            Step (ms).

        Returns
        -------
        (TwoCompartmentState, array)
            The new state and the soma rate ``f_soma((1 - theta) r_B + theta r_A)``, of the population shape.

        Example
        -------
        Without noise, a gate of 1/2 gives the mean of the basal and apical rates:

        >>> import jax
        >>> unit = TwoCompartmentUnit()
        >>> p = unit.params(basal_noise_sigma=0.0, apical_noise_sigma=0.0)
        >>> drive = TwoCompartmentInput(basal=jnp.array([1.0, 2.0]), apical=jnp.array([5.0, 5.0]), gate=0.5)
        >>> state, rate = unit.step(p, unit.init(p, 2, jax.random.PRNGKey(0)), drive, 1.0)
        >>> rate.tolist(), state.rate_apical.tolist()
        ([3.0, 3.5], [5.0, 5.0])
        """
        key, key_basal, key_apical = jax.random.split(state.key, 3)
        keep = jnp.exp(-dt / params.noise_tau_ms)
        kick = jnp.sqrt(1.0 - keep**2)
        shape = state.rate.shape
        noise_basal = state.noise_basal * keep + params.basal_noise_sigma * kick * jax.random.normal(key_basal, shape)
        noise_apical = state.noise_apical * keep + params.apical_noise_sigma * kick * jax.random.normal(key_apical, shape)
        rate_basal = activation(self.basal_activation)(input.basal) + noise_basal
        rate_apical = activation(self.apical_activation)(input.apical) + noise_apical
        rate = activation(self.soma_activation)((1.0 - input.gate) * rate_basal + input.gate * rate_apical)
        new_state = TwoCompartmentState(rate_basal, rate_apical, rate, noise_basal, noise_apical, key)
        return new_state, rate
