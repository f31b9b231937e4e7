"""A heterogeneous Izhikevich reservoir driven by cues, read out through filtered spikes.

The reservoir of the "what and when" experiment (Yamada & Chao 2025,
:mod:`bioplastic.experiments.prediction.trials`), built from bioplastic's pieces: one
:class:`~bioplastic.networks.network.Network` with an Izhikevich population (the
paper's 2003 scheme at ``dt = 1`` ms) and one sparse recurrent projection propagated
event by event through exponential current synapses.

- **Neurons**: ``n_exc`` excitatory and ``n_inh`` inhibitory Izhikevich neurons with the
  heterogeneous parameters of Izhikevich (2003)
  (:func:`~bioplastic.neurons.izhikevich.excitatory_inhibitory_params`).
- **Recurrence**: every ordered pair (no self-loops) is connected with probability
  ``connection_probability``. Dale's law: an excitatory synapse carries a charge drawn
  uniformly in ``[0, exc_charge]``, an inhibitory one in ``[-inh_charge, 0]`` (paper
  current units x ms). A spike adds ``charge / synapse_tau_ms`` to the postsynaptic
  current, which decays with ``synapse_tau_ms``, so the current it injects integrates
  to ``charge`` whatever the time constant.
- **Drive**: a tonic bias current, uniform in ``bias_current * [0.5, 1.5]`` per neuron
  (it keeps the reservoir spontaneously active); background noise, an independent
  Gaussian current per neuron and step with standard deviation ``noise_exc`` or
  ``noise_inh``; and the cues: cue ``k`` injects ``cue_current`` into a random fraction
  ``cue_fraction`` of all neurons while it is on.
- **Readout input**: each neuron's spike train filtered by an exponential of
  ``readout_tau_ms``, scaled to a rate (Hz): a spike adds ``1000 / readout_tau_ms``.

The defaults were chosen (the paper's Methods give no numbers we could use) so that the
reservoir keeps a reproducible, cue-specific trajectory for the whole 1-s trial: slow
synapses (300 ms, like NMDA or GABA-B currents), strong enough recurrence, a tonic bias that
keeps it active, and a strong cue that quenches the trial-to-trial variability of the state
the cue arrives in. Measured with a least-squares readout trained on 100-200 trials and
tested on 50-100 others (targets: a 50-ms bump at 300 or 600 ms after the cue, and the
cue's identity):

- 100-ms synapses, charges 3 / 12: the identity read out at 600 ms is 0.50 vs 0.62 (cue A
  vs B; 0 vs 1 is perfect); the 600-ms bump peaks at 810 ms;
- 300-ms synapses, charges 12 / 48 (the defaults): identity 0.00 vs 1.00 at 600 ms and
  0.07 vs 0.87 at 900 ms; bumps peak at 314 and 610 ms;
- 20-ms synapses with weaker recurrence, or the Izhikevich (2003) network's noise
  (s.d. 5 / 2): no timing could be read out (normalised error about 1).

Example
-------
>>> import jax, jax.numpy as jnp
>>> from bioplastic.networks.reservoir import ReservoirConfig, build_reservoir
>>> reservoir = build_reservoir(jax.random.PRNGKey(0), ReservoirConfig(n_exc=80, n_inh=20), n_cues=2)
>>> state = reservoir.init(jax.random.PRNGKey(1))
>>> step = jax.jit(reservoir.step)
>>> for n in range(200):                                    # 200 ms, cue 0 on for the first 100
...     state, rates = step(state, jnp.array([1.0 * (n < 100), 0.0]), n)
>>> rates.shape, bool(rates.min() >= 0)
((100,), True)
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from bioplastic._checks import BadInput, check_nonnegative, check_positive, check_size
from bioplastic.networks.network import Network, Population, Projection
from bioplastic.neurons.izhikevich import Izhikevich, excitatory_inhibitory_params
from bioplastic.synapses.connectivity import fixed_probability
from bioplastic.synapses.exponential import ExponentialSynapse

@dataclasses.dataclass(frozen=True)
class ReservoirConfig:
    """Sizes and constants of the reservoir (see the module docstring for each role).

    Currents are in Izhikevich's units (mV/ms), charges in those units x ms, times in ms.
    ``dt_ms`` is the step the reservoir advances by: the paper's scheme integrates at a
    fixed 1 ms, so no other value is allowed.

    Example
    -------
    >>> ReservoirConfig(n_exc=80, n_inh=20).size
    100
    >>> ReservoirConfig(dt_ms=0.5)
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: reservoir.dt_ms: got 0.5; allowed: 1.0 (the Izhikevich 2003 scheme's fixed step)
    """

    n_exc: int = 800
    n_inh: int = 200
    connection_probability: float = 0.1
    exc_charge: float = 12.0
    inh_charge: float = 48.0
    synapse_tau_ms: float = 300.0
    bias_current: float = 4.0
    noise_exc: float = 1.0
    noise_inh: float = 1.0
    cue_fraction: float = 0.5
    cue_current: float = 30.0
    readout_tau_ms: float = 50.0
    max_events: int = 128
    dt_ms: float = 1.0

    def __post_init__(self):
        if self.dt_ms != 1.0:
            raise BadInput("reservoir.dt_ms", repr(self.dt_ms), "1.0 (the Izhikevich 2003 scheme's fixed step)")
        check_size(self.n_exc, "reservoir.n_exc")
        check_size(self.n_inh, "reservoir.n_inh")
        check_size(self.max_events, "reservoir.max_events")
        for name in ("connection_probability", "cue_fraction"):
            value = getattr(self, name)
            if not 0.0 < value <= 1.0:
                raise BadInput(f"reservoir.{name}", f"{value!r}", "a fraction in (0, 1]")
        for name in ("exc_charge", "inh_charge", "bias_current", "noise_exc", "noise_inh", "cue_current"):
            check_nonnegative(getattr(self, name), f"reservoir.{name}")
        check_positive(self.synapse_tau_ms, "reservoir.synapse_tau_ms", "ms")
        check_positive(self.readout_tau_ms, "reservoir.readout_tau_ms", "ms")

    @property
    def size(self) -> int:
        """Number of neurons, excitatory first.

        Example
        -------
        >>> ReservoirConfig().size, ReservoirConfig(n_exc=8, n_inh=2).size
        (1000, 10)
        """
        return self.n_exc + self.n_inh


class ReservoirState(NamedTuple):
    """The network's state and the filtered spike trains (Hz) that the readouts see.

    Example
    -------
    >>> reservoir = build_reservoir(jax.random.PRNGKey(0), ReservoirConfig(n_exc=8, n_inh=2), n_cues=1)
    >>> reservoir.init(jax.random.PRNGKey(1)).rates.tolist() == [0.0] * 10
    True
    """

    network: dict
    rates: jax.Array


@dataclasses.dataclass(frozen=True)
class Reservoir:
    """A built reservoir: its network, parameters and fixed drive (see :func:`build_reservoir`).

    Example
    -------
    >>> reservoir = build_reservoir(jax.random.PRNGKey(0), ReservoirConfig(n_exc=8, n_inh=2), n_cues=2)
    >>> reservoir.cue_targets.shape                  # which neurons each cue drives
    (2, 10)
    """

    config: ReservoirConfig
    network: Network
    params: dict
    bias: jax.Array
    noise_std: jax.Array
    cue_targets: jax.Array
    noise_key: jax.Array

    def init(self, key: jax.Array) -> ReservoirState:
        """The network's initial state (Izhikevich's ``v = -65`` mV, ``u = b v``), no filtered activity.

        Example
        -------
        >>> reservoir = build_reservoir(jax.random.PRNGKey(0), ReservoirConfig(n_exc=8, n_inh=2), n_cues=1)
        >>> state = reservoir.init(jax.random.PRNGKey(1))
        >>> neurons = state.network["populations"]["reservoir"]
        >>> neurons.v.tolist() == [-65.0] * 10, state.rates.tolist() == [0.0] * 10
        (True, True)
        """
        return ReservoirState(self.network.init(self.params, key), jnp.zeros(self.config.size, jnp.float32))

    def step(self, state: ReservoirState, cues: jax.Array, step_index) -> tuple[ReservoirState, jax.Array]:
        """Advance 1 ms with the cues ``cues`` (n_cues,) on or off; returns the state and the rates (Hz).

        ``step_index`` (the global step) seeds this step's background noise, so a run
        split into pieces draws the same noise as an uninterrupted one.

        Parameters
        ----------
        state : ReservoirState
            State before the step (from :meth:`init` or a previous step).
        cues : array, shape (n_cues,)
            1 for a cue that is on, 0 for off; cue ``k`` injects ``cues[k] * cue_current`` into its targets.
        step_index : int or int array
            Global step number (1 ms each), folded into the noise key.

        Returns
        -------
        (ReservoirState, array)
            The new state and the filtered spike trains (Hz), shape (size,).

        Example
        -------
        A cue held on for two steps makes exactly its target neurons spike in the second
        millisecond; each spike adds ``1000 / readout_tau_ms = 20`` Hz to its rate:

        >>> reservoir = build_reservoir(jax.random.PRNGKey(0), ReservoirConfig(n_exc=8, n_inh=2), n_cues=1)
        >>> start = reservoir.init(jax.random.PRNGKey(1))
        >>> state, rates = reservoir.step(start, jnp.array([1.0]), 0)
        >>> state, rates = reservoir.step(state, jnp.array([1.0]), 1)
        >>> cued = (reservoir.cue_targets[0] > 0).astype(jnp.float32)
        >>> rates.tolist() == (20.0 * cued).tolist()
        True

        The noise depends only on ``step_index``:

        >>> v = [reservoir.step(start, jnp.zeros(1), k)[0].network["populations"]["reservoir"].v for k in (5, 5, 6)]
        >>> bool(jnp.array_equal(v[0], v[1])), bool(jnp.array_equal(v[0], v[2]))
        (True, False)
        """
        noise = self.noise_std * jax.random.normal(jax.random.fold_in(self.noise_key, step_index), self.bias.shape)
        drive = {"reservoir": (self.bias, noise, jnp.asarray(cues, jnp.float32) @ self.cue_targets)}
        network, outputs = self.network.step(self.params, state.network, drive, self.config.dt_ms)
        decay = float(np.exp(-self.config.dt_ms / self.config.readout_tau_ms))
        rates = state.rates * decay + outputs["reservoir"] * (1000.0 / self.config.readout_tau_ms)
        return ReservoirState(network, rates), rates


def build_reservoir(key: jax.Array, config: ReservoirConfig, n_cues: int) -> Reservoir:
    """Draw a reservoir's neurons, synapses, bias, noise seed and cue targets from ``key``.

    Parameters
    ----------
    key : jax key
        The same key gives the same reservoir (and the same noise).
    config : ReservoirConfig
    n_cues : int
        Number of cue channels; each gets its own random set of target neurons.

    Returns
    -------
    Reservoir

    Example
    -------
    >>> config = ReservoirConfig(n_exc=40, n_inh=10)
    >>> first = build_reservoir(jax.random.PRNGKey(3), config, n_cues=2)
    >>> bool(jnp.array_equal(first.bias, build_reservoir(jax.random.PRNGKey(3), config, n_cues=2).bias))
    True
    """
    n_cues = check_size(n_cues, "n_cues")
    key_neurons, key_pairs, key_charges, key_bias, key_cues, key_noise = jax.random.split(key, 6)
    n = config.size
    synapses = fixed_probability(key_pairs, n, n, config.connection_probability, 1.0, allow_self=False)
    max_charge = np.concatenate([np.full(config.n_exc, config.exc_charge), np.full(config.n_inh, -config.inh_charge)])
    charges = jnp.asarray(max_charge, jnp.float32)[:, None] * jax.random.uniform(key_charges, synapses.targets.shape)
    synapses = synapses.with_weights(charges / config.synapse_tau_ms)
    network = Network(
        populations=(Population("reservoir", Izhikevich(method="izhikevich2003"), n),),
        projections=(Projection("recurrent", "reservoir", "reservoir", ExponentialSynapse(config.synapse_tau_ms),
                                max_events=config.max_events),),
    )
    params = network.params({"reservoir": excitatory_inhibitory_params(key_neurons, config.n_exc, config.n_inh)},
                            {"recurrent": synapses})
    bias = config.bias_current * jax.random.uniform(key_bias, (n,), minval=0.5, maxval=1.5)
    noise_std = jnp.concatenate([jnp.full(config.n_exc, config.noise_exc), jnp.full(config.n_inh, config.noise_inh)])
    cue_targets = (jax.random.uniform(key_cues, (n_cues, n)) < config.cue_fraction).astype(jnp.float32)
    return Reservoir(config, network, params, bias, noise_std, config.cue_current * cue_targets, key_noise)
