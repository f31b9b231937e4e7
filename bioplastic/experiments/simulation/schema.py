"""The schema of a simulation protocol: a network simulated in time.

Its tables (sections)::

    name, description, seed
    [simulation]        dt_ms, duration_ms, chunk_ms, devices
    [model]             file (a model under models/), and/or inline:
    [model.populations.NAME]   neuron, size, options, preset, params, initial
    [model.projections.NAME]   pre, post, weight, connectivity, synapse, delay_ms, plasticity
    [inputs.NAME]       target, type, current_* / rate_hz, start_ms, stop_ms, neurons
    [dataset]           name, target, split, encoding, presentation_ms, max_rate_hz, current_*,
                        first_image, n_images, epochs, tasks (permuted / split task sequences)
    [signals.NAME]      type, value, start_ms, stop_ms (e.g. a reward modulator)
    [learning]          phases (named spans of time with plasticity on or off)
    [recordings.NAME]   population, variable, neurons, stride, reduce
    metrics             list of metric names
    [plots.NAME]        type, recording(s), title

A protocol with a ``[training]`` table (:class:`TrainingProtocol`) trains a layered
network on a dataset instead; one with a ``[continual]`` table (:class:`ContinualProtocol`)
trains a spiking MLP on a sequence of permuted tasks; one with a ``[prediction]`` table
(:class:`PredictionProtocol`) trains readouts of an Izhikevich reservoir on a
cue-outcome task; one with a ``[theta]`` table (:class:`ThetaProtocol`) trains layers of
two-compartment units by theta-gated wake-sleep on latent features or on a track.

Checks that need more than one key (does the population exist? does the neuron have
that variable?) are in :mod:`bioplastic.experiments.simulation.build`.

Example
-------
>>> Simulation(dt_ms=0.1, duration_ms=100.0).chunk_ms is None
True
"""

from __future__ import annotations

from typing import Literal, Optional, Union

from pydantic import Field

from bioplastic.protocol.schema import MAX_NAME_LENGTH, MAX_SEED, PlotSpec, Strict



class Simulation(Strict):
    """Time grid of the run: step ``dt_ms`` and simulated time ``duration_ms`` (ms).

    ``chunk_ms`` (ms) is how often progress is reported and a checkpoint kept; ``None`` lets
    :func:`~bioplastic.experiments.simulation.build.build_experiment` pick about a tenth of the run.
    ``devices`` spreads every population's neurons over that many devices
    (:mod:`bioplastic.networks.sharding`). An integer is taken as a float, but a string is
    not a number: units go in the key name.

    Example
    -------
    >>> sim = Simulation(dt_ms=0.1, duration_ms=50)
    >>> sim.duration_ms, round(sim.duration_ms / sim.dt_ms), sim.chunk_ms      # 500 steps
    (50.0, 500, None)
    >>> Simulation(dt_ms="0.1 ms", duration_ms=50.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for Simulation
    dt_ms
      Input should be a valid number [type=float_type, input_value='0.1 ms', input_type=str]
    ...
    """

    dt_ms: float = Field(gt=0, description="integration step (ms)")
    duration_ms: float = Field(gt=0, description="simulated time (ms)")
    chunk_ms: Optional[float] = Field(
        None, gt=0, description="progress and checkpoint interval (ms); default: about a tenth of the run"
    )
    devices: int = Field(
        1, ge=1, description="devices the populations' neurons are spread over (jax.sharding; "
        "bioplastic.networks.sharding); 1: one device"
    )


class Distribution(Strict):
    """A random initial value, drawn per neuron from the protocol's seed.

    ``normal`` needs ``mean`` and ``std``, ``uniform`` needs ``low`` and ``high`` (in the
    unit of the variable it initialises, e.g. mV for ``v_mv``); that they are given is
    checked when the network is built.

    Example
    -------
    >>> d = Distribution.model_validate({"distribution": "normal", "mean": -65.0, "std": 2.0})
    >>> d.mean, d.std, d.low, d.high
    (-65.0, 2.0, None, None)
    >>> Distribution(distribution="gamma")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for Distribution
    distribution
      Input should be 'normal' or 'uniform' [type=literal_error, input_value='gamma', input_type=str]
    ...
    """

    distribution: Literal["normal", "uniform"]
    mean: Optional[float] = None
    std: Optional[float] = Field(None, ge=0)
    low: Optional[float] = None
    high: Optional[float] = None


