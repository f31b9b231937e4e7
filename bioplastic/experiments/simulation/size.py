"""The size of a simulation before it is built: neurons, synapses, delays, recordings, dataset; its time steps.

Example
-------
>>> from bioplastic.experiments.simulation.schema import SimulationProtocol
>>> protocol = SimulationProtocol.model_validate({
...     "name": "demo", "simulation": {"dt_ms": 0.1, "duration_ms": 100.0},
...     "model": {"populations": {"cells": {"neuron": "lif", "size": 1000}},
...               "projections": {"all": {"pre": "cells", "post": "cells", "weight": 0.1,
...                                       "connectivity": {"type": "dense"}}}},
...     "recordings": {"v": {"population": "cells", "variable": "v"}}})
>>> estimate = estimate_simulation(protocol)
>>> estimate.steps, estimate.memory["model.projections.all.connectivity"]     # 10^6 synapses, 16 B each
(1000, 16000000)
>>> estimate.memory["recordings.v"]                 # 1000 steps x 1000 neurons, float32, kept twice
8000000

Spikes are kept as events: here room for every neuron firing at 100 Hz (10 per 100 ms), 12 B each, twice:

>>> protocol.recordings["s"] = protocol.recordings["v"].model_copy(update={"variable": "spike"})
>>> estimate_simulation(protocol).memory["recordings.s"]
240000
"""

from __future__ import annotations

from bioplastic.experiments.simulation.build import expected_events
from bioplastic.experiments.simulation.schema import SimulationProtocol
from bioplastic.experiments.size import BYTES_PER_DRAWN_SYNAPSE, BYTES_PER_NEURON, FLOAT32, Estimate, dataset_bytes

BYTES_PER_DENSE_SYNAPSE = 16             # a target index and a weight, on the host and on the device
DATASET_COPIES = 5                       # the uint8 arrays, and the float32 images shown
BYTES_PER_EVENT = 12                     # a spike's step (int64) and neuron (int32)


def _neurons(selection, size: int) -> int:
    if selection == "all":
        return size
    if isinstance(selection, list):
        return len(selection)
    return max(0, selection.stop - selection.start)


def _as_events(spec) -> bool:
    """Whether a recording keeps spike events: spikes (variable ``spike``, or ``output`` asked as events),
    every step, not reduced, not asked dense. (The ``output`` of a spiking population is kept as events
    too; it is counted dense here, the larger.)"""
    spikes = spec.variable == "spike" or (spec.variable == "output" and spec.format == "events")
    return spikes and spec.stride == 1 and spec.reduce == "sample" and spec.format != "dense"


def _synapse_bytes(connectivity, n_pre: int, n_post: int) -> int:
    if connectivity.type == "fixed_probability":
        return int((connectivity.p or 0.0) * n_pre * n_post * BYTES_PER_DRAWN_SYNAPSE)
    if connectivity.type == "fixed_out_degree":
        k = connectivity.k or 0
        if k > n_post // 4:                         # drawn as a random permutation of every row
            return n_pre * n_post * BYTES_PER_DENSE_SYNAPSE
        return n_pre * k * BYTES_PER_DRAWN_SYNAPSE
    return n_pre * n_post * BYTES_PER_DENSE_SYNAPSE


def estimate_simulation(protocol: SimulationProtocol) -> Estimate:
    """Memory per key path and time steps of a simulation protocol; names that do not resolve count nothing.

    Parameters
    ----------
    protocol : SimulationProtocol
        A validated simulation protocol (not yet cross-checked: the build step does that).

    Returns
    -------
    Estimate
        Parts: each population (``model.populations.NAME.size``), each projection's synapses
        (``...connectivity``, twice with plasticity) and delay line (``...delay_ms``), each
        recording (``recordings.NAME``) and the dataset (``dataset.name``).
    """
    sim = protocol.simulation
    n_steps = int(round(sim.duration_ms / sim.dt_ms))
    sizes = {name: spec.size for name, spec in protocol.model.populations.items()}
    memory = {f"model.populations.{name}.size": size * BYTES_PER_NEURON for name, size in sizes.items()}
    for name, spec in protocol.model.projections.items():
        if spec.pre not in sizes or spec.post not in sizes:
            continue
        synapses = _synapse_bytes(spec.connectivity, sizes[spec.pre], sizes[spec.post])
        memory[f"model.projections.{name}.connectivity"] = synapses * (2 if spec.plasticity else 1)
        memory[f"model.projections.{name}.delay_ms"] = (int(spec.delay_ms / sim.dt_ms) + 1) * sizes[spec.pre] * FLOAT32
    for name, spec in protocol.recordings.items():
        projection = protocol.model.projections.get(spec.projection or "")
        if projection is not None and projection.pre in sizes and projection.post in sizes:
            synapses = _synapse_bytes(projection.connectivity, sizes[projection.pre], sizes[projection.post])
            memory[f"recordings.{name}"] = 2 * (n_steps // spec.stride) * synapses
        if spec.population in sizes:
            neurons = _neurons(spec.neurons, sizes[spec.population])
            if _as_events(spec):
                memory[f"recordings.{name}"] = 2 * expected_events(neurons, n_steps, sim.dt_ms) * BYTES_PER_EVENT
            else:
                memory[f"recordings.{name}"] = 2 * (n_steps // spec.stride) * neurons * FLOAT32
    if protocol.dataset is not None:
        tasks = protocol.dataset.tasks
        copies = DATASET_COPIES * (tasks.n_tasks or 1 if tasks is not None and tasks.kind == "permuted" else 1)
        memory["dataset.name"] = copies * dataset_bytes(protocol.dataset.name)
    return Estimate(memory, n_steps, "simulation.duration_ms", "time steps")
