"""From a validated protocol to something that runs: cross-checks, then the network.

:func:`build_experiment` checks everything the schema alone cannot -- names that must
refer to populations, recordings and registered components; variables the neuron type
has; units of inputs that must match the target's input; time windows that must fit the
run -- raising :class:`~bioplastic.protocol.errors.ProtocolError` at the key path, and
then builds the :class:`Experiment`: network, parameters, initial state, inputs and
probes, all drawn from the protocol's one seed.

Example
-------
>>> import jax
>>> from bioplastic.experiments.simulation.schema import SimulationProtocol
>>> from bioplastic.experiments.simulation.build import build_experiment
>>> protocol = SimulationProtocol.model_validate({
...     "name": "demo", "simulation": {"dt_ms": 0.1, "duration_ms": 5.0},
...     "model": {"populations": {"cells": {"neuron": "lif", "size": 2}}},
...     "inputs": {"drive": {"target": "cells", "type": "constant", "current_mv": 30.0}},
...     "recordings": {"v": {"population": "cells", "variable": "v"}}})
>>> experiment = build_experiment(protocol, "demo.toml")
>>> experiment.n_steps, sorted(experiment.probes)
(50, ['count.cells', 'recording.v'])
"""

from __future__ import annotations

import dataclasses
import inspect
import math

import jax
import jax.numpy as jnp
import numpy as np

from bioplastic._checks import BadInput, check_whole_steps
from bioplastic.networks.network import Network, NetworkInput, Population, Projection
from bioplastic.networks.sharding import shard_network
from bioplastic.protocol.components import (
    CONNECTIVITY,
    INPUTS,
    METRICS,
    NEURONS,
    PLOTS,
    RULES,
    SIGNALS,
    SYNAPSES,
    neuron_params,
)
from bioplastic.protocol.checker import Checker, load_dataset
from bioplastic.protocol.errors import relocate
from bioplastic.experiments.simulation.schema import SimulationProtocol
from bioplastic.simulation import Constant, ItemSequence, Periodic, Poisson, Probe, Step, Windowed
from bioplastic.simulation.inputs import ModulatedPoisson, ornstein_uhlenbeck
from bioplastic.synapses.delay import SpikeDelay

SPIKE_VARIABLES = ("spike", "output")
INPUT_KEYS = ("current_mv", "current_mv_per_ms", "current", "current_ma", "current_ua")
SIMULATION_PLOTS = {       # plot type -> (what it needs, description), registered in the protocol's PLOTS
    "raster": ("spikes", "spike raster of a spike recording"),
    "traces": ("any", "traces of one or more recordings, side by side"),
    "population_rate": ("spikes", "population rate (Hz) of a spike recording"),
    "isi_histogram": ("spikes", "inter-spike-interval histogram of a spike recording"),
    "weight_matrix": ("projection", "weights of a projection"),
}
for _name, (_needs, _description) in SIMULATION_PLOTS.items():
    PLOTS.register(_name, _needs, _description)


@dataclasses.dataclass(frozen=True)
class Experiment:
    """Everything a run needs, built from one protocol.

    ``probes`` holds the protocol's recordings (``"recording.NAME"``) and one spike
    count per spiking population (``"count.NAME"``, summed over each chunk) for metrics.
    ``dt`` is the step (ms), ``n_steps`` the number of steps of the run and ``chunk_steps``
    the steps between progress reports (a multiple of every recording stride).
    ``drive`` maps a population to its input terms; ``dataset_arrays`` holds the labels and
    task ids of the images a ``[dataset]`` shows.

    Example
    -------
    >>> protocol = SimulationProtocol.model_validate({
    ...     "name": "demo", "simulation": {"dt_ms": 0.1, "duration_ms": 20.0},
    ...     "model": {"populations": {"cells": {"neuron": "lif", "size": 2}}},
    ...     "inputs": {"drive": {"target": "cells", "type": "constant", "current_mv": 30.0}},
    ...     "recordings": {"v": {"population": "cells", "variable": "v", "stride": 10}}})
    >>> experiment = build_experiment(protocol, "demo.toml")
    >>> experiment.dt, experiment.n_steps, experiment.chunk_steps      # chunks: a tenth of the run
    (0.1, 200, 20)
    >>> experiment.probes["count.cells"].reduce, experiment.probes["count.cells"].stride
    ('sum', 20)
    >>> experiment.state["populations"]["cells"].v.shape, experiment.drive.currents["cells"][0].value.tolist()
    ((2,), [30.0, 30.0])
    >>> experiment.dataset_arrays
    {}
    """

    protocol: SimulationProtocol
    network: Network
    params: dict
    state: dict
    drive: dict
    probes: dict
    dt: float
    n_steps: int
    chunk_steps: int
    dataset_arrays: dict = dataclasses.field(default_factory=dict)