class IndexRange(Strict):
    """Neurons ``start <= i < stop`` of a population (``start`` defaults to 0).

    Example
    -------
    >>> neurons = IndexRange(stop=3)
    >>> neurons.start, list(range(neurons.start, neurons.stop))
    (0, [0, 1, 2])
    >>> IndexRange(start=-1, stop=3)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for IndexRange
    start
      Input should be greater than or equal to 0 [type=greater_than_equal, input_value=-1, input_type=int]
    ...
    """

    start: int = Field(0, ge=0)
    stop: int = Field(ge=1)


class PopulationSpec(Strict):
    """A population: a neuron type from the registry and its size, parameters, initial state.

    ``params`` hold one value for every neuron or a list of one value per neuron; an entry
    of ``initial`` is a number or a :class:`Distribution` table. Which keys the neuron type
    has is checked when the network is built.

    Example
    -------
    >>> spec = PopulationSpec.model_validate({
    ...     "neuron": "lif", "size": 3, "params": {"tau_ms": 20.0, "v_th_mv": [-50.0, -52.0, -54.0]},
    ...     "initial": {"v_mv": {"distribution": "uniform", "low": -70.0, "high": -60.0}}})
    >>> spec.params["v_th_mv"], type(spec.initial["v_mv"]).__name__, spec.options, spec.preset
    ([-50.0, -52.0, -54.0], 'Distribution', {}, None)
    >>> PopulationSpec(neuron="lif", size=0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for PopulationSpec
    size
      Input should be greater than or equal to 1 [type=greater_than_equal, input_value=0, input_type=int]
    ...
    """

    neuron: str = Field(description="neuron type (bioplastic list shows them)")
    size: int = Field(ge=1)
    options: dict[str, Union[str, bool]] = Field(
        default_factory=dict, description="static choices of the neuron type (integration, reset, method, activation)"
    )
    preset: Optional[str] = Field(None, description="a named parameter set (Izhikevich firing classes)")
    params: dict[str, Union[float, list[float]]] = Field(
        default_factory=dict, description="neuron parameters, units in the names (tau_ms, v_th_mv)"
    )
    initial: dict[str, Union[float, Distribution]] = Field(
        default_factory=dict, description="initial values of state variables (e.g. v_mv)"
    )


class ConnectivitySpec(Strict):
    """How the synapses of a projection are drawn.

    ``dense`` needs nothing more, ``fixed_probability`` a probability ``p`` in [0, 1],
    ``fixed_out_degree`` a number of targets ``k``; ``allow_self`` (default true) lets a
    neuron connect to itself when ``pre`` and ``post`` are the same population.

    Example
    -------
    >>> spec = ConnectivitySpec(type="fixed_probability", p=0.1)
    >>> spec.p, spec.k, spec.allow_self
    (0.1, None, True)
    >>> ConnectivitySpec(type="fixed_probability", p=1.2)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for ConnectivitySpec
    p
      Input should be less than or equal to 1 [type=less_than_equal, input_value=1.2, input_type=float]
    ...
    """

    type: str = Field(description="dense | fixed_probability | fixed_out_degree")
    p: Optional[float] = Field(None, ge=0, le=1, description="connection probability (fixed_probability)")
    k: Optional[int] = Field(None, ge=1, description="targets per presynaptic neuron (fixed_out_degree)")
    allow_self: bool = True


