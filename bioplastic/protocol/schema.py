"""The protocol schema: the single source of truth for what a protocol file may contain.

Pydantic v2 models with unknown keys forbidden and strict types (a number must be a
TOML number, not a string). Units are always in the key name -- ``dt_ms``, ``tau_ms``,
``current_mv``, ``rate_hz`` -- never in the value. ``bioplastic schema`` prints
``Protocol.model_json_schema()`` for editors.

A protocol has these tables (sections)::

    name, description, seed
    [simulation]        dt_ms, duration_ms, chunk_ms
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
that variable?) are in :mod:`bioplastic.protocol.build`.

Example
-------
>>> from bioplastic.protocol.schema import Simulation
>>> Simulation(dt_ms=0.1, duration_ms=100.0).chunk_ms is None
True
"""

from __future__ import annotations

from typing import Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class Simulation(_Strict):
    """Time grid of the run: step ``dt_ms`` and simulated time ``duration_ms`` (ms).

    ``chunk_ms`` (ms) is how often progress is reported and a checkpoint kept; ``None`` lets
    :func:`~bioplastic.protocol.build.build_experiment` pick about a tenth of the run. An
    integer is taken as a float, but a string is not a number: units go in the key name.

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


class Distribution(_Strict):
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


class IndexRange(_Strict):
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


class PopulationSpec(_Strict):
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


class ConnectivitySpec(_Strict):
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


class SynapseSpec(_Strict):
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


class PlasticitySpec(_Strict):
    """A learning rule acting on a projection's weights: its registered name and parameters.

    Parameters are numbers (a string is rejected); which names a rule takes is checked
    when the network is built.

    Example
    -------
    >>> PlasticitySpec(rule="stdp").params
    {}
    >>> PlasticitySpec.model_validate({"rule": "stdp", "params": {"a_plus": "0.01"}})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for PlasticitySpec
    params.a_plus
      Input should be a valid number [type=float_type, input_value='0.01', input_type=str]
    ...
    """

    rule: str
    params: dict[str, float] = Field(default_factory=dict)


class ProjectionSpec(_Strict):
    """Synapses from one population to another.

    ``weight`` is in the unit of the target's input for current synapses (mV of R*I for
    LIF), or a conductance relative to the leak for conductance synapses; ``delay_ms`` (ms, default 0)
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
    weight: float = Field(description="synaptic weight: mV of current, or conductance relative to leak")
    connectivity: ConnectivitySpec
    synapse: SynapseSpec = Field(default_factory=SynapseSpec)
    delay_ms: float = Field(0.0, ge=0)
    plasticity: Optional[PlasticitySpec] = None


class ModelSpec(_Strict):
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


