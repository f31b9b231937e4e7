"""The components a protocol can name, registered by name.

Each registry entry knows how to build its component from protocol values and which
keys it needs; :mod:`bioplastic.experiments.simulation.build` calls them with the key path so that
errors point at the protocol line.

Example
-------
>>> from bioplastic.protocol.components import NEURONS, CONNECTIVITY
>>> NEURONS.names()[:4], NEURONS.names()[4:6]
(('lif', 'izhikevich', 'rate', 'spike_source'), ('brainpy:LIF', 'brainpy:LIFRef'))
>>> RULES.names()
('stdp', 'triplet_stdp', 'bcm', 'oja', 'inhibitory_stdp', 'reward_stdp', 'dopamine_stdp', 'reward_hebbian')
>>> CONNECTIVITY.names()
('dense', 'fixed_probability', 'fixed_out_degree')
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import jax

from bioplastic.neurons.izhikevich import PRESETS, Izhikevich, excitatory_inhibitory_params
from bioplastic.neurons.lif import LIF
from bioplastic.neurons.rate import RateUnit
from bioplastic.neurons.spike_source import SpikeSource
from bioplastic.protocol.brainpy_neurons import BRAINPY_NEURONS, PREFIX, BrainPyNeuronType
from bioplastic.protocol.registry import Registry
from bioplastic.rules.bcm import bcm
from bioplastic.rules.dopamine_stdp import dopamine_stdp
from bioplastic.rules.inhibitory_stdp import inhibitory_stdp
from bioplastic.rules.oja import oja
from bioplastic.rules.stdp import reward_modulated_stdp, stdp
from bioplastic.rules.three_factor import reward_modulated_hebbian
from bioplastic.rules.triplet_stdp import triplet_stdp
from bioplastic.synapses.connectivity import dense, fixed_out_degree, fixed_probability
from bioplastic.synapses.exponential import ExponentialSynapse


@dataclasses.dataclass(frozen=True)
class NeuronType:
    """How a protocol builds a population of one neuron type.

    ``make(options)`` returns the model; ``input_key`` is the key (with its unit) that
    inputs to this type use; ``initial_keys`` maps protocol keys of initial values to
    state variables; ``presets`` are named parameter sets.

    Example
    -------
    >>> lif = NEURONS.get("lif")
    >>> lif.input_key, lif.options, lif.initial_keys, lif.presets
    ('current_mv', ('integration', 'reset'), {'v_mv': 'v'}, ())
    >>> lif.make(reset="subtract").reset
    'subtract'
    >>> izhikevich = NEURONS.get("izhikevich")
    >>> izhikevich.input_key, izhikevich.initial_keys["u_mv_per_ms"], izhikevich.presets[-2:]
    ('current_mv_per_ms', 'u', ('paper_excitatory', 'paper_inhibitory'))
    """

    make: Callable[..., object]
    options: tuple[str, ...]
    input_key: str
    initial_keys: dict
    presets: tuple[str, ...] = ()


IZHIKEVICH_POPULATION_PRESETS = ("paper_excitatory", "paper_inhibitory")

NEURONS = Registry("neuron")
NEURONS.register(
    "lif",
    NeuronType(LIF, ("integration", "reset"), "current_mv", {"v_mv": "v"}),
    "leaky integrate-and-fire (options: integration, reset)",
)
NEURONS.register(
    "izhikevich",
    NeuronType(
        Izhikevich, ("method",), "current_mv_per_ms", {"v_mv": "v", "u_mv_per_ms": "u"},
        tuple(PRESETS) + IZHIKEVICH_POPULATION_PRESETS,
    ),
    "Izhikevich (2003) (options: method; presets: firing classes, paper_excitatory, paper_inhibitory)",
)
NEURONS.register(
    "rate", NeuronType(RateUnit, ("activation", "leaky"), "current", {"u": "u"}), "rate unit (options: activation, leaky)"
)
NEURONS.register(
    "spike_source", NeuronType(SpikeSource, (), "current", {}),
    "spike source: a spike in every step whose input is > 0 (Poisson, correlated or periodic trains)",
)
for _class_name in BRAINPY_NEURONS:
    _brainpy_type = BrainPyNeuronType(_class_name)
    NEURONS.register(PREFIX + _class_name, _brainpy_type, _brainpy_type.description)


def neuron_params(kind: str, model, preset, values: dict, size: int, key: jax.Array):
    """Parameters of a population: a preset (possibly drawn per neuron) updated by ``values``.

    Parameters
    ----------
    kind : str
        The registered neuron type (``"lif"``, ``"izhikevich"``, ``"rate"``).
    model
        The neuron model, as ``NEURONS.get(kind).make(...)`` built it.
    preset : str or None
        A named parameter set. ``"paper_excitatory"`` and ``"paper_inhibitory"``
        (Izhikevich) draw ``a, b, c, d`` per neuron as in Izhikevich (2003).
    values : dict
        Parameter values of the protocol (units in the names), applied over the preset.
    size : int
        Neurons in the population.
    key : jax.Array
        PRNG key of the per-neuron draws.

    Example
    -------
    >>> lif = neuron_params("lif", LIF(), None, {"tau_ms": 10.0}, 3, jax.random.PRNGKey(0))
    >>> float(lif.tau_ms), float(lif.v_th_mv)                          # given, default (ms, mV)
    (10.0, -50.0)
    >>> exc = neuron_params("izhikevich", Izhikevich(), "paper_excitatory", {}, 4, jax.random.PRNGKey(0))
    >>> exc.c_mv.shape, [round(float(x), 3) for x in exc.c_mv + 2.5 * exc.d]   # c = -65 + 15 r^2, d = 8 - 6 r^2
    ((4,), [-45.0, -45.0, -45.0, -45.0])
    >>> fs = neuron_params("izhikevich", Izhikevich(), "fast_spiking", {"d": 3.0}, 4, jax.random.PRNGKey(0))
    >>> round(float(fs.a), 4), float(fs.d)                          # the preset's a, the protocol's d
    (0.1, 3.0)
    """
    if kind == "izhikevich" and preset in IZHIKEVICH_POPULATION_PRESETS:
        # The paper's draws for one kind: draw one neuron of the other kind too, then drop it.
        if preset == "paper_excitatory":
            drawn, keep = excitatory_inhibitory_params(key, size, 1), slice(0, size)
        else:
            drawn, keep = excitatory_inhibitory_params(key, 1, size), slice(1, size + 1)
        heterogeneous = {name: getattr(drawn, name)[keep] for name in ("a", "b", "c_mv", "d")}
        return model.params(**{**heterogeneous, **values})
    if preset is not None:
        return model.params(preset=preset, **values)
    return model.params(**values)


def _dense(key, n_pre, n_post, spec, weight):
    return dense(n_pre, n_post, weight)


def _fixed_probability(key, n_pre, n_post, spec, weight):
    return fixed_probability(key, n_pre, n_post, spec.p, weight, allow_self=spec.allow_self)


def _fixed_out_degree(key, n_pre, n_post, spec, weight):
    return fixed_out_degree(key, n_pre, n_post, spec.k, weight, allow_self=spec.allow_self)


CONNECTIVITY = Registry("connectivity")
CONNECTIVITY.register("dense", (_dense, ()), "every pre neuron to every post neuron")
CONNECTIVITY.register("fixed_probability", (_fixed_probability, ("p",)), "each pair with probability p")
CONNECTIVITY.register("fixed_out_degree", (_fixed_out_degree, ("k",)), "exactly k distinct targets per pre neuron")

SYNAPSES = Registry("synapse")
SYNAPSES.register("delta", (lambda spec: None, ()), "the weight is a current for one step")
SYNAPSES.register(
    "exponential_current", (lambda spec: ExponentialSynapse(spec.tau_ms), ("tau_ms",)), "exponentially decaying current"
)
SYNAPSES.register(
    "exponential_conductance",
    (lambda spec: ExponentialSynapse(spec.tau_ms, spec.reversal_mv), ("tau_ms", "reversal_mv")),
    "exponentially decaying conductance with a reversal potential (LIF targets)",
)

INPUTS = Registry("input")
INPUTS.register("constant", ("current",), "the same current at every step (between start_ms and stop_ms)")
INPUTS.register("step", ("current",), "a current switched on at start_ms and off at stop_ms")
INPUTS.register("poisson", ("current", "rate_hz", "correlation", "rate_signal"),
                "Poisson trains, independent or with a pairwise correlation, or with a rate that follows a time-varying "
                "signal per group (rate_signal); each spike injects the current for one step")
INPUTS.register("periodic", ("current", "rate_hz", "width_ms"),
                "a pulse of the current, width_ms long (default one step), every 1000 / rate_hz ms from start_ms")
INPUTS.register("patterns", ("current", "patterns", "presentation_ms"),
                "one of the patterns, chosen at random, for each presentation_ms, times the current")
INPUTS.register("gaussian", ("current", "mean", "covariance", "presentation_ms"),
                "a draw from N(mean, covariance) for each presentation_ms, times the current")

PLOTS = Registry("plot")      # each protocol kind registers the plots it draws (bioplastic.experiments)

METRICS = Registry("metric")
METRICS.register("mean_rate_hz", None, "mean firing rate of every spiking population (mean_rate_hz_NAME) and of all of them (mean_rate_hz_all) (Hz)")
METRICS.register("mean_weight", None, "mean final weight of every plastic projection")

RULES = Registry("learning rule")
RULES.register("stdp", stdp, "pair-based STDP with traces and hard bounds")
RULES.register("triplet_stdp", triplet_stdp, "triplet STDP (Pfister & Gerstner 2006), all-to-all or nearest-spike")
RULES.register("bcm", bcm, "BCM rate rule with a sliding threshold theta = running mean of post^2 (Intrator & Cooper 1992)")
RULES.register("oja", oja, "Oja's single-neuron rule: Hebb with a post^2 w decay, w -> +-PC1 of the input")
RULES.register("inhibitory_stdp", inhibitory_stdp, "symmetric iSTDP: holds the post rate at target_rate_hz (Vogels et al. 2011)")
RULES.register("reward_stdp", reward_modulated_stdp, "STDP into an eligibility trace, gated by the 'modulator' signal")
RULES.register("dopamine_stdp", dopamine_stdp,
               "Izhikevich (2007): STDP into an eligibility trace, times dopamine that the 'reward' signal releases")
RULES.register("reward_hebbian", reward_modulated_hebbian,
               "pre x post coincidences into an eligibility trace, times the 'modulator' signal (three-factor)")

SIGNALS = Registry("signal")
SIGNALS.register("constant", None, "the same value at every step (between start_ms and stop_ms)")
SIGNALS.register("step", None, "a value switched on at start_ms and off at stop_ms")