class SynapseSpec(Strict):
    """Synapse dynamics of a projection.

    ``delta`` (the default) injects the weight for one step; ``exponential_current`` needs a
    decay ``tau_ms`` (ms); ``exponential_conductance`` also a reversal potential
    ``reversal_mv`` (mV).

    Example
    -------
    >>> SynapseSpec()
    SynapseSpec(type='delta', tau_ms=None, reversal_mv=None)
    >>> SynapseSpec(type="exponential_current", tau_ms=0.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for SynapseSpec
    tau_ms
      Input should be greater than 0 [type=greater_than, input_value=0.0, input_type=float]
    ...
    """

    type: str = Field("delta", description="delta | exponential_current | exponential_conductance")
    tau_ms: Optional[float] = Field(None, gt=0)
    reversal_mv: Optional[float] = None


class PlasticitySpec(Strict):
    """A learning rule acting on a projection's weights: its registered name and parameters.

    Parameters are numbers, or the name of one of a rule's options (``interaction =
    "nearest"``); which names a rule takes, and that a number is a number, are checked when
    the network is built.

    Example
    -------
    >>> PlasticitySpec(rule="stdp").params
    {}
    >>> PlasticitySpec.model_validate({"rule": "triplet_stdp", "params": {"interaction": "nearest", "a2_plus": 0.01}}).params
    {'interaction': 'nearest', 'a2_plus': 0.01}
    """

    rule: str
    params: dict[str, Union[float, str]] = Field(
        default_factory=dict, description="the rule's hyperparameters: numbers, and names of options (interaction)"
    )


class ProjectionSpec(Strict):
    """Synapses from one population to another.

    ``weight`` is in the unit of the target's input for current synapses (mV of R*I for
    LIF), or a conductance relative to the leak for conductance synapses; a number, or a
    :class:`Distribution` table drawn once per synapse from the seed; ``delay_ms`` (ms, default 0)
    is a transmission delay, added to the one step every projection takes (a spike moves the
    synapse in the step after it is emitted, as in Brian2 and BrainPy). Without a ``synapse`` table the synapse is ``delta``; without
    ``plasticity`` the weights are fixed.

    Example
    -------
    >>> spec = ProjectionSpec.model_validate(
    ...     {"pre": "exc", "post": "inh", "weight": 0.5, "connectivity": {"type": "dense"}})
    >>> spec.synapse.type, spec.delay_ms, spec.plasticity
    ('delta', 0.0, None)
    >>> ProjectionSpec.model_validate({"pre": "exc", "post": "inh", "weight": 0.5})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for ProjectionSpec
    connectivity
      Field required [type=missing, input_value={'pre': 'exc', 'post': 'inh', 'weight': 0.5}, input_type=dict]
    ...
    """

    pre: str
    post: str
    weight: Union[float, Distribution] = Field(
        description="synaptic weight: mV of current, or conductance relative to leak; a number, or a "
                    "distribution table drawn per synapse"
    )
    connectivity: ConnectivitySpec
    synapse: SynapseSpec = Field(default_factory=SynapseSpec)
    delay_ms: float = Field(0.0, ge=0)
    plasticity: Optional[PlasticitySpec] = None


class ModelSpec(Strict):
    """A network: a model file and/or inline populations and projections (inline wins).

    :func:`~bioplastic.protocol.load.resolve` merges the file named by ``file`` (relative
    to the protocol) with the inline tables before validation.

    Example
    -------
    >>> spec = ModelSpec.model_validate({"populations": {"exc": {"neuron": "lif", "size": 4}}})
    >>> spec.file, list(spec.populations), spec.populations["exc"].size, spec.projections
    (None, ['exc'], 4, {})
    """

    file: Optional[str] = Field(None, description="a model TOML file, relative to the protocol file")
    populations: dict[str, PopulationSpec] = Field(default_factory=dict)
    projections: dict[str, ProjectionSpec] = Field(default_factory=dict)