class InputSpec(_Strict):
    """External drive of one population, in the unit of that population's input.

    Exactly one amplitude key must be given, the one of the target's neuron type:
    ``current_mv`` (LIF), ``current_mv_per_ms`` (Izhikevich) or ``current`` (rate units);
    ``poisson`` inputs also take ``rate_hz`` (Hz). The amplitude is one number, or a list
    with one value per neuron chosen (for a ``poisson`` input: the weight of each train's
    spikes). The input is on from ``start_ms`` to ``stop_ms`` (ms; ``None``: the end of the
    run) for the ``neurons`` chosen.

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
    current_mv: Optional[Union[float, list[float]]] = Field(None, description="current as R*I (LIF, brainpy LIF family)")
    current_mv_per_ms: Optional[Union[float, list[float]]] = Field(None, description="current in Izhikevich's units")
    current: Optional[Union[float, list[float]]] = Field(None, description="dimensionless input (rate units)")
    rate_hz: Optional[float] = Field(None, ge=0, description="Poisson rate of each train")
    start_ms: float = Field(0.0, ge=0)
    stop_ms: Optional[float] = Field(None, ge=0)
    neurons: Union[Literal["all"], list[int], IndexRange] = Field(
        "all", description="neurons that receive the input: 'all', a list of indices, or {start, stop}"
    )


class TaskSequenceSpec(_Strict):
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


class DatasetInputSpec(_Strict):
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
    first_image: int = Field(0, ge=0, description="index of the first image shown (of each task)")
    n_images: Optional[int] = Field(None, ge=1, description="images shown per epoch of each task (default: as many as the run holds)")
    epochs: int = Field(1, ge=1, description="passes over the images (of each task)")
    tasks: Optional[TaskSequenceSpec] = None


class SignalSpec(_Strict):
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


class PhaseSpec(_Strict):
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


class LearningSpec(_Strict):
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


class RecordingSpec(_Strict):
    """What to keep of a run: one variable of one population.

    One row is kept every ``stride`` steps: the value at that step (``sample``), or the
    ``sum`` or ``mean`` over the ``stride`` steps.

    Example
    -------
    >>> recording = RecordingSpec(population="exc", variable="spike")
    >>> recording.neurons, recording.stride, recording.reduce
    ('all', 1, 'sample')
    >>> RecordingSpec(population="exc", variable="v", reduce="max")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for RecordingSpec
    reduce
      Input should be 'sample', 'sum' or 'mean' [type=literal_error, input_value='max', input_type=str]
    ...
    """

    population: str
    variable: str = Field(description="a state variable of the neuron type, or 'spike' / 'output'")
    neurons: Union[Literal["all"], list[int], IndexRange] = Field(
        "all", description="neurons to record: 'all', a list of indices, or {start, stop}"
    )
    stride: int = Field(1, ge=1, description="steps per recorded row")
    reduce: Literal["sample", "sum", "mean"] = "sample"


class PlotSpec(_Strict):
    """A figure written into the run folder.

    Most plots draw one ``recording`` (or several ``recordings`` side by side); a
    ``weight_matrix`` plot draws a ``projection`` instead.

    Example
    -------
    >>> plot = PlotSpec(type="raster", recording="spikes")
    >>> plot.recording, plot.recordings, plot.projection, plot.title
    ('spikes', None, None, None)
    """

    type: str = Field(description="raster | traces | population_rate | isi_histogram | weight_matrix")
    recording: Optional[str] = None
    recordings: Optional[list[str]] = Field(None, description="several recordings drawn side by side")
    projection: Optional[str] = Field(None, description="the projection of a weight_matrix plot")
    title: Optional[str] = None


class Protocol(_Strict):
    """A whole experiment: a simulation of a network (see the module docstring for its tables).

    Only ``name``, ``simulation`` and ``model`` are required; ``seed`` defaults to 0 and
    ``metrics`` to ``["mean_rate_hz"]``. A key the schema does not know is an error.

    Example
    -------
    >>> protocol = Protocol.model_validate({
    ...     "name": "demo", "simulation": {"dt_ms": 0.1, "duration_ms": 10.0},
    ...     "model": {"populations": {"cells": {"neuron": "lif", "size": 3}}}})
    >>> protocol.seed, protocol.metrics, protocol.inputs, protocol.dataset, protocol.learning
    (0, ['mean_rate_hz'], {}, None, None)
    >>> Protocol.model_validate({"name": "demo", "sead": 1, "simulation": {"dt_ms": 0.1, "duration_ms": 10.0},
    ...                          "model": {}})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for Protocol
    sead
      Extra inputs are not permitted [type=extra_forbidden, input_value=1, input_type=int]
    ...
    """

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", description="used in run folder names")
    description: str = ""
    seed: int = Field(0, ge=0, description="the only source of randomness")
    simulation: Simulation
    model: ModelSpec
    inputs: dict[str, InputSpec] = Field(default_factory=dict)
    dataset: Optional[DatasetInputSpec] = None
    signals: dict[str, SignalSpec] = Field(default_factory=dict, description="signals learning rules need (modulator)")
    learning: Optional[LearningSpec] = None
    recordings: dict[str, RecordingSpec] = Field(default_factory=dict)
    metrics: list[str] = Field(default_factory=lambda: ["mean_rate_hz"])
    plots: dict[str, PlotSpec] = Field(default_factory=dict)


class TrainingSpec(_Strict):
    """Batch training of a layered network on a dataset with a learning rule (a training protocol).

    ``sizes`` run from the input (pixels) to the output (classes, or pixels for the
    autoencoder); the defaults are an ``mlp`` with a squared-error output, Adam, batches of
    100 and pixels scaled to [0, 1].

    Example
    -------
    >>> spec = TrainingSpec(dataset="mnist", rule="dual_propagation", sizes=[784, 100, 10],
    ...                     learning_rate=1e-3, epochs=2)
    >>> spec.network, spec.output, spec.optimizer, spec.batch_size, spec.input_scaling, spec.rule_params
    ('mlp', 'mse', 'adam', 100, 'unit', {})
    >>> TrainingSpec(dataset="mnist", rule="backprop", sizes=[784], learning_rate=1e-3, epochs=1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for TrainingSpec
    sizes
      List should have at least 2 items after validation, not 1 [type=too_short, input_value=[784], input_type=list]
    ...
    """

    dataset: str = Field(description="dataset name (bioplastic data list)")
    network: Literal["mlp", "counter_current_mlp", "counter_current_cnn", "counter_current_autoencoder"] = Field(
        "mlp", description="mlp: layers with biases (DP, BP, EP); counter_current_mlp / _cnn / _autoencoder: "
        "forward + feedback ELU nets, dense or convolutional, classifying or reconstructing (CCL, BP, FA)"
    )
    rule: str = Field(description="a rule of the network (bioplastic list): e.g. dual_propagation, counter_current")
    sizes: list[int] = Field(min_length=2, description="layer sizes, input (pixels) to output (classes or pixels); "
                             "counter_current_cnn: image channels, the channels of each stride-2 convolution, classes")
    hidden_activation: Optional[str] = Field(None, description="default: relu (mlp), elu (counter_current_mlp, fixed)")
    output: Literal["mse", "cross_entropy"] = "mse"
    optimizer: Literal["adam", "sgd"] = "adam"
    learning_rate: float = Field(gt=0)
    clip_norm: Optional[float] = Field(None, gt=0, description="clip the gradient norm (per network) before the optimizer")
    warmup_steps: int = Field(0, ge=0, description="scale the first N gradients by step/N (before clipping)")
    batch_size: int = Field(100, ge=1)
    epochs: int = Field(ge=1)
    train_examples: Optional[int] = Field(None, ge=1, description="use the first N training examples (default: all)")
    test_examples: Optional[int] = Field(None, ge=1, description="use the first N test examples (default: all)")
    validation_examples: Optional[int] = Field(
        None, ge=1, description="hold out N random training examples; report the test score of the epoch with the "
        "lowest validation loss (default: no validation split)"
    )
    input_scaling: Literal["unit", "standardize"] = Field(
        "unit", description="pixels to [0, 1], or standardized by the training set's pixel mean and std"
    )
    rule_params: dict[str, Union[bool, int, float]] = Field(
        default_factory=dict, description="the rule's own parameters (gamma, sweeps, beta, free_steps, ...)"
    )


class _Experiment(_Strict):
    """What every experiment protocol ([training], [continual], [prediction], [theta]) has besides its own table."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", description="used in run folder names")
    description: str = ""
    seed: int = Field(0, ge=0, description="the only source of randomness")
    plots: dict[str, PlotSpec] = Field(default_factory=dict)