def build_experiment(protocol: SimulationProtocol, file: str, data_dir=None, widths=None) -> Experiment:
    """Cross-check ``protocol`` and build its network, state, inputs and probes.

    Every random draw (connections, per-neuron parameters, initial values, Poisson inputs)
    comes from ``protocol.seed``, so the same protocol builds the same experiment.

    Parameters
    ----------
    protocol : SimulationProtocol
        A validated simulation protocol.
    file : str
        The protocol file, named in error messages.
    data_dir : str or pathlib.Path, optional
        The dataset cache (default: ``bioplastic.data.cache.data_dir()``); used only when the
        protocol has a ``[dataset]`` table.
    widths : dict, optional
        Projection name -> the slots per row its out-lists are padded to (at least their
        largest out-degree), so that seeds run batched share their shapes.

    Returns
    -------
    Experiment

    Example
    -------
    >>> def protocol(seed, target="cells"):
    ...     return SimulationProtocol.model_validate({
    ...         "name": "demo", "seed": seed, "simulation": {"dt_ms": 0.1, "duration_ms": 20.0},
    ...         "model": {"populations": {"cells": {"neuron": "lif", "size": 3, "initial": {
    ...             "v_mv": {"distribution": "uniform", "low": -70.0, "high": -60.0}}}}},
    ...         "inputs": {"drive": {"target": target, "type": "constant", "current_mv": 30.0}}})
    >>> def v(seed):
    ...     return build_experiment(protocol(seed), "demo.toml").state["populations"]["cells"].v
    >>> bool((v(0) == v(0)).all()), bool((v(0) == v(1)).all()), bool(((v(0) >= -70) & (v(0) < -60)).all())
    (True, False, True)
    >>> build_experiment(protocol(0, target="pyramidal"), "demo.toml")
    Traceback (most recent call last):
    ...
    bioplastic.protocol.errors.ProtocolError: demo.toml: inputs.drive.target: got 'pyramidal'; allowed: one of the populations: cells
    """
    check = Checker(file)
    sim = protocol.simulation
    if sim.duration_ms < sim.dt_ms:
        check.fail("simulation.duration_ms", repr(sim.duration_ms), f"at least dt_ms = {sim.dt_ms}")
    n_steps = _steps(check, "simulation.duration_ms", sim.duration_ms, sim.dt_ms)
    key_structure, key_params, key_state, key_inputs = jax.random.split(jax.random.PRNGKey(protocol.seed), 4)

    model = protocol.model
    if not model.populations:
        check.fail("model.populations", "no populations", "at least one [model.populations.NAME] table")
    populations, neuron_params_by_name, types = [], {}, {}
    for (name, spec), key in zip(model.populations.items(), jax.random.split(key_params, len(model.populations))):
        path = f"model.populations.{name}"
        kind = check.registered(NEURONS, spec.neuron, f"{path}.neuron")
        for option, value in spec.options.items():
            check.known(option, f"{path}.options.{option}", kind.options, f"an option of neuron type {spec.neuron!r}")
            neuron = check.call(f"{path}.options.{option}", kind.make, **{option: value})
        neuron = kind.make(**spec.options)
        if spec.preset is not None:
            check.member(spec.preset, f"{path}.preset", kind.presets, f"presets of neuron type {spec.neuron!r}")
        fields = type(neuron_params(spec.neuron, neuron, spec.preset, {}, spec.size, key))._fields
        for field in spec.params:
            check.known(field, f"{path}.params.{field}", fields, f"a parameter of neuron type {spec.neuron!r}",
                        getattr(neuron, "param_units", None))
        for field, value in spec.params.items():
            if isinstance(value, list) and len(value) not in (1, spec.size):
                check.fail(f"{path}.params.{field}", f"a list of {len(value)} values", f"one value or {spec.size} (the size)")
        values = {field: np.asarray(value, np.float32) for field, value in spec.params.items()}
        neuron_params_by_name[name] = _params_at(check, path, spec, kind, neuron, values, key)
        populations.append(Population(name, neuron, spec.size))
        types[name] = (kind, spec)

    names = tuple(model.populations)
    projections, connectivity = [], {}
    for (name, spec), key in zip(model.projections.items(), jax.random.split(key_structure, max(1, len(model.projections)))):
        path = f"model.projections.{name}"
        check.member(spec.pre, f"{path}.pre", names, "populations")
        check.member(spec.post, f"{path}.post", names, "populations")
        build_conn, needs = check.registered(CONNECTIVITY, spec.connectivity.type, f"{path}.connectivity.type")
        for needed in needs:
            if getattr(spec.connectivity, needed) is None:
                check.fail(f"{path}.connectivity.{needed}", "nothing", f"a value: {spec.connectivity.type} needs {needed}")
        make_synapse, synapse_needs = check.registered(SYNAPSES, spec.synapse.type, f"{path}.synapse.type")
        for needed in synapse_needs:
            if getattr(spec.synapse, needed) is None:
                check.fail(f"{path}.synapse.{needed}", "nothing", f"a value: {spec.synapse.type} needs {needed}")
        synapse = check.call(f"{path}.synapse", make_synapse, spec.synapse)
        if synapse is not None and synapse.conductance_based and types[spec.post][1].neuron != "lif":
            check.fail(f"{path}.synapse.type", repr(spec.synapse.type), f"a current-based synapse: population {spec.post!r} is "
                       f"{types[spec.post][1].neuron!r}, and conductance synapses need 'lif'")
        n_pre, n_post = model.populations[spec.pre].size, model.populations[spec.post].size
        drawn = not isinstance(spec.weight, float)
        connectivity[name] = check.call(f"{path}.connectivity", build_conn, key, n_pre, n_post, spec.connectivity,
                                        1.0 if drawn else spec.weight)
        if drawn:
            conn = connectivity[name]
            connectivity[name] = conn.with_weights(_draw(check, f"{path}.weight", spec.weight,
                                                         jax.random.fold_in(key, 1), conn.weights.shape))
        if widths and name in widths:
            connectivity[name] = connectivity[name].padded(widths[name])
        delay = check.call(f"{path}.delay_ms", SpikeDelay.from_ms, spec.delay_ms, sim.dt_ms)
        rule = None if spec.plasticity is None else _rule(check, f"{path}.plasticity", spec.plasticity, protocol)
        projections.append(Projection(name, spec.pre, spec.post, synapse, delay.delay_steps, rule=rule))

    network = check.call("model", Network, tuple(populations), tuple(projections))
    params = network.params(neuron_params_by_name, connectivity)
    initial = {name: _initial_state(check, name, types[name], network, params, key)
               for name, key in zip(names, jax.random.split(key_state, len(names)))}
    state = network.init(params, key_state, initial)

    key_inputs, key_dataset = jax.random.split(key_inputs)
    drive = _inputs(check, protocol, network, types, n_steps, key_inputs)
    dataset_arrays = {}
    if protocol.dataset is not None:
        term, dataset_arrays = _dataset_input(check, protocol, network, types, n_steps, key_dataset, data_dir)
        drive[protocol.dataset.target] = drive.get(protocol.dataset.target, ()) + (term,)
    drive = NetworkInput(drive, *_learning_inputs(check, protocol, n_steps))
    for name, spec in protocol.recordings.items():
        if spec.stride > n_steps:
            check.fail(f"recordings.{name}.stride", repr(spec.stride), f"at most the number of steps, {n_steps}")
    chunk_steps = _chunk_steps(check, protocol, n_steps, [spec.stride for spec in protocol.recordings.values()])
    probes = _probes(check, protocol, network, chunk_steps, state)
    probes.update({f"count.{p.name}": Probe(f"outputs.{p.name}", reduce="sum", stride=chunk_steps)
                   for p in network.populations if p.spiking})
    _check_outputs(check, protocol, network)
    params, state, drive = check.call("simulation.devices", shard_network, network, params, state, drive, sim.devices)
    return Experiment(protocol, network, params, state, drive, probes, sim.dt_ms, n_steps, chunk_steps, dataset_arrays)