class RateSignalSpec(Strict):
    """A time-varying rate for a ``poisson`` input: one signal per group of the neurons it reaches.

    The neurons the input reaches are split, in order, into ``groups`` contiguous groups of
    equal size (within one neuron: the ``k``-th of ``n`` neurons is in group
    ``floor(k groups / n)``). Group ``g`` fires Poisson trains at::

        rate_g(t) = rate_hz + max(0, mean_hz + x_g(t))          (Hz)

    ``x_g`` is an Ornstein-Uhlenbeck process (low-pass-filtered white noise) of mean 0,
    stationary standard deviation ``std_hz`` and correlation time ``tau_ms``
    (``<x(t) x(t + s)> = std_hz^2 exp(-|s| / tau_ms)``), drawn exactly on a grid of
    ``sample_ms`` (default: ``dt_ms``) and held between samples; the groups' signals are
    independent. ``rate_hz`` is the input's baseline rate. The mean rate is
    ``rate_hz + m Phi(m / s) + s phi(m / s)`` with ``m = mean_hz``, ``s = std_hz`` (``phi``,
    ``Phi``: the standard normal density and distribution). With a ``seed``, group ``k``
    (counting from 0) follows signal number ``seed + k``, and inputs follow the same signal
    wherever their numbers meet (with the same ``tau_ms``, ``std_hz``, ``mean_hz`` and
    ``sample_ms``): so afferents in two populations -- the excitatory and the inhibitory
    afferents of one input channel -- can share a signal, and a population of 8 groups
    with ``seed = 1`` follows the signals of 8 one-group inputs with seeds 1 to 8. Without
    ``seed`` an input's signals are its own. Only the signals are stored (``groups`` values
    per sample), never a rate per neuron.

    Example
    -------
    >>> spec = RateSignalSpec.model_validate({"groups": 8, "tau_ms": 50.0, "std_hz": 150.0})
    >>> spec.mean_hz, spec.sample_ms, spec.seed
    (0.0, None, None)
    >>> RateSignalSpec(tau_ms=0.0, std_hz=1.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for RateSignalSpec
    tau_ms
      Input should be greater than 0 [type=greater_than, input_value=0.0, input_type=float]
    ...
    """

    groups: int = Field(1, ge=1, description="contiguous groups of the neurons reached, one signal each")
    tau_ms: float = Field(gt=0, description="correlation time of each signal (ms)")
    std_hz: float = Field(ge=0, description="stationary standard deviation of each signal (Hz)")
    mean_hz: float = Field(0.0, description="mean of each signal before rectification (Hz)")
    sample_ms: Optional[float] = Field(None, gt=0, description="grid on which the signals are drawn and held (ms); "
                                                                "default dt_ms")
    seed: Optional[int] = Field(None, ge=0, le=MAX_SEED,
                                description="group k follows signal number seed + k, shared by inputs that name it")