class TrainingProtocol(_Experiment):
    """An experiment that trains a layered network epoch by epoch (chosen by a [training] table).

    Example
    -------
    >>> protocol = TrainingProtocol.model_validate({"name": "dp", "training": {
    ...     "dataset": "mnist", "rule": "dual_propagation", "sizes": [784, 10], "learning_rate": 0.001, "epochs": 1}})
    >>> protocol.seed, protocol.plots, protocol.training.sizes
    (0, {}, [784, 10])
    >>> TrainingProtocol.model_validate({"name": "my run", "training": protocol.training})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for TrainingProtocol
    name
      String should match pattern '^[A-Za-z0-9_.-]+$' [type=string_pattern_mismatch, input_value='my run', input_type=str]
    ...
    """

    training: TrainingSpec


class SpikingNeuronSpec(_Strict):
    """The HLOP code's discrete-time LIF neuron (time in the code's dimensionless units).

    Each input is shown for ``time_steps`` steps of ``dt``; a neuron spikes when its
    potential ``u`` reaches ``alpha * v_th`` and a spike carries ``v_th / dt``.

    Example
    -------
    >>> neuron = SpikingNeuronSpec()
    >>> neuron.time_steps, round(neuron.time_steps * neuron.dt, 4)          # 20 steps, one tau
    (20, 1.0)
    >>> round(neuron.alpha * neuron.v_th, 4), round(neuron.v_th / neuron.dt, 4)   # threshold, spike
    (0.09, 6.0)
    """

    time_steps: int = Field(20, ge=1, description="simulation steps per input")
    tau: float = Field(1.0, gt=0, description="membrane time constant (dimensionless, as dt)")
    dt: float = Field(0.05, gt=0, description="time step (dimensionless, as tau)")
    alpha: float = Field(0.3, gt=0, description="a spike when u >= alpha * v_th")
    v_th: float = Field(0.3, gt=0, description="subtracted from u at a spike; spikes carry v_th / dt")
    surrogate_width: float = Field(0.1, gt=0, description="bptt only: width of the fast-sigmoid surrogate (in u)")


class HLOPSpec(_Strict):
    """Lateral subspace neurons per layer (one number per weight layer, input layer first).

    The defaults fit a network with three weight layers (e.g. sizes ``[784, 100, 100, 10]``);
    that there is one number per weight layer, and that the rows fit, is checked when the
    protocol is built.

    Example
    -------
    >>> hlop = HLOPSpec()
    >>> hlop.rows_first, hlop.rows_added, hlop.learning_rates, hlop.spike_levels
    ([80, 200, 100], [70, 70, 70], [0.001, 0.01, 0.01], None)
    >>> HLOPSpec(momentum=1.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for HLOPSpec
    momentum
      Input should be less than 1 [type=less_than, input_value=1.0, input_type=float]
    ...
    """

    rows_first: list[int] = Field([80, 200, 100], description="rows learned during the first task")
    rows_added: list[int] = Field([70, 70, 70], description="rows added at each later task")
    fewer_every: int = Field(3, ge=1, description="rows_added shrinks at every task index divisible by this")
    fewer_by: int = Field(20, ge=0, description="... by this many rows")
    learning_rates: list[float] = Field([1e-3, 1e-2, 1e-2], description="Hebbian learning rate per layer")
    iterations: int = Field(5, ge=1, description="Oja iterations per training batch")
    momentum: float = Field(0.9, ge=0, lt=1)
    spike_levels: Optional[int] = Field(None, ge=1, description="spiking lateral neurons: response levels")