def _steps(check, path: str, value_ms: float, dt_ms: float) -> int:
    """Whole steps of ``dt_ms`` in ``value_ms`` (ms); a time between two steps is an error at ``path``, not rounded."""
    return check.call(path, check_whole_steps, value_ms, dt_ms, path)


def _params_at(check, path, spec, kind, neuron, values, key):
    try:
        return neuron_params(spec.neuron, neuron, spec.preset, values, spec.size, key)
    except BadInput as error:
        where = error.where
        field = next((f for f in values if where.endswith(f".{f}") or where == f), None)
        raise relocate(error, check.file, f"{path}.params.{field}" if field else f"{path}.params") from None


def _initial_state(check, name, kind_spec, network, params, key):
    kind, spec = kind_spec
    population = network.population(name)
    state = population.model.init(params["populations"][name], population.size, key)
    keys = jax.random.split(key, max(1, len(spec.initial)))
    for (field, value), field_key in zip(spec.initial.items(), keys):
        path = f"model.populations.{name}.initial.{field}"
        check.member(field, path, tuple(kind.initial_keys), f"initial values of neuron type {spec.neuron!r}")
        variable = kind.initial_keys[field]
        values = _draw(check, path, value, field_key, (population.size,))
        state = state._replace(**{variable: values})
    return state


def _draw(check, path, value, key, shape) -> jax.Array:
    """A number repeated over ``shape``, or draws from a :class:`Distribution` table (float32)."""
    if isinstance(value, float):
        return jnp.full(shape, value, jnp.float32)
    if value.distribution == "normal":
        if value.mean is None or value.std is None:
            check.fail(path, "a normal distribution without mean and std", "distribution = 'normal', mean, std")
        return (value.mean + value.std * jax.random.normal(key, shape)).astype(jnp.float32)
    if value.low is None or value.high is None or value.high < value.low:
        check.fail(path, "a uniform distribution without low <= high", "distribution = 'uniform', low, high")
    return jax.random.uniform(key, shape, minval=value.low, maxval=value.high).astype(jnp.float32)


def _amplitude(check, path, spec, kind, population_spec, target):
    """The one amplitude key of an input, in the unit of the target neuron type's input."""
    unit_key = kind.input_key
    for other in INPUT_KEYS:
        if other != unit_key and getattr(spec, other) is not None:
            check.fail(f"{path}.{other}", f"an input in the wrong unit for {population_spec.neuron!r} population "
                       f"{target!r}", f"{unit_key} (the unit of that neuron type's input)")
    amplitude = getattr(spec, unit_key)
    if amplitude is None:
        check.fail(f"{path}.{unit_key}", "nothing", f"the input's amplitude in the target's unit ({unit_key})")
    return amplitude