class InputSpec(Strict):
    """External drive of one population, in the unit of that population's input.

    Exactly one amplitude key must be given, the one of the target's neuron type:
    ``current_mv`` (LIF), ``current_mv_per_ms`` (Izhikevich) or ``current`` (rate units
    and spike sources). ``poisson`` inputs also take ``rate_hz`` (Hz) and, optionally, the
    pairwise ``correlation`` of their trains; ``periodic`` inputs a ``rate_hz`` (one pulse
    every ``1000 / rate_hz`` ms from ``start_ms``) and, optionally, the ``width_ms`` of each pulse
    (default: one step). ``patterns`` inputs show one of
    ``patterns``, chosen at random, for each ``presentation_ms``; ``gaussian`` inputs a
    fresh draw from N(``mean``, ``covariance``); both are scaled by the amplitude. The
    amplitude is one number, or a list with one value per neuron chosen (for a ``poisson``
    input: the weight of each train's spikes). The input is on from ``start_ms`` to
    ``stop_ms`` (ms; ``None``: the end of the run) for the ``neurons`` chosen. A ``poisson``
    input with a ``rate_signal`` table (:class:`RateSignalSpec`) fires at a rate that follows
    one time-varying signal per group of its neurons, over the whole run.

    Example
    -------
    >>> spec = InputSpec.model_validate({"target": "exc", "type": "step", "current_mv": 20.0,
    ...                                  "start_ms": 5.0, "stop_ms": 15.0, "neurons": {"stop": 2}})
    >>> spec.neurons, spec.rate_hz
    (IndexRange(start=0, stop=2), None)
    >>> InputSpec(target="exc", type="constant", current_mv=20.0).neurons
    'all'
    >>> InputSpec(target="exc", type="constant", current_mv=[10.0, 20.0], neurons=[0, 3]).current_mv
    [10.0, 20.0]
    >>> InputSpec(target="exc", type="poisson", rate_hz=-5.0, current_mv=1.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for InputSpec
    rate_hz
      Input should be greater than or equal to 0 [type=greater_than_equal, input_value=-5.0, input_type=float]
    ...
    """

    target: str
    type: str = Field(description="constant | step | poisson")
    current_mv: Optional[Union[float, list[float]]] = Field(None, description="current as R*I (LIF)")
    current_mv_per_ms: Optional[Union[float, list[float]]] = Field(None, description="current in Izhikevich's units")
    current: Optional[Union[float, list[float]]] = Field(None, description="dimensionless input (rate units)")
    current_ma: Optional[Union[float, list[float]]] = Field(None, description="current in mA (brainpy integrate-and-fire "
                                                            "family; R*I in mV with R = 1 ohm)")
    current_ua: Optional[Union[float, list[float]]] = Field(None, description="current in uA per cm^2 (brainpy:HH)")
    rate_hz: Optional[float] = Field(None, ge=0, description="Poisson rate of each train, or a periodic input's rate")
    width_ms: Optional[float] = Field(
        None, gt=0, description="periodic inputs: how long each pulse lasts (ms), at most the period; default one step"
    )
    correlation: Optional[float] = Field(
        None, ge=0, le=1, description="pairwise correlation of poisson trains (multiple interaction process); default 0"
    )
    patterns: Optional[list[list[float]]] = Field(
        None, description="patterns input: one vector per pattern over the neurons the input reaches"
    )
    mean: Optional[Union[float, list[float]]] = Field(None, description="gaussian input: the mean of each draw")
    covariance: Optional[list[list[float]]] = Field(None, description="gaussian input: the covariance of each draw")
    presentation_ms: Optional[float] = Field(
        None, gt=0, description="patterns and gaussian inputs: how long each pattern or draw is held (ms)"
    )
    rate_signal: Optional[RateSignalSpec] = Field(
        None, description="poisson inputs: a time-varying rate per group of neurons (rate_hz is its baseline)"
    )
    start_ms: float = Field(0.0, ge=0)
    stop_ms: Optional[float] = Field(None, ge=0)
    neurons: Union[Literal["all"], list[int], IndexRange] = Field(
        "all", description="neurons that receive the input: 'all', a list of indices, or {start, stop}"
    )


class TaskSequenceSpec(Strict):
    """A continual-learning sequence of tasks built from the dataset, shown one after another.

    Example
    -------
    >>> tasks = TaskSequenceSpec(kind="permuted", n_tasks=3)
    >>> tasks.first_unpermuted, tasks.class_pairs
    (True, None)
    >>> TaskSequenceSpec(kind="rotated")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for TaskSequenceSpec
    kind
      Input should be 'permuted' or 'split' [type=literal_error, input_value='rotated', input_type=str]
    ...
    """

    kind: Literal["permuted", "split"] = Field(description="permuted pixels per task, or class pairs per task")
    n_tasks: Optional[int] = Field(None, ge=1, description="number of permuted tasks")
    first_unpermuted: bool = Field(True, description="task 0 shows the original images (permuted)")
    class_pairs: Optional[list[list[int]]] = Field(None, description="classes of each split task; default (0,1) ... (8,9)")