class EWCSpec(_Strict):
    """Elastic weight consolidation (the ewc method).

    Example
    -------
    >>> ewc = EWCSpec()
    >>> ewc.strength, ewc.fisher_examples
    (10.0, 1000)
    """

    strength: float = Field(
        10.0, gt=0, description="weight of the quadratic penalty (10: the best ACC of 3, 10 and 30 on "
        "hlop_pmnist_small; 100 diverges with SGD lr 0.1)"
    )
    fisher_examples: int = Field(1000, ge=1, description="training images per task for the Fisher estimate")


class ContinualSpec(_Strict):
    """A spiking MLP trained on permuted versions of a dataset, one task after another.

    The defaults follow the HLOP code: 10 tasks (task 0 permuted too), the rate-based
    ``dsr`` trainer, the ``hlop`` method, batches of 64 and standardized pixels; the
    neuron, HLOP and EWC tables take their own defaults.

    Example
    -------
    >>> spec = ContinualSpec(dataset="mnist", sizes=[784, 100, 100, 10], learning_rate=0.1)
    >>> spec.tasks, spec.first_unpermuted, spec.trainer, spec.method, spec.batch_size, spec.input_scaling
    (10, False, 'dsr', 'hlop', 64, 'standardize')
    >>> spec.neuron.time_steps, spec.hlop.rows_first, spec.ewc.strength
    (20, [80, 200, 100], 10.0)
    >>> ContinualSpec(dataset="mnist", sizes=[784, 10], learning_rate=0.1, method="si")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for ContinualSpec
    method
      Input should be 'hlop', 'finetune', 'ewc' or 'multitask' [type=literal_error, input_value='si', input_type=str]
    ...
    """

    dataset: str = Field(description="dataset name (bioplastic data list)")
    tasks: int = Field(10, ge=1, description="permuted tasks")
    first_unpermuted: bool = Field(False, description="task 0 the dataset as is (the HLOP code permutes it too)")
    sizes: list[int] = Field(min_length=2, description="layer sizes, input (pixels) to output (classes)")
    trainer: Literal["dsr", "bptt"] = Field("dsr", description="dsr: rate-based gradient (HLOP code); bptt: surrogate")
    method: Literal["hlop", "finetune", "ewc", "multitask"] = "hlop"
    learning_rate: float = Field(gt=0, description="SGD learning rate")
    batch_size: int = Field(64, ge=1)
    epochs_per_task: int = Field(1, ge=1)
    input_scaling: Literal["unit", "standardize"] = "standardize"
    train_examples: Optional[int] = Field(None, ge=1, description="the first N training images of each task")
    test_examples: Optional[int] = Field(None, ge=1, description="the first N test images of each task")
    neuron: SpikingNeuronSpec = Field(default_factory=SpikingNeuronSpec)
    hlop: HLOPSpec = Field(default_factory=HLOPSpec)
    ewc: EWCSpec = Field(default_factory=EWCSpec)


class ContinualProtocol(_Experiment):
    """A continual-learning experiment (chosen by a [continual] table).

    Example
    -------
    >>> protocol = ContinualProtocol.model_validate({"name": "pmnist", "continual": {
    ...     "dataset": "mnist", "sizes": [784, 100, 100, 10], "learning_rate": 0.1, "method": "ewc"}})
    >>> protocol.continual.method, protocol.continual.epochs_per_task, protocol.seed
    ('ewc', 1, 0)
    """

    continual: ContinualSpec


class CueTaskSwitchSpec(_Strict):
    """New per-cue values from the switch trial on; a list left out keeps the values before the switch.

    Example
    -------
    >>> switch = CueTaskSwitchSpec(probabilities=[0.75, 0.25])
    >>> switch.latencies_ms, switch.probabilities
    (None, [0.75, 0.25])
    """

    latencies_ms: Optional[list[float]] = Field(None, description="outcome latency of each cue after the switch (ms)")
    probabilities: Optional[list[float]] = Field(None, description="outcome probability of each cue after the switch")


