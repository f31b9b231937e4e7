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
    """Time grid of the run."""

    dt_ms: float = Field(gt=0, description="integration step (ms)")
    duration_ms: float = Field(gt=0, description="simulated time (ms)")
    chunk_ms: Optional[float] = Field(
        None, gt=0, description="progress and checkpoint interval (ms); default: about a tenth of the run"
    )


class Distribution(_Strict):
    """A random initial value, drawn per neuron from the protocol's seed."""

    distribution: Literal["normal", "uniform"]
    mean: Optional[float] = None
    std: Optional[float] = Field(None, ge=0)
    low: Optional[float] = None
    high: Optional[float] = None


class IndexRange(_Strict):
    """Neurons ``start <= i < stop`` of a population."""

    start: int = Field(0, ge=0)
    stop: int = Field(ge=1)


class PopulationSpec(_Strict):
    """A population: a neuron type from the registry and its size, parameters, initial state."""

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
    """How the synapses of a projection are drawn."""

    type: str = Field(description="dense | fixed_probability | fixed_out_degree")
    p: Optional[float] = Field(None, ge=0, le=1, description="connection probability (fixed_probability)")
    k: Optional[int] = Field(None, ge=1, description="targets per presynaptic neuron (fixed_out_degree)")
    allow_self: bool = True


class SynapseSpec(_Strict):
    """Synapse dynamics of a projection."""

    type: str = Field("delta", description="delta | exponential_current | exponential_conductance")
    tau_ms: Optional[float] = Field(None, gt=0)
    reversal_mv: Optional[float] = None


class PlasticitySpec(_Strict):
    """A learning rule acting on a projection's weights."""

    rule: str
    params: dict[str, float] = Field(default_factory=dict)


class ProjectionSpec(_Strict):
    """Synapses from one population to another."""

    pre: str
    post: str
    weight: float = Field(description="synaptic weight: mV of current, or conductance relative to leak")
    connectivity: ConnectivitySpec
    synapse: SynapseSpec = Field(default_factory=SynapseSpec)
    delay_ms: float = Field(0.0, ge=0)
    plasticity: Optional[PlasticitySpec] = None


class ModelSpec(_Strict):
    """A network: a model file and/or inline populations and projections (inline wins)."""

    file: Optional[str] = Field(None, description="a model TOML file, relative to the protocol file")
    populations: dict[str, PopulationSpec] = Field(default_factory=dict)
    projections: dict[str, ProjectionSpec] = Field(default_factory=dict)


class InputSpec(_Strict):
    """External drive of one population, in the unit of that population's input."""

    target: str
    type: str = Field(description="constant | step | poisson")
    current_mv: Optional[float] = Field(None, description="current as R*I (LIF, brainpy LIF family)")
    current_mv_per_ms: Optional[float] = Field(None, description="current in Izhikevich's units")
    current: Optional[float] = Field(None, description="dimensionless input (rate units)")
    rate_hz: Optional[float] = Field(None, ge=0, description="Poisson rate of each train")
    start_ms: float = Field(0.0, ge=0)
    stop_ms: Optional[float] = Field(None, ge=0)
    neurons: Union[Literal["all"], list[int], IndexRange] = Field(
        "all", description="neurons that receive the input: 'all', a list of indices, or {start, stop}"
    )


class TaskSequenceSpec(_Strict):
    """A continual-learning sequence of tasks built from the dataset, shown one after another."""

    kind: Literal["permuted", "split"] = Field(description="permuted pixels per task, or class pairs per task")
    n_tasks: Optional[int] = Field(None, ge=1, description="number of permuted tasks")
    first_unpermuted: bool = Field(True, description="task 0 shows the original images (permuted)")
    class_pairs: Optional[list[list[int]]] = Field(None, description="classes of each split task; default (0,1) ... (8,9)")


class DatasetInputSpec(_Strict):
    """Images of a dataset shown one after another to a population (one neuron per pixel)."""

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
    """A named signal for learning rules (e.g. ``modulator``): a value, on between two times."""

    type: str = Field(description="constant | step")
    value: float
    start_ms: float = Field(0.0, ge=0)
    stop_ms: Optional[float] = Field(None, ge=0)


class PhaseSpec(_Strict):
    """A named span of time; plasticity is on or off during it."""

    name: str
    duration_ms: float = Field(gt=0)
    plasticity: bool = True


class LearningSpec(_Strict):
    """The learning schedule: phases in order (they must cover the simulated time)."""

    phases: list[PhaseSpec] = Field(min_length=1)


class RecordingSpec(_Strict):
    """What to keep of a run: one variable of one population."""

    population: str
    variable: str = Field(description="a state variable of the neuron type, or 'spike' / 'output'")
    neurons: Union[Literal["all"], list[int], IndexRange] = Field(
        "all", description="neurons to record: 'all', a list of indices, or {start, stop}"
    )
    stride: int = Field(1, ge=1, description="steps per recorded row")
    reduce: Literal["sample", "sum", "mean"] = "sample"


class PlotSpec(_Strict):
    """A figure written into the run folder."""

    type: str = Field(description="raster | traces | population_rate | isi_histogram | weight_matrix")
    recording: Optional[str] = None
    recordings: Optional[list[str]] = Field(None, description="several recordings drawn side by side")
    projection: Optional[str] = Field(None, description="the projection of a weight_matrix plot")
    title: Optional[str] = None


class Protocol(_Strict):
    """A whole experiment."""

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
    """Batch training of a layered network on a dataset with a learning rule (a training protocol)."""

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
    """An experiment that trains a layered network epoch by epoch (chosen by a [training] table)."""

    training: TrainingSpec