class DatasetInputSpec(Strict):
    """Images of a dataset shown one after another to a population (one neuron per pixel).

    Each image is shown for ``presentation_ms`` (ms). With ``poisson`` encoding a pixel of
    intensity ``x`` in [0, 1] fires at ``x * max_rate_hz`` (Hz) and each spike injects the
    amplitude key of the target's unit; with ``constant`` encoding the amplitude is scaled by
    ``x``.

    Example
    -------
    >>> spec = DatasetInputSpec(name="mnist", target="pixels", presentation_ms=50.0,
    ...                         max_rate_hz=100.0, current_mv=5.0)
    >>> spec.split, spec.encoding, spec.first_image, spec.n_images, spec.epochs, spec.tasks
    ('train', 'poisson', 0, None, 1, None)
    >>> DatasetInputSpec(name="mnist", target="pixels", presentation_ms=50.0, split="validation")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for DatasetInputSpec
    split
      Input should be 'train' or 'test' [type=literal_error, input_value='validation', input_type=str]
    ...
    """

    name: str = Field(description="dataset name (bioplastic data list)")
    target: str = Field(description="population receiving the images; its size must be the pixel count")
    split: Literal["train", "test"] = "train"
    encoding: Literal["poisson", "constant"] = Field(
        "poisson", description="poisson: pixel intensity sets a spike rate; constant: it scales a current"
    )
    presentation_ms: float = Field(gt=0, description="how long each image is shown (ms)")
    max_rate_hz: Optional[float] = Field(None, gt=0, description="rate of a white pixel (poisson encoding)")
    current_mv: Optional[float] = Field(None, description="what a spike / a white pixel injects (LIF targets)")
    current_mv_per_ms: Optional[float] = Field(None, description="the same, for Izhikevich targets")
    current: Optional[float] = Field(None, description="the same, for rate targets")
    current_ma: Optional[float] = Field(None, description="the same, for brainpy integrate-and-fire targets (mA)")
    current_ua: Optional[float] = Field(None, description="the same, for brainpy:HH targets (uA per cm^2)")
    first_image: int = Field(0, ge=0, description="index of the first image shown (of each task)")
    n_images: Optional[int] = Field(None, ge=1, description="images shown per epoch of each task (default: as many as the run holds)")
    epochs: int = Field(1, ge=1, description="passes over the images (of each task)")
    tasks: Optional[TaskSequenceSpec] = None


class SignalSpec(Strict):
    """A named signal for learning rules (e.g. ``modulator``): a value, on between two times.

    The signal is ``value`` from ``start_ms`` to ``stop_ms`` (ms; ``None``: the end of the
    run) and 0 outside.

    Example
    -------
    >>> signal = SignalSpec(type="step", value=1.0, start_ms=100.0)
    >>> signal.value, signal.start_ms, signal.stop_ms
    (1.0, 100.0, None)
    """

    type: str = Field(description="constant | step")
    value: float
    start_ms: float = Field(0.0, ge=0)
    stop_ms: Optional[float] = Field(None, ge=0)


class PhaseSpec(Strict):
    """A named span of time (``duration_ms``, ms); plasticity is on (the default) or off during it.

    Example
    -------
    >>> PhaseSpec(name="learn", duration_ms=80.0).plasticity
    True
    >>> PhaseSpec(name="test", duration_ms=0.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for PhaseSpec
    duration_ms
      Input should be greater than 0 [type=greater_than, input_value=0.0, input_type=float]
    ...
    """

    name: str
    duration_ms: float = Field(gt=0)
    plasticity: bool = True


class LearningSpec(Strict):
    """The learning schedule: phases in order (they must cover the simulated time).

    That the durations add up to ``simulation.duration_ms`` is checked when the network is
    built.

    Example
    -------
    >>> schedule = LearningSpec.model_validate({"phases": [
    ...     {"name": "learn", "duration_ms": 80.0}, {"name": "test", "duration_ms": 20.0, "plasticity": False}]})
    >>> [(p.name, p.plasticity) for p in schedule.phases], sum(p.duration_ms for p in schedule.phases)
    ([('learn', True), ('test', False)], 100.0)
    >>> LearningSpec(phases=[])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for LearningSpec
    phases
      List should have at least 1 item after validation, not 0 [type=too_short, input_value=[], input_type=list]
    ...
    """

    phases: list[PhaseSpec] = Field(min_length=1)