class CueTaskSpec(_Strict):
    """The cue-outcome task (bioplastic.data.synthetic.cue_outcome_task), at 1-ms steps.

    Each trial shows one cue for ``cue_ms`` (ms); its outcome follows ``latencies_ms`` after
    cue onset with the cue's probability. Every list has one value per cue (checked when the
    protocol is built).

    Example
    -------
    >>> task = CueTaskSpec()
    >>> dict(zip(task.cues, task.latencies_ms)), dict(zip(task.cues, task.probabilities))
    ({'A': 300.0, 'B': 600.0}, {'A': 0.25, 'B': 0.75})
    >>> round(60_000 / task.trial_ms), task.switch            # trials per minute
    (40, None)
    """

    cues: list[str] = Field(["A", "B"], min_length=1, description="cue names")
    latencies_ms: list[float] = Field([300.0, 600.0], description="outcome latency of each cue (ms)")
    probabilities: list[float] = Field([0.25, 0.75], description="outcome probability of each cue")
    trial_ms: float = Field(1500.0, gt=0, description="trial length, cue onset to the next cue (ms)")
    cue_ms: float = Field(100.0, gt=0, description="how long the cue is on (ms)")
    switch: Optional[CueTaskSwitchSpec] = None


class ReservoirSpec(_Strict):
    """The Izhikevich reservoir (bioplastic.networks.reservoir.ReservoirConfig).

    Currents are in Izhikevich's units (mV/ms); each neuron gets a tonic current drawn
    uniformly from ``[0.5, 1.5] * bias_current``.

    Example
    -------
    >>> reservoir = ReservoirSpec()
    >>> reservoir.n_exc + reservoir.n_inh, round(reservoir.connection_probability * (reservoir.n_exc + reservoir.n_inh))
    (1000, 100)
    >>> 0.5 * reservoir.bias_current, 1.5 * reservoir.bias_current     # tonic current range (mV/ms)
    (2.0, 6.0)
    >>> ReservoirSpec(connection_probability=0.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for ReservoirSpec
    connection_probability
      Input should be greater than 0 [type=greater_than, input_value=0.0, input_type=float]
    ...
    """

    n_exc: int = Field(800, ge=1)
    n_inh: int = Field(200, ge=1)
    connection_probability: float = Field(0.1, gt=0, le=1)
    exc_charge: float = Field(12.0, ge=0, description="largest excitatory synaptic charge (mV/ms x ms)")
    inh_charge: float = Field(48.0, ge=0, description="largest inhibitory synaptic charge (mV/ms x ms)")
    synapse_tau_ms: float = Field(300.0, gt=0, description="decay of the recurrent synaptic current (ms)")
    bias_current: float = Field(4.0, ge=0, description="mean tonic current, uniform in [0.5, 1.5] x this (mV/ms)")
    noise_exc: float = Field(1.0, ge=0, description="background noise s.d. per step, excitatory neurons (mV/ms)")
    noise_inh: float = Field(1.0, ge=0, description="background noise s.d. per step, inhibitory neurons (mV/ms)")
    cue_fraction: float = Field(0.5, gt=0, le=1, description="fraction of neurons each cue drives")
    cue_current: float = Field(30.0, ge=0, description="current a cue injects while on (mV/ms)")
    readout_tau_ms: float = Field(50.0, gt=0, description="filter of the spike trains the readouts see (ms)")
    max_events: int = Field(128, ge=1, description="spike buffer of the event-driven propagation")


class ReadoutSpec(_Strict):
    """How the "what" and "when" readouts learn (bioplastic.rules.what_when.WhatWhenSettings).

    Times in ms; FORCE starts from ``P(0) = I / force_alpha``.

    Example
    -------
    >>> readout = ReadoutSpec()
    >>> readout.window_ms, readout.kernel_ms, readout.block_trials, 1 / readout.force_alpha
    (1000.0, 50.0, 1, 0.001)
    >>> readout.what_learning_rate / readout.when_learning_rate       # offline 'what' learns 10x faster
    10.0
    """

    window_ms: float = Field(1000.0, gt=0, description="attention gate: open this long from each cue onset (ms)")
    kernel_ms: float = Field(50.0, gt=0, description="width (s.d.) of the timing bump the 'when' readout learns (ms)")
    input_scale_hz: float = Field(10.0, gt=0, description="readout input tanh(rate / this)")
    baseline_tau_ms: float = Field(10000.0, gt=0, description="running mean subtracted from each input (ms)")
    bias_input: float = Field(3.0, gt=0, description="value of the constant (bias) input")
    tau_eligibility_ms: float = Field(5.0, gt=0, description="eligibility trace time constant (ms)")
    when_learning_rate: float = Field(4e-4, gt=0, description="online three-factor rate of the 'when' readout")
    what_learning_rate: float = Field(4e-3, gt=0, description="offline consolidation rate of the 'what' readout")
    block_trials: int = Field(1, ge=1, description="trials between two offline consolidations of 'what'")
    force_alpha: float = Field(1000.0, gt=0, description="FORCE: P(0) = I / alpha")
    force_every: int = Field(2, ge=1, description="FORCE: an RLS update every this many gated steps")