def _dataset_input(check, protocol, network, types, n_steps, key, data_dir):
    """Images of the protocol's dataset as an input sequence; also the labels and task ids shown, in order."""

    spec, path = protocol.dataset, "dataset"
    check.member(spec.target, f"{path}.target", tuple(types), "populations")
    kind, population_spec = types[spec.target]
    amplitude = _amplitude(check, path, spec, kind, population_spec, spec.target)
    dataset = load_dataset(check, spec.name, f"{path}.name", data_dir)
    sequences = _task_sequences(check, path, spec, dataset, key)
    pixels = int(np.prod(sequences[0][1].shape[1:]))
    size = network.population(spec.target).size
    if size != pixels:
        check.fail(f"model.populations.{spec.target}.size", repr(size),
                   f"{pixels}, one neuron per pixel of {spec.name!r} (dataset.target = {spec.target!r})")
    steps_per_image = _steps(check, f"{path}.presentation_ms", spec.presentation_ms, protocol.simulation.dt_ms)
    if steps_per_image < 1:
        check.fail(f"{path}.presentation_ms", repr(spec.presentation_ms), f"at least dt_ms = {protocol.simulation.dt_ms}")
    shown_per_task = max(1, -(-n_steps // (steps_per_image * spec.epochs * len(sequences))))
    n_images = spec.n_images or shown_per_task
    images, labels, tasks = [], [], []
    for task_id, task_images, task_labels in sequences:
        if spec.first_image + n_images > len(task_images):
            check.fail(f"{path}.n_images", repr(n_images), f"at most {len(task_images) - spec.first_image} images "
                       f"from first_image = {spec.first_image} of the {spec.split} split (per task)")
        chosen = slice(spec.first_image, spec.first_image + n_images)
        for _ in range(spec.epochs):
            images.append(task_images[chosen].reshape(n_images, pixels))
            labels.append(task_labels[chosen])
            tasks.append(np.full(n_images, task_id))
    intensity = jnp.asarray(np.concatenate(images), jnp.float32) / 255.0
    if spec.encoding == "poisson":
        if spec.max_rate_hz is None:
            check.fail(f"{path}.max_rate_hz", "nothing", "the spike rate of a white pixel (Hz): poisson encoding needs it")
        _at_most_one_spike_per_step(check, f"{path}.max_rate_hz", spec.max_rate_hz, protocol.simulation.dt_ms)
        term = ItemSequence(intensity * spec.max_rate_hz, steps_per_image, key, amplitude, poisson=True)
    else:
        if spec.max_rate_hz is not None:
            check.fail(f"{path}.max_rate_hz", repr(spec.max_rate_hz), "no max_rate_hz: only poisson encoding takes one")
        term = ItemSequence(intensity, steps_per_image, key, amplitude, poisson=False)
    return term, {"dataset_labels": np.concatenate(labels), "dataset_tasks": np.concatenate(tasks)}


def _task_sequences(check, path, spec, dataset, key):
    """``[(task_id, images, labels)]`` of the chosen split: the whole split, or its task sequence."""
    from bioplastic.data.tasks import permuted_tasks, split_tasks

    train = spec.split == "train"
    if spec.tasks is None:
        images, labels = dataset.images[0 if train else 1], dataset.labels[0 if train else 1]
        return [(0, images, labels)]
    tasks_spec = spec.tasks
    if tasks_spec.kind == "permuted":
        if tasks_spec.n_tasks is None:
            check.fail(f"{path}.tasks.n_tasks", "nothing", "the number of permuted tasks")
        tasks = check.call(f"{path}.tasks", permuted_tasks, dataset.images, dataset.labels, tasks_spec.n_tasks, key,
                           first_unpermuted=tasks_spec.first_unpermuted)
    else:
        pairs = tuple(tuple(pair) for pair in tasks_spec.class_pairs) if tasks_spec.class_pairs else None
        kwargs = {} if pairs is None else {"class_pairs": pairs}
        tasks = check.call(f"{path}.tasks.class_pairs", split_tasks, dataset.images, dataset.labels, **kwargs)
    return [(task.task_id, task.train_x if train else task.test_x, task.train_y if train else task.test_y)
            for task in tasks]


def _inputs(check, protocol, network, types, n_steps, key):
    dt = protocol.simulation.dt_ms
    drive = {}
    for (name, spec), input_key in zip(protocol.inputs.items(), jax.random.split(key, max(1, len(protocol.inputs)))):
        path = f"inputs.{name}"
        check.member(spec.target, f"{path}.target", tuple(types), "populations")
        needs = check.registered(INPUTS, spec.type, f"{path}.type")
        kind, population_spec = types[spec.target]
        amplitude = _amplitude(check, path, spec, kind, population_spec, spec.target)
        _input_keys(check, path, spec, needs)
        if spec.rate_hz is not None:
            _at_most_one_spike_per_step(check, f"{path}.rate_hz", spec.rate_hz, dt)
        size = network.population(spec.target).size
        indices = list(_indices(check, f"{path}.neurons", spec.neurons, size, spec.target))
        if isinstance(amplitude, list) and len(amplitude) != len(indices):
            check.fail(f"{path}.{kind.input_key}", f"{len(amplitude)} values",
                       f"one number, or one value per neuron the input reaches ({len(indices)} of population "
                       f"{spec.target!r})")
        mask = np.zeros(size, np.float32)
        mask[indices] = 1.0
        amplitudes = np.zeros(size, np.float32)
        amplitudes[indices] = amplitude
        start = _steps(check, f"{path}.start_ms", spec.start_ms, dt)
        stop = n_steps if spec.stop_ms is None else _steps(check, f"{path}.stop_ms", spec.stop_ms, dt)
        if stop <= start:
            check.fail(f"{path}.stop_ms", repr(spec.stop_ms), f"a time after start_ms = {spec.start_ms}")
        value = jnp.asarray(amplitudes)
        if spec.type == "poisson" and spec.rate_signal is not None:
            term = _modulated_poisson(check, path, spec, indices, value, size, n_steps, dt, start, stop, input_key, key)
        elif spec.type == "poisson":
            correlation = spec.correlation or 0.0
            if correlation > 0 and spec.rate_hz * dt / 1000.0 > correlation:
                check.fail(f"{path}.correlation", repr(correlation), f"at least rate_hz * dt_ms / 1000 = "
                           f"{spec.rate_hz * dt / 1000.0:g}: the shared mother train fires at rate_hz / correlation, "
                           "at most once per step")
            term = Poisson(rate_hz=jnp.asarray(spec.rate_hz * mask), shape=size, key=input_key, weight=value,
                           correlation=correlation)
            if start > 0 or stop < n_steps:
                term = Windowed(term, start, stop)
        elif spec.type == "periodic":
            period = _period_steps(check, f"{path}.rate_hz", spec.rate_hz, dt)
            term = Periodic(value, period, start, stop, _width_steps(check, path, spec, period, dt))
        elif spec.type in ("patterns", "gaussian"):
            term = _presentations(check, path, spec, indices, value, size, n_steps, dt, start, stop, input_key)
        elif spec.type == "step" or start > 0 or stop < n_steps:
            term = Step(value, start, stop)
        else:
            term = Constant(value)
        drive.setdefault(spec.target, []).append(term)
    return {target: tuple(terms) for target, terms in drive.items()}


def _period_steps(check, path: str, rate_hz: float, dt_ms: float) -> int:
    """Steps of ``dt_ms`` between the pulses of a periodic input at ``rate_hz``: a whole number >= 1."""
    steps = 1000.0 / (rate_hz * dt_ms) if rate_hz > 0 else 0.0
    if steps < 1 or not math.isclose(steps, round(steps), rel_tol=1e-9):
        near = sorted({max(1, math.floor(steps)), max(1, math.ceil(steps))})
        check.fail(path, repr(rate_hz), f"a rate whose period 1000 / rate_hz ms is a whole number of steps of dt_ms = "
                   f"{dt_ms:g} (nearest: {' or '.join(f'{1000.0 / (n * dt_ms):g}' for n in near)} Hz)")
    return round(steps)


def _width_steps(check, path: str, spec, period_steps: int, dt_ms: float) -> int:
    """Steps of each pulse of a periodic input: ``width_ms`` in whole steps (default one), at most ``period_steps``."""
    if spec.width_ms is None:
        return 1
    width = _steps(check, f"{path}.width_ms", spec.width_ms, dt_ms)
    if width > period_steps:
        check.fail(f"{path}.width_ms", repr(spec.width_ms),
                   f"at most the period 1000 / rate_hz = {period_steps * dt_ms:g} ms")
    return width


OPTIONAL_INPUT_KEYS = ("rate_hz", "width_ms", "correlation", "patterns", "mean", "covariance", "presentation_ms",
                       "rate_signal")
NEVER_NEEDED_INPUT_KEYS = ("width_ms", "correlation", "rate_signal")     # keys an input type takes but does not need


def _input_keys(check, path, spec, needs) -> None:
    """Each key an input type needs is given, and no other type's key is (``needs`` as registered in ``INPUTS``)."""
    for key in OPTIONAL_INPUT_KEYS:
        needed, given = key in needs, getattr(spec, key) is not None
        if needed and not given and key not in NEVER_NEEDED_INPUT_KEYS:
            check.fail(f"{path}.{key}", "nothing", f"a value: {spec.type} inputs need {key}")
        if given and not needed:
            takers = [name for name in INPUTS.names() if key in INPUTS.get(name)]
            check.fail(f"{path}.{key}", repr(getattr(spec, key)),
                       f"no {key}: only {' and '.join(takers)} inputs take one, not {spec.type!r}")


MAX_PRESENTATION_VALUES = 50_000_000   # floats of drawn patterns a run may hold (200 MB)


def _presentations(check, path, spec, indices, value, size, n_steps, dt, start, stop, key):
    """A ``patterns`` or ``gaussian`` input: one pattern or draw per presentation, drawn now from ``key``."""
    if start > 0 or stop < n_steps:
        check.fail(f"{path}.start_ms" if start > 0 else f"{path}.stop_ms", repr(spec.start_ms if start > 0 else spec.stop_ms),
                   f"no window: {spec.type} inputs last the whole run")
    steps = _steps(check, f"{path}.presentation_ms", spec.presentation_ms, dt)
    if steps < 1:
        check.fail(f"{path}.presentation_ms", repr(spec.presentation_ms), f"at least dt_ms = {dt:g}")
    count = -(-n_steps // steps)
    if count * size > MAX_PRESENTATION_VALUES:
        check.fail(f"{path}.presentation_ms", repr(spec.presentation_ms),
                   f"presentations that hold at most {MAX_PRESENTATION_VALUES:,} values in all (this run would hold "
                   f"{count:,} presentations of {size} neurons): a longer presentation or a shorter run")
    n = len(indices)
    if spec.type == "patterns":
        patterns = spec.patterns
        if not patterns:
            check.fail(f"{path}.patterns", "[]", "at least one pattern")
        for index, pattern in enumerate(patterns):
            if len(pattern) != n:
                check.fail(f"{path}.patterns[{index}]", f"{len(pattern)} values",
                           f"{n}, one per neuron the input reaches")
        table = np.asarray(patterns, np.float32)
        if not np.all(np.isfinite(table)):
            check.fail(f"{path}.patterns", "a value that is not finite", "finite numbers")
        chosen = np.asarray(jax.random.randint(key, (count,), 0, len(patterns)))
        drawn = table[chosen]
    else:
        mean = np.broadcast_to(np.asarray(spec.mean, np.float64), (n,)) if not isinstance(spec.mean, list) \
            else np.asarray(spec.mean, np.float64)
        if mean.shape != (n,):
            check.fail(f"{path}.mean", f"{len(spec.mean)} values", f"one number, or {n}: one per neuron the input reaches")
        covariance = np.asarray(spec.covariance, np.float64) if all(len(row) == n for row in spec.covariance) else None
        if covariance is None or covariance.shape != (n, n):
            check.fail(f"{path}.covariance", f"{len(spec.covariance)} rows of lengths "
                       f"{sorted({len(row) for row in spec.covariance})}", f"{n} rows of {n}: one per neuron the input reaches")
        if not np.allclose(covariance, covariance.T) or np.linalg.eigvalsh(covariance).min() < -1e-9 * max(1.0, np.abs(covariance).max()):
            check.fail(f"{path}.covariance", "a matrix that is not symmetric positive semidefinite",
                       "a covariance: symmetric, with no negative eigenvalue")
        values, vectors = np.linalg.eigh(covariance)
        factor = vectors * np.sqrt(np.clip(values, 0.0, None))
        normal = np.asarray(jax.random.normal(key, (count, n)), np.float64)
        drawn = (mean + normal @ factor.T).astype(np.float32)
    items = np.zeros((count, size), np.float32)
    items[:, indices] = drawn
    return ItemSequence(jnp.asarray(items) * value, steps, None)


SIGNAL_STREAM = 0x51A7     # the key of shared rate signals, fold_in(inputs key, SIGNAL_STREAM); signal s: fold_in(that, s)


def _modulated_poisson(check, path, spec, indices, value, size, n_steps, dt, start, stop, input_key, inputs_key):
    """A ``poisson`` input with a ``rate_signal``: one Ornstein-Uhlenbeck rate per group, drawn now, held per sample."""
    signal, where = spec.rate_signal, f"{path}.rate_signal"
    if start > 0 or stop < n_steps:
        check.fail(f"{path}.start_ms" if start > 0 else f"{path}.stop_ms", repr(spec.start_ms if start > 0 else spec.stop_ms),
                   "no window: poisson inputs with a rate_signal last the whole run")
    if spec.correlation is not None:
        check.fail(f"{path}.correlation", repr(spec.correlation), "no correlation: a rate_signal makes the trains of a "
                   "group co-vary instead")
    n = len(indices)
    if signal.groups > n:
        check.fail(f"{where}.groups", repr(signal.groups), f"at most {n}, the neurons the input reaches")
    sample_ms = dt if signal.sample_ms is None else signal.sample_ms
    steps = _steps(check, f"{where}.sample_ms", sample_ms, dt)
    if steps < 1:
        check.fail(f"{where}.sample_ms", repr(signal.sample_ms), f"at least dt_ms = {dt:g}")
    count = -(-n_steps // steps)
    if count * signal.groups > MAX_PRESENTATION_VALUES:
        check.fail(f"{where}.sample_ms", repr(sample_ms),
                   f"samples that hold at most {MAX_PRESENTATION_VALUES:,} values in all (this run would hold {count:,} "
                   f"samples of {signal.groups} groups): a longer sample_ms, fewer groups or a shorter run")
    base, first = (jax.random.fold_in(input_key, 1), 0) if signal.seed is None else \
        (jax.random.fold_in(inputs_key, SIGNAL_STREAM), signal.seed)
    x = ornstein_uhlenbeck(base, count, signal.groups, sample_ms, signal.tau_ms, signal.std_hz, first)   # group k: number first + k
    rates = (spec.rate_hz + np.maximum(0.0, signal.mean_hz + np.asarray(x))).astype(np.float32)
    highest = float(rates.max())
    if highest * dt / 1000.0 > 1.0:
        check.fail(where, f"a signal that reaches {highest:g} Hz", f"rates of at most {1000.0 / dt:g} Hz: one spike per "
                   f"step of dt_ms = {dt:g} (a smaller std_hz or mean_hz)")
    groups = np.full(size, signal.groups, np.int32)                 # not reached: the group past the last
    groups[indices] = np.arange(n) * signal.groups // n
    return ModulatedPoisson(jnp.asarray(rates), jnp.asarray(groups), input_key, value, steps)


def _at_most_one_spike_per_step(check, path: str, rate_hz: float, dt_ms: float) -> None:
    """A Poisson rate (Hz) is a spike probability per step, ``rate * dt / 1000``: it cannot exceed one."""
    if rate_hz * dt_ms / 1000.0 > 1.0:
        check.fail(path, repr(rate_hz), f"at most {1000.0 / dt_ms:g} Hz: one spike per step of dt_ms = {dt_ms:g} "
                   "(a higher rate would be cut to that)")


def _indices(check, path, neurons, size, population) -> tuple[int, ...]:
    """Neuron indices of a ``neurons`` value ('all', a list, or a range), checked against ``size``."""
    if neurons == "all":
        return tuple(range(size))
    if isinstance(neurons, list):
        if not neurons:
            check.fail(path, "[]", f"at least one index in [0, {size}) of population {population!r}, or 'all'")
        indices = tuple(neurons)
    else:
        if neurons.stop <= neurons.start:
            check.fail(f"{path}.stop", repr(neurons.stop), f"a stop after start = {neurons.start}")
        indices = tuple(range(neurons.start, neurons.stop))
    bad = [i for i in indices if not 0 <= i < size]
    if bad:
        check.fail(path, repr(bad[0]) if isinstance(neurons, list) else f"a range up to {neurons.stop}",
                   f"indices in [0, {size}) of population {population!r}")
    return indices


def _probes(check, protocol, network, chunk_steps, state):
    probes = {}
    for name, spec in protocol.recordings.items():
        path = f"recordings.{name}"
        if spec.projection is not None:
            probes[f"recording.{name}"] = _projection_probe(check, path, spec, network, state)
            continue
        if spec.population is None:
            check.fail(f"{path}.population", "nothing", "the population recorded, or projection = NAME for weights")
        check.member(spec.population, f"{path}.population", tuple(p.name for p in network.populations), "populations")
        population = network.population(spec.population)
        variables = tuple(dict.fromkeys(tuple(population.model.state_variables) + SPIKE_VARIABLES))
        check.member(spec.variable, f"{path}.variable", variables, f"variables of population {spec.population!r}")
        if spec.variable in SPIKE_VARIABLES:
            variable = f"outputs.{spec.population}"
        else:
            variable = f"populations.{spec.population}.{spec.variable}"
        neurons = None
        if spec.neurons != "all":
            neurons = _indices(check, f"{path}.neurons", spec.neurons, population.size, spec.population)
        spikes = spec.variable in SPIKE_VARIABLES and population.spiking and spec.stride == 1 and spec.reduce == "sample"
        if spec.format == "events" and not spikes:
            check.fail(f"{path}.format", "'events'", "'dense', or 'events' for the spikes of a spiking population "
                       "(variable 'spike', stride 1, reduce 'sample')")
        if spikes and spec.format != "dense":
            count = population.size if neurons is None else len(neurons)
            probes[f"recording.{name}"] = Probe(variable, neurons, reduce="events",
                                                capacity=events_capacity(count, chunk_steps, protocol.simulation.dt_ms))
        else:
            probes[f"recording.{name}"] = Probe(variable, neurons, spec.stride, spec.reduce)
    return probes


def _projection_probe(check, path, spec, network, state) -> Probe:
    """A recording of a plastic projection: its weights, ``(n_pre, max_out)`` per row, or a field of its rule's state."""
    if spec.population is not None:
        check.fail(f"{path}.population", repr(spec.population),
                   f"no population: the recording names projection {spec.projection!r}")
    plastic = tuple(p.name for p in network.projections if p.rule is not None)
    check.member(spec.projection, f"{path}.projection", plastic, "plastic projections (with a [plasticity] table)")
    rule_state = state["plastic"][spec.projection]["rule"]
    fields = tuple(getattr(rule_state, "_fields", ()))
    variables = ("weight",) + tuple(f"rule.{field}" for field in fields
                                    if isinstance(getattr(rule_state, field), jax.Array))
    check.member(spec.variable, f"{path}.variable", variables, f"variables of projection {spec.projection!r} "
                 "(its weights, and the arrays of its rule's state)")
    if spec.neurons != "all":
        check.fail(f"{path}.neurons", repr(spec.neurons), "'all': a projection's recording holds every synapse")
    if spec.format == "events":
        check.fail(f"{path}.format", "'events'", "'dense' or nothing: weights are not spikes")
    variable = "weights" if spec.variable == "weight" else spec.variable
    return Probe(f"plastic.{spec.projection}.{variable}", None, spec.stride, spec.reduce)


EVENTS_RATE_HZ = 100.0   # a chunk's spike buffer holds every recorded neuron firing at this rate


def events_capacity(n_neurons: int, steps: int, dt_ms: float) -> int:
    """Room for spike events of ``n_neurons`` neurons over ``steps`` steps of ``dt_ms`` (ms) at ``EVENTS_RATE_HZ``.

    A chunk with more spikes than that is run again with room for all of them
    (:class:`~bioplastic.experiments.simulation.run.SimulationWork`); none is dropped.

    Example
    -------
    >>> events_capacity(100, 1000, 0.1)                  # 100 neurons for 100 ms at 100 Hz
    1000
    """
    return max(64, expected_events(n_neurons, steps, dt_ms))


def expected_events(n_neurons: int, steps: int, dt_ms: float) -> int:
    """Spikes of ``n_neurons`` neurons over ``steps`` steps of ``dt_ms`` (ms) at ``EVENTS_RATE_HZ`` (at most one per step).

    Example
    -------
    >>> expected_events(1, 4000, 0.1)                    # one neuron for 400 ms at 100 Hz
    40
    """
    return math.ceil(n_neurons * steps * min(1.0, EVENTS_RATE_HZ * dt_ms / 1000.0))


def _chunk_steps(check, protocol, n_steps, strides):
    strides = strides or [1]
    lcm = math.lcm(*strides)
    chunk_ms = protocol.simulation.chunk_ms
    if chunk_ms is None:
        chunk = max(lcm, (n_steps // 10) // lcm * lcm)
    else:
        chunk = _steps(check, "simulation.chunk_ms", chunk_ms, protocol.simulation.dt_ms)
        if chunk < 1 or chunk % lcm:
            check.fail("simulation.chunk_ms", repr(chunk_ms),
                       f"a multiple of every recording stride ({lcm} steps = {lcm * protocol.simulation.dt_ms:g} ms)")
    return min(chunk, n_steps)


def _rule(check, path, spec, protocol):
    """Build a projection's learning rule; its signals must be defined in [signals]."""
    factory = check.registered(RULES, spec.rule, f"{path}.rule")
    signature = inspect.signature(factory).parameters
    hyperparameters = tuple(name for name in signature if name != "dt_ms")
    for name, value in spec.params.items():
        check.known(name, f"{path}.params.{name}", hyperparameters, f"a parameter of rule {spec.rule!r}")
        if isinstance(value, str) and not isinstance(signature[name].default, str):
            check.fail(f"{path}.params.{name}", repr(value), f"a number: {name} of rule {spec.rule!r} is numeric")
    try:
        rule = factory(dt_ms=protocol.simulation.dt_ms, **spec.params)
    except BadInput as error:                    # name the parameter when the rule does
        key = f"{path}.params.{error.where}" if error.where in spec.params else f"{path}.params"
        raise relocate(error, check.file, key) from None
    for signal in rule.signals:
        if signal not in protocol.signals:
            check.fail(f"{path}.rule", f"{spec.rule!r}, which needs the signal {signal!r} that the protocol does not provide",
                       f"a rule whose signals are defined under [signals] (defined: {', '.join(protocol.signals) or 'none'}); "
                       f"add [signals.{signal}]")
    return rule


def _learning_inputs(check, protocol, n_steps) -> tuple:
    """The inputs of learning rules: ``(named signals, plasticity gate)``."""
    dt = protocol.simulation.dt_ms
    signals = {}
    for name, spec in protocol.signals.items():
        check.registered(SIGNALS, spec.type, f"signals.{name}.type")
        start = _steps(check, f"signals.{name}.start_ms", spec.start_ms, dt)
        stop = n_steps if spec.stop_ms is None else _steps(check, f"signals.{name}.stop_ms", spec.stop_ms, dt)
        if stop <= start:
            check.fail(f"signals.{name}.stop_ms", repr(spec.stop_ms), f"a time after start_ms = {spec.start_ms}")
        signals[name] = Step(jnp.float32(spec.value), start, stop)
    spans = _plastic_spans(check, protocol, n_steps)
    if spans is None:
        return signals, 1.0
    return signals, tuple(Step(jnp.float32(1.0), start, stop) for start, stop in spans) or (Constant(jnp.float32(0.0)),)


def _plastic_spans(check, protocol, n_steps):
    """Steps in which plasticity is on; None when there is no schedule (always on)."""
    if protocol.learning is None:
        return None
    total = sum(phase.duration_ms for phase in protocol.learning.phases)
    if not math.isclose(total, protocol.simulation.duration_ms, rel_tol=1e-9):
        check.fail("learning.phases", f"phases lasting {total:g} ms in all",
                   f"phases that add up to simulation.duration_ms = {protocol.simulation.duration_ms:g}")
    spans, start = [], 0
    for index, phase in enumerate(protocol.learning.phases):
        steps = _steps(check, f"learning.phases[{index}].duration_ms", phase.duration_ms, protocol.simulation.dt_ms)
        if phase.plasticity:
            spans.append((start, start + steps))
        start += steps
    return tuple(spans)


def _check_outputs(check, protocol, network):
    for index, metric in enumerate(protocol.metrics):
        check.registered(METRICS, metric, f"metrics[{index}]")
    if "mean_rate_hz" in protocol.metrics and "all" in protocol.model.populations:
        check.fail("model.populations.all", "a population named 'all'",
                   "another name: the metric mean_rate_hz_all is the rate of all populations together")
    recordings = protocol.recordings
    for name, spec in protocol.plots.items():
        path = f"plots.{name}"
        needs = check.registered(PLOTS, spec.type, f"{path}.type")
        if spec.type not in SIMULATION_PLOTS:
            check.fail(f"{path}.type", repr(spec.type), "a plot of a simulation (raster, traces, population_rate, "
                       f"isi_histogram, weight_matrix): {spec.type} plots belong to [{needs}] protocols")
        if needs == "projection":
            check.member(spec.projection or "", f"{path}.projection", tuple(p.name for p in network.projections), "projections")
            for key in ("recording", "recordings"):
                if getattr(spec, key) is not None:
                    check.fail(f"{path}.{key}", repr(getattr(spec, key)), f"no {key}: a {spec.type} plot draws a projection")
            continue
        if spec.projection is not None:
            check.fail(f"{path}.projection", repr(spec.projection), f"no projection: a {spec.type} plot draws recordings")
        if spec.recording is not None and spec.recordings is not None:
            check.fail(f"{path}.recordings", repr(spec.recordings), f"either recording or recordings, not both "
                       f"(recording = {spec.recording!r} is given)")
        names = spec.recordings or ([spec.recording] if spec.recording else [])
        if not names:
            check.fail(f"{path}.recording", "nothing", "the name of a recording to plot")
        for recording in names:
            check.member(recording, f"{path}.recording", tuple(recordings), "recordings")
            if needs == "spikes" and recordings[recording].variable not in SPIKE_VARIABLES:
                check.fail(f"{path}.recording", repr(recording),
                           f"a recording of spikes (variable 'spike'): a {spec.type} plot needs spikes, "
                           f"{recording!r} records {recordings[recording].variable!r}")