class RecordingSpec(Strict):
    """What to keep of a run: one variable of one population, or the weights of one plastic projection.

    A projection's weights (``projection = NAME``, ``variable = "weight"``) are kept as
    rows of its padded out-lists, ``(n_pre, max_out)`` each (the targets are in
    ``weights.npz``); ``variable = "rule.FIELD"`` keeps a field of its rule's state instead
    (e.g. BCM's thresholds, ``rule.theta``). One row is kept every ``stride`` steps: the value at that step (``sample``), or the
    ``sum`` or ``mean`` over the ``stride`` steps. The spikes of a spiking population
    (stride 1, ``sample``) are kept as events, the step and neuron of each spike, unless
    ``format = "dense"`` asks for a 0/1 row per step.

    Example
    -------
    >>> recording = RecordingSpec(population="exc", variable="spike")
    >>> recording.neurons, recording.stride, recording.reduce, recording.format
    ('all', 1, 'sample', None)
    >>> RecordingSpec(population="exc", variable="v", reduce="max")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for RecordingSpec
    reduce
      Input should be 'sample', 'sum' or 'mean' [type=literal_error, input_value='max', input_type=str]
    ...
    """

    population: Optional[str] = Field(None, description="the population recorded (or give projection)")
    projection: Optional[str] = Field(None, description="a plastic projection whose weights are recorded")
    variable: str = Field(description="a state variable of the neuron type, or 'spike' / 'output'; "
                                      "'weight' for a projection")
    neurons: Union[Literal["all"], list[int], IndexRange] = Field(
        "all", description="neurons to record: 'all', a list of indices, or {start, stop}"
    )
    stride: int = Field(1, ge=1, description="steps per recorded row")
    reduce: Literal["sample", "sum", "mean"] = "sample"
    format: Optional[Literal["events", "dense"]] = Field(
        None, description="spikes as 'events' (the step and neuron of each spike: the default for spikes) "
                          "or 'dense' (a 0/1 row per step: the only form of other variables)")


class SimulationProtocol(Strict):
    """A whole experiment: a simulation of a network (see the module docstring for its tables).

    Only ``name``, ``simulation`` and ``model`` are required; ``seed`` defaults to 0 and
    ``metrics`` to ``["mean_rate_hz"]``. A key the schema does not know is an error.

    Example
    -------
    >>> protocol = SimulationProtocol.model_validate({
    ...     "name": "demo", "simulation": {"dt_ms": 0.1, "duration_ms": 10.0},
    ...     "model": {"populations": {"cells": {"neuron": "lif", "size": 3}}}})
    >>> protocol.seed, protocol.metrics, protocol.inputs, protocol.dataset, protocol.learning
    (0, ['mean_rate_hz'], {}, None, None)
    >>> SimulationProtocol.model_validate({"name": "demo", "sead": 1, "simulation": {"dt_ms": 0.1, "duration_ms": 10.0},
    ...                          "model": {}})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for SimulationProtocol
    sead
      Extra inputs are not permitted [type=extra_forbidden, input_value=1, input_type=int]
    ...
    """

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", max_length=MAX_NAME_LENGTH, description="used in run folder names")
    description: str = ""
    seed: int = Field(0, ge=0, le=MAX_SEED, description="the only source of randomness (32 bits)")
    simulation: Simulation
    model: ModelSpec
    inputs: dict[str, InputSpec] = Field(default_factory=dict)
    dataset: Optional[DatasetInputSpec] = None
    signals: dict[str, SignalSpec] = Field(default_factory=dict, description="signals learning rules need (modulator)")
    learning: Optional[LearningSpec] = None
    recordings: dict[str, RecordingSpec] = Field(default_factory=dict)
    metrics: list[str] = Field(default_factory=lambda: ["mean_rate_hz"])
    plots: dict[str, PlotSpec] = Field(default_factory=dict)