class PredictionSpec(_Strict):
    """Readouts of a reservoir learning to predict what and when, with several learners side by side.

    Example
    -------
    >>> spec = PredictionSpec()
    >>> spec.learners, spec.trials, spec.switch_trial, spec.repeats
    (['three_factor', 'force'], 300, None, 1)
    >>> spec.task.cues, spec.reservoir.n_exc, spec.readout.window_ms
    (['A', 'B'], 800, 1000.0)
    >>> PredictionSpec(learners=["forse"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for PredictionSpec
    learners.0
      Input should be 'three_factor', 'force' or 'force_reset' [type=literal_error, input_value='forse', input_type=str]
    ...
    """

    learners: list[Literal["three_factor", "force", "force_reset"]] = Field(
        ["three_factor", "force"], min_length=1,
        description="three_factor; force (RLS, P never reset); force_reset (P reset at the switch)")
    trials: int = Field(300, ge=1)
    switch_trial: Optional[int] = Field(None, ge=1, description="first trial with the task's switch values")
    repeats: int = Field(1, ge=1, description="independent reservoirs and task draws (seeds seed, seed + 1, ...)")
    baseline_trials: int = Field(30, ge=1, description="trials before the switch that set the pre-switch error")
    running_trials: int = Field(10, ge=1, description="running mean of the error after the switch")
    task: CueTaskSpec = Field(default_factory=CueTaskSpec)
    reservoir: ReservoirSpec = Field(default_factory=ReservoirSpec)
    readout: ReadoutSpec = Field(default_factory=ReadoutSpec)


class PredictionProtocol(_Experiment):
    """A what-and-when prediction experiment (chosen by a [prediction] table).

    Example
    -------
    >>> protocol = PredictionProtocol.model_validate({"name": "cues", "prediction": {"trials": 100, "switch_trial": 50}})
    >>> protocol.prediction.trials, protocol.prediction.switch_trial, protocol.prediction.baseline_trials
    (100, 50, 30)
    """

    prediction: PredictionSpec


class ThetaGateSpec(_Strict):
    """The theta schedule (bioplastic.rules.theta_gate.theta_schedule); theta = 1 is the generative phase.

    A cycle lasts ``1000 / frequency_hz`` ms, of which a fraction ``duty`` is generative.

    Example
    -------
    >>> gate = ThetaGateSpec()
    >>> period_ms = 1000.0 / gate.frequency_hz
    >>> period_ms, gate.duty * period_ms, gate.shape          # 200-ms cycles, 100 ms generative
    (200.0, 100.0, 'square')
    >>> ThetaGateSpec(phase=1.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for ThetaGateSpec
    phase
      Input should be less than 1 [type=less_than, input_value=1.0, input_type=float]
    ...
    """

    frequency_hz: float = Field(5.0, gt=0, description="theta frequency (Hz)")
    duty: float = Field(0.5, ge=0, le=1, description="fraction of each cycle in the generative (apical) phase")
    phase: float = Field(0.0, ge=0, lt=1, description="offset in cycles")
    shape: Literal["square", "sine", "jittered"] = "square"
    jitter: float = Field(0.2, ge=0, lt=1, description="jittered: cycle lengths uniform in (1 +- jitter) / frequency")


class ThetaLayerSpec(_Strict):
    """One layer, updated in the order the layers are listed (see bioplastic.networks.theta_network).

    ``two_compartment``: basal/apical/soma units with OU noise on each compartment; ``relay``:
    fixed rate units ``activation(sum W x - threshold)`` whose connections must be fixed.

    Example
    -------
    >>> layer = ThetaLayerSpec(size=50)
    >>> layer.kind, layer.soma_activation, layer.basal_noise_sigma, layer.noise_tau_ms
    ('two_compartment', 'linear', 0.01, 300.0)
    >>> relay = ThetaLayerSpec(size=2, kind="relay")
    >>> relay.activation, relay.threshold
    ('relu', 0.0)
    """

    size: int = Field(ge=1)
    kind: Literal["two_compartment", "relay"] = "two_compartment"
    basal_activation: str = "linear"
    apical_activation: str = "linear"
    soma_activation: str = "linear"
    basal_noise_sigma: float = Field(0.01, ge=0, description="OU noise s.d. of the basal compartment (rate units)")
    apical_noise_sigma: float = Field(0.01, ge=0, description="OU noise s.d. of the apical compartment (rate units)")
    noise_tau_ms: float = Field(300.0, gt=0, description="OU noise time constant (ms)")
    activation: str = Field("relu", description="relay: the units' activation")
    threshold: float = Field(0.0, description="relay: subtracted from the summed input")