class SpikingNeuronSpec(_Strict):
    """The HLOP code's discrete-time LIF neuron (time in the code's dimensionless units)."""

    time_steps: int = Field(20, ge=1, description="simulation steps per input")
    tau: float = Field(1.0, gt=0, description="membrane time constant (dimensionless, as dt)")
    dt: float = Field(0.05, gt=0, description="time step (dimensionless, as tau)")
    alpha: float = Field(0.3, gt=0, description="a spike when u >= alpha * v_th")
    v_th: float = Field(0.3, gt=0, description="subtracted from u at a spike; spikes carry v_th / dt")
    surrogate_width: float = Field(0.1, gt=0, description="bptt only: width of the fast-sigmoid surrogate (in u)")


class HLOPSpec(_Strict):
    """Lateral subspace neurons per layer (one number per weight layer, input layer first)."""

    rows_first: list[int] = Field([80, 200, 100], description="rows learned during the first task")
    rows_added: list[int] = Field([70, 70, 70], description="rows added at each later task")
    fewer_every: int = Field(3, ge=1, description="rows_added shrinks at every task index divisible by this")
    fewer_by: int = Field(20, ge=0, description="... by this many rows")
    learning_rates: list[float] = Field([1e-3, 1e-2, 1e-2], description="Hebbian learning rate per layer")
    iterations: int = Field(5, ge=1, description="Oja iterations per training batch")
    momentum: float = Field(0.9, ge=0, lt=1)
    spike_levels: Optional[int] = Field(None, ge=1, description="spiking lateral neurons: response levels")


class EWCSpec(_Strict):
    """Elastic weight consolidation (the ewc method)."""

    strength: float = Field(
        10.0, gt=0, description="weight of the quadratic penalty (10: the best ACC of 3, 10 and 30 on "
        "hlop_pmnist_small; 100 diverges with SGD lr 0.1)"
    )
    fisher_examples: int = Field(1000, ge=1, description="training images per task for the Fisher estimate")


class ContinualSpec(_Strict):
    """A spiking MLP trained on permuted versions of a dataset, one task after another."""

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
    """A continual-learning experiment (chosen by a [continual] table)."""

    continual: ContinualSpec


class CueTaskSwitchSpec(_Strict):
    """New per-cue values from the switch trial on."""

    latencies_ms: Optional[list[float]] = Field(None, description="outcome latency of each cue after the switch (ms)")
    probabilities: Optional[list[float]] = Field(None, description="outcome probability of each cue after the switch")


class CueTaskSpec(_Strict):
    """The cue-outcome task (bioplastic.data.synthetic.cue_outcome_task), at 1-ms steps."""

    cues: list[str] = Field(["A", "B"], min_length=1, description="cue names")
    latencies_ms: list[float] = Field([300.0, 600.0], description="outcome latency of each cue (ms)")
    probabilities: list[float] = Field([0.25, 0.75], description="outcome probability of each cue")
    trial_ms: float = Field(1500.0, gt=0, description="trial length, cue onset to the next cue (ms)")
    cue_ms: float = Field(100.0, gt=0, description="how long the cue is on (ms)")
    switch: Optional[CueTaskSwitchSpec] = None


class ReservoirSpec(_Strict):
    """The Izhikevich reservoir (bioplastic.networks.reservoir.ReservoirConfig)."""

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
    """How the "what" and "when" readouts learn (bioplastic.rules.what_when.WhatWhenSettings)."""

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
    """Readouts of a reservoir learning to predict what and when, with several learners side by side."""

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
    """A what-and-when prediction experiment (chosen by a [prediction] table)."""

    prediction: PredictionSpec


class ThetaGateSpec(_Strict):
    """The theta schedule (bioplastic.rules.theta_gate.theta_schedule); theta = 1 is the generative phase."""

    frequency_hz: float = Field(5.0, gt=0, description="theta frequency (Hz)")
    duty: float = Field(0.5, ge=0, le=1, description="fraction of each cycle in the generative (apical) phase")
    phase: float = Field(0.0, ge=0, lt=1, description="offset in cycles")
    shape: Literal["square", "sine", "jittered"] = "square"
    jitter: float = Field(0.2, ge=0, lt=1, description="jittered: cycle lengths uniform in (1 +- jitter) / frequency")


class ThetaLayerSpec(_Strict):
    """One layer, updated in the order the layers are listed (see bioplastic.networks.theta_network).

    ``two_compartment``: basal/apical/soma units with OU noise on each compartment; ``relay``:
    fixed rate units ``activation(sum W x - threshold)`` whose connections must be fixed.
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
    """Environment: Gaussian-process latents mixed at random into features (inputs ``features`` and ``bias``)."""

    n_latents: int = Field(5, ge=1)
    n_features: int = Field(50, ge=1)
    timescale_ms: float = Field(1000.0, gt=0, description="RBF length scale of the latents (ms)")


class TrackSpec(_Strict):
    """Environment: an agent on a ring with OU velocity (inputs ``place``, ``velocity`` and ``bias``).

    ``velocity`` is two cells, ``relu(+v)`` and ``relu(-v)`` divided by ``velocity_scale_m_s``.
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
    """Experiment C: a second environment (place fields remapped), some connections frozen, retrained."""

    minutes: float = Field(30.0, gt=0, description="retraining time in the new environment (min)")
    freeze: list[str] = Field(min_length=1, description="connections that do not learn while retraining")
    velocity_mean_m_s: Optional[float] = Field(
        None, description="mean velocity while retraining (m/s; default: the track's); the authors use 0.2 to break "
        "the symmetry between a map and its mirror image")


class ThetaSpec(_Strict):
    """Theta-gated wake-sleep learning (George et al. 2023) on an environment; layers and connections as declared."""

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
    """A theta-gated wake-sleep experiment (chosen by a [theta] table)."""

    theta: ThetaSpec