class ThetaConnectionSpec(_Strict):
    """Weights from ``pre`` (a layer or an input of the environment) onto a compartment of layer ``post``.

    Initial weights: ``normal`` (s.d. init_std / sqrt(pre size)), ``zeros``, ``identity``
    (one identity block per ``pre`` size stacked down ``post``), ``direction`` (``pre`` = 2
    velocity cells; the first half of ``post`` gets ``[+1, -1]``, the second ``[-1, +1]``).

    Example
    -------
    >>> connection = ThetaConnectionSpec(pre="features", post="ec")
    >>> connection.compartment, connection.plastic, connection.init, connection.learning_rate
    ('basal', True, 'normal', None)
    >>> round(connection.init_std / 50 ** 0.5, 4)      # initial weight s.d. from 50 features
    0.1414
    >>> ThetaConnectionSpec(pre="features", post="ec", compartment="soma")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for ThetaConnectionSpec
    compartment
      Input should be 'basal' or 'apical' [type=literal_error, input_value='soma', input_type=str]
    ...
    """

    pre: str
    post: str
    compartment: Literal["basal", "apical"] = "basal"
    plastic: bool = True
    init: Literal["normal", "zeros", "identity", "direction"] = "normal"
    init_std: float = Field(1.0, ge=0, description="normal: s.d. x sqrt(pre size)")
    learning_rate: Optional[float] = Field(None, ge=0, description="default: theta.learning_rate")
    l2: Optional[float] = Field(None, ge=0, description="default: theta.l2")


class LatentsSpec(_Strict):
    """Environment: Gaussian-process latents mixed at random into features (inputs ``features`` and ``bias``).

    Example
    -------
    >>> latents = LatentsSpec()
    >>> latents.n_latents, latents.n_features, latents.timescale_ms
    (5, 50, 1000.0)
    """

    n_latents: int = Field(5, ge=1)
    n_features: int = Field(50, ge=1)
    timescale_ms: float = Field(1000.0, gt=0, description="RBF length scale of the latents (ms)")


class TrackSpec(_Strict):
    """Environment: an agent on a ring with OU velocity (inputs ``place``, ``velocity`` and ``bias``).

    ``velocity`` is two cells, ``relu(+v)`` and ``relu(-v)`` divided by ``velocity_scale_m_s``.
    Lengths in m, velocities in m/s, times in s.

    Example
    -------
    >>> track = TrackSpec()
    >>> round(track.length_m / track.n_place_cells, 4), track.place_width_m     # field spacing, width (m)
    (0.01, 0.06)
    >>> track.place_jitter, TrackSpec(place_jitter=None).place_jitter      # None: centres uniform at random
    (0.45, None)
    >>> TrackSpec(place_jitter=0.6)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for TrackSpec
    place_jitter
      Input should be less than or equal to 0.5 [type=less_than_equal, input_value=0.6, input_type=float]
    ...
    """

    length_m: float = Field(1.0, gt=0, description="ring circumference (m)")
    velocity_sd_m_s: float = Field(0.5, gt=0, description="stationary s.d. of the velocity (m/s)")
    velocity_mean_m_s: float = Field(0.0, description="mean velocity (m/s)")
    coherence_s: float = Field(0.7, gt=0, description="velocity correlation time (s)")
    n_place_cells: int = Field(100, ge=1)
    place_width_m: float = Field(0.06, gt=0, description="s.d. of the Gaussian place fields (m)")
    place_jitter: Optional[float] = Field(
        0.45, ge=0, le=0.5, description="centres on a grid jittered by up to this fraction of the spacing (the "
        "second environment re-jitters and shuffles them); none: centres uniform at random")
    velocity_scale_m_s: float = Field(0.5, gt=0, description="speed at which a velocity cell's rate is 1 (m/s)")


class ThetaTestSpec(_Strict):
    """What is measured after training.

    Latents: the network runs ``hold_s`` in the generative phase (no input reaches the
    soma) and the autocorrelation of the generated ``generator`` layer is compared with the
    latents'. Track: a decoder of ``decoder_layer`` is fitted on the last ``decoder_minutes``
    of training; each of ``episodes`` test episodes runs ``spin_up_s`` with the theta
    schedule, then ``hold_s`` in the generative phase (sensory input removed), without
    learning; the error is reported ``errors_at_s`` after removal.

    Example
    -------
    >>> test = ThetaTestSpec()
    >>> test.errors_at_s, test.hold_s, all(t <= test.hold_s for t in test.errors_at_s)
    ([1.0, 5.0], 20.0, True)
    >>> ThetaTestSpec(position_bins=1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for ThetaTestSpec
    position_bins
      Input should be greater than or equal to 2 [type=greater_than_equal, input_value=1, input_type=int]
    ...
    """

    generator: str = Field("ec", description="latents: the layer whose generated activity is compared")
    decoder_layer: str = Field("hpc", description="track: the layer position is decoded from")
    decoder_minutes: float = Field(10.0, gt=0, description="track: training time the decoder is fitted on (min)")
    position_bins: int = Field(100, ge=2, description="track: decoder resolution (bins on the ring)")
    spin_up_s: float = Field(10.0, ge=0, description="track: theta schedule before the input is removed (s)")
    hold_s: float = Field(20.0, gt=0, description="time in the generative phase (s)")
    episodes: int = Field(20, ge=1, description="track: test episodes (independent paths)")
    errors_at_s: list[float] = Field([1.0, 5.0], min_length=1,
                                     description="track: times after removal the error is reported at (s)")
    max_lag_s: float = Field(4.0, gt=0, description="latents: longest autocorrelation lag (s)")
    recurrent: str = Field("recurrent", description="track: the connection whose sorted weights should form a ring")


class ThetaTransferSpec(_Strict):
    """Experiment C: a second environment (place fields remapped), some connections frozen, retrained.

    Example
    -------
    >>> transfer = ThetaTransferSpec(freeze=["recurrent"])
    >>> transfer.minutes, transfer.freeze, transfer.velocity_mean_m_s
    (30.0, ['recurrent'], None)
    >>> ThetaTransferSpec(freeze=[])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for ThetaTransferSpec
    freeze
      List should have at least 1 item after validation, not 0 [type=too_short, input_value=[], input_type=list]
    ...
    """

    minutes: float = Field(30.0, gt=0, description="retraining time in the new environment (min)")
    freeze: list[str] = Field(min_length=1, description="connections that do not learn while retraining")
    velocity_mean_m_s: Optional[float] = Field(
        None, description="mean velocity while retraining (m/s; default: the track's); the authors use 0.2 to break "
        "the symmetry between a map and its mirror image")


class ThetaSpec(_Strict):
    """Theta-gated wake-sleep learning (George et al. 2023) on an environment; layers and connections as declared.

    Training lasts ``minutes`` (min) in steps of ``dt_ms`` (ms). Exactly one environment,
    ``latents`` or ``track``, must be given (checked when the protocol is built).

    Example
    -------
    >>> spec = ThetaSpec.model_validate({
    ...     "latents": {}, "layers": {"ec": {"size": 50}},
    ...     "connections": {"sensory": {"pre": "features", "post": "ec"}}})
    >>> round(spec.minutes * 60_000 / spec.dt_ms), list(spec.layers), spec.gate.frequency_hz    # steps
    (72000, ['ec'], 5.0)
    >>> spec.track, spec.transfer, spec.test.generator
    (None, None, 'ec')
    >>> ThetaSpec.model_validate({"latents": {}, "layers": {}, "connections": spec.connections})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for ThetaSpec
    layers
      Dictionary should have at least 1 item after validation, not 0 [type=too_short, input_value={}, input_type=dict]
    ...
    """

    minutes: float = Field(30.0, gt=0, description="simulated training time (min)")
    dt_ms: float = Field(25.0, gt=0, description="time step (ms)")
    repeats: int = Field(1, ge=1, description="independent runs (seeds seed, seed + 1, ...)")
    learning_rate: float = Field(0.001, ge=0, description="eta of every plastic connection unless it sets its own")
    tau_ms: float = Field(100.0, gt=0, description="time constant of the filtered weight-update trace (ms)")
    l1: float = Field(0.0, ge=0)
    l2: float = Field(0.0, ge=0)
    smoothing_s: float = Field(60.0, gt=0, description="time constant of the smoothed loss curve (s)")
    gate: ThetaGateSpec = Field(default_factory=ThetaGateSpec)
    latents: Optional[LatentsSpec] = None
    track: Optional[TrackSpec] = None
    layers: dict[str, ThetaLayerSpec] = Field(min_length=1, description="layers, updated in this order")
    connections: dict[str, ThetaConnectionSpec] = Field(min_length=1)
    test: ThetaTestSpec = Field(default_factory=ThetaTestSpec)
    transfer: Optional[ThetaTransferSpec] = None


class ThetaProtocol(_Experiment):
    """A theta-gated wake-sleep experiment (chosen by a [theta] table).

    Example
    -------
    >>> protocol = ThetaProtocol.model_validate({"name": "latents", "seed": 3, "theta": {
    ...     "latents": {"n_features": 20}, "layers": {"ec": {"size": 20}},
    ...     "connections": {"sensory": {"pre": "features", "post": "ec"}}}})
    >>> protocol.seed, protocol.theta.latents.n_features, protocol.theta.layers["ec"].size
    (3, 20, 20)
    """

    theta: ThetaSpec
