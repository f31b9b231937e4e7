"""The units of work of a simulation protocol: chunks of simulated time.

The run goes chunk by chunk (``simulation.chunk_ms``). Each chunk's recordings are
written to ``chunks/NNNNN.npz`` in the run folder as it finishes (on the engine's writer
thread, while the next chunk runs), and the engine then checkpoints the network state
alone, so the work after a chunk does not grow with the time already simulated. Because
every chunk is a pure function of the state it starts from (inputs are indexed by the
global step), a resumed run is bit-for-bit an uninterrupted one. At the end come
``recordings.npz`` (the chunks joined; ``chunks/`` is then removed), ``metrics.json``, the
learned weights of plastic projections (``weights.npz``) and the figures.

Example
-------
>>> import pathlib, tempfile
>>> from bioplastic.cli import PROTOCOLS_DIR
>>> from bioplastic.experiments import run_protocol
>>> run_dir = run_protocol(PROTOCOLS_DIR / "lif_single.toml", tempfile.mkdtemp(), ["simulation.duration_ms=20"],
...                        progress=False)
>>> sorted(path.name for path in run_dir.iterdir())
['manifest.json', 'metrics.json', 'protocol.toml', 'recordings.npz', 'voltage.png']
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import shutil
import zipfile

import jax
import jax.numpy as jnp
import numpy as np

from bioplastic.experiments.simulation.build import Experiment
from bioplastic.experiments.simulation.plots import draw_protocol_plots
from bioplastic._checks import BadInput
from bioplastic.runs import Work, read_npz, write_json, write_npz
from bioplastic.analysis.spike_events import SpikeEvents
from bioplastic.simulation import Events, drive_at, probe_shapes, simulate


CHUNKS = "chunks"       # a running simulation's recordings, one file per chunk


class SimulationWork(Work):
    """A simulation protocol's run: chunks of ``experiment.chunk_steps`` steps (the last may be shorter).

    The state is ``{"network": network state, "chunks": [recordings of each chunk]}``;
    the spike counts behind ``mean_rate_hz_*`` are summed over each chunk. The step is
    checked (traced abstractly) before the first chunk this process runs, not before
    every chunk.

    Example
    -------
    >>> from bioplastic.experiments import validate_protocol
    >>> from bioplastic.cli import PROTOCOLS_DIR
    >>> experiment = validate_protocol(PROTOCOLS_DIR / "lif_single.toml", ["simulation.chunk_ms=150"])
    >>> work = SimulationWork(experiment)                 # 400 ms: chunks of 150, 150 and 100 ms
    >>> work.n_units, work.progress_at(2), work.progress_at(3), work.unit_name(2)
    (3, 300.0, 400.0, 'chunk 3 of 3 (300-400 ms)')
    """

    unit = "ms simulated"
    runs_ahead = True

    def __init__(self, experiment: Experiment):
        self.experiment = experiment
        self.chunks = [(start, min(start + experiment.chunk_steps, experiment.n_steps))
                       for start in range(0, experiment.n_steps, experiment.chunk_steps)]
        self.n_units = len(self.chunks)
        self.probes = dict(experiment.probes)       # a spike buffer that overflowed is given more room
        self.params, self.drive = experiment.params, experiment.drive
        self.batched = False                        # several seeds' runs stacked (SeedBatchWork)
        self._checked = False

    def progress_at(self, units_done: int) -> float:
        return (self.chunks[units_done - 1][1] if units_done else 0) * self.experiment.dt

    def unit_name(self, index: int) -> str:
        start, stop = self.chunks[min(index, self.n_units - 1)]
        dt = self.experiment.dt
        return f"chunk {index + 1} of {self.n_units} ({start * dt:g}-{stop * dt:g} ms)"

    def start(self):
        return {"network": self.experiment.state, "chunks": []}

    def run_unit(self, index, state, run_dir, advance):
        network, records = self._simulate(index, state["network"])
        return {"network": network, "chunks": state["chunks"] + [records]}

    def _simulate(self, index, network):
        """Start chunk ``index`` from ``network``: ``(network state, recordings)`` on the device."""
        e = self.experiment
        start, stop = self.chunks[index]
        probes = {name: (dataclasses.replace(probe, stride=stop - start) if name.startswith("count.") else probe)
                  for name, probe in self.probes.items()}
        network, records = simulate(e.network.step, network, stop - start, params=self.params, drive=self.drive,
                                    probes=probes, dt=e.dt, start_step=start, check=not self._checked,
                                    batched=self.batched)
        self._checked = True
        return network, records

    def unit_done(self, index, before, after):
        """Bring chunk ``index``'s recordings to the host in one transfer, spike events cut to their count.

        A recording with more spikes than its buffer held (for any run of a batch) runs the
        chunk again, from the state it started from, with room for twice as many (the same
        steps: the same spikes); later chunks keep that room. The chunk's dict is filled in
        place, so the state of a chunk started from this one shares it.
        """
        records = after["chunks"][index]
        fetched = jax.device_get(dict(records))
        overflowed = {name: int(np.max(r.count)) for name, r in fetched.items()
                      if isinstance(r, Events) and int(np.max(r.count)) > r.steps.shape[-1]}
        if overflowed:
            for name, count in overflowed.items():
                self.probes[name] = dataclasses.replace(self.probes[name], capacity=2 * count)
            fetched = jax.device_get(self._simulate(index, before["network"])[1])
        records.clear()
        for prefix, take in self._runs():
            for name, record in fetched.items():
                if isinstance(record, Events):
                    count = int(take(record.count))
                    records[f"{prefix}{name}.steps"] = take(record.steps)[:count].astype(np.int64)
                    records[f"{prefix}{name}.neurons"] = take(record.neurons)[:count]
                else:
                    records[f"{prefix}{name}"] = take(record)

    def _runs(self) -> list:
        """``(key prefix, take)`` of each run a chunk's recordings hold: here one, its keys as they are."""
        return [("", lambda array: array)]

    def persist_unit(self, index, state, run_dir):
        (run_dir / CHUNKS).mkdir(exist_ok=True)
        write_npz(_chunk_file(run_dir, index), state["chunks"][index])

    def checkpointed(self, state):
        return {"network": state["network"]}

    def restored(self, tree, start, run_dir, units_done):
        """The checkpoint's network state, placed on the devices the start state is on; the finished chunks."""
        network = jax.tree_util.tree_map(
            lambda saved, first: jax.device_put(saved, first.sharding) if isinstance(first, jax.Array) else saved,
            tree["network"], start["network"])
        return {"network": network, "chunks": [_read_chunk(run_dir, index) for index in range(units_done)]}

    def watched(self, state):
        return state["network"]

    def nonfinite_message(self, index, before, path):
        return locate_nonfinite(self.experiment, before["network"], *self.chunks[index])

    def stopped(self, run_dir, before, index):
        write_results(run_dir, self.experiment, before, self.chunks[index][0])

    def finish(self, run_dir, state):
        metrics = write_results(run_dir, self.experiment, state, self.experiment.n_steps)
        shutil.rmtree(run_dir / CHUNKS, ignore_errors=True)
        return metrics


def _chunk_file(run_dir, index: int):
    return run_dir / CHUNKS / f"{index:05d}.npz"


def _read_chunk(run_dir, index: int) -> dict:
    """The recordings of chunk ``index`` of a stopped run, which its checkpoint counts as done."""
    path = _chunk_file(run_dir, index)
    try:
        return read_npz(path)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise BadInput(str(path), f"a missing or unreadable chunk of recordings ({type(error).__name__})",
                       "the folder of a stopped run as it was left; start afresh without --resume") from None


def _joined(experiment: Experiment, chunks: list) -> dict:
    """Each recorded array of all finished chunks, in order (no rows when no chunk is done).

    A probe's rows are ``NAME``; an events probe's are ``NAME.steps`` and ``NAME.neurons``.
    """
    if chunks:
        return {key: np.concatenate([chunk[key] for chunk in chunks]) for key in chunks[0]}
    e = experiment
    shapes = probe_shapes(e.network.step, e.params, e.state, e.drive, list(e.probes.items()), e.dt)
    joined = {}
    for (name, probe), shape in zip(e.probes.items(), shapes):
        if probe.reduce == "events":
            joined.update({f"{name}.steps": np.zeros(0, np.int64), f"{name}.neurons": np.zeros(0, np.int32)})
        else:
            joined[name] = np.zeros((0,) + shape.shape, shape.dtype)
    return joined


def _recordings(experiment: Experiment, records: dict, steps_done: int) -> dict:
    """Each ``[recordings.NAME]`` of the first ``steps_done`` steps: its rows, or its spikes as SpikeEvents."""
    recordings = {}
    for key, probe in experiment.probes.items():
        if not key.startswith("recording."):
            continue
        name = key.removeprefix("recording.")
        if probe.reduce != "events":
            recordings[name] = records[key]
            continue
        population = experiment.network.population(probe.variable.removeprefix("outputs."))
        n_neurons = population.size if probe.neurons is None else len(probe.neurons)
        recordings[name] = SpikeEvents(records[f"{key}.steps"], records[f"{key}.neurons"], steps_done, n_neurons)
    return recordings


def locate_nonfinite(experiment: Experiment, state, start: int, stop: int) -> str:
    """Replay a chunk step by step to name the first non-finite variable and its step."""
    paths = [
        (path, leaf)
        for path, leaf in jax.tree_util.tree_flatten_with_path(state)[0]
        if jnp.issubdtype(leaf.dtype, jnp.floating)
    ]

    def flags(s):
        leaves = {jax.tree_util.keystr(p): leaf for p, leaf in jax.tree_util.tree_flatten_with_path(s)[0]}
        return jnp.stack([jnp.all(jnp.isfinite(leaves[jax.tree_util.keystr(p)])) for p, _ in paths])

    def body(s, n):
        s, _ = experiment.network.step(experiment.params, s, drive_at(experiment.drive, n, experiment.dt), experiment.dt)
        return s, flags(s)

    _, finite = jax.jit(lambda s: jax.lax.scan(body, s, jnp.arange(start, stop)))(state)
    finite = np.asarray(finite)
    step = int(np.argwhere(~finite)[0][0])
    named = [[str(getattr(k, "key", getattr(k, "name", k))) for k in path] for path, _ in paths]
    # Of the variables that broke in that step, name a neuron variable before derived ones.
    candidates = [named[i] for i in np.nonzero(~finite[step])[0]]
    keys = next((c for c in candidates if c[0] == "populations"), candidates[0])
    step_number = start + step
    if keys[0] == "populations" and len(keys) >= 3:
        where = f"variable {keys[2]!r} of population {keys[1]!r}"
    else:
        where = f"state {'.'.join(keys)}"
    return f"{where} became NaN or inf at step {step_number} (t = {(step_number + 1) * experiment.dt:g} ms)"


def write_results(run_dir, experiment: Experiment, state, steps_done: int) -> dict:
    """Recordings, learned weights, metrics and plots of the first ``steps_done`` steps; returns the metrics.

    The recordings (the largest file) are written on a thread while the rest is computed
    and the plots drawn; a failed write is raised here all the same.
    """
    records = _joined(experiment, state["chunks"])
    recordings = _recordings(experiment, records, steps_done)
    arrays = {}
    for name, recording in recordings.items():
        arrays.update(recording.to_arrays(name) if isinstance(recording, SpikeEvents) else {name: recording})
    arrays.update(experiment.dataset_arrays)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as writer:
        written = writer.submit(write_npz, run_dir / "recordings.npz", arrays)
        metrics = _write_the_rest(run_dir, experiment, state, steps_done, records, recordings)
        written.result()
    return metrics


def _write_the_rest(run_dir, experiment: Experiment, state, steps_done: int, records: dict, recordings: dict) -> dict:
    """Learned weights, metrics and plots (see :func:`write_results`)."""
    network = state["network"]
    weights = {name: experiment.network.connectivity(experiment.params, network, name) for name in network["plastic"]}
    if weights:
        write_npz(run_dir / "weights.npz", {
            f"{name}.{field}": np.asarray(getattr(conn, field)) for name, conn in weights.items()
            for field in ("targets", "weights")
        })
    metrics = _metrics(experiment, records, steps_done, weights)
    write_json(run_dir / "metrics.json", metrics)
    if steps_done > 0:
        draw_protocol_plots(run_dir, experiment, recordings, network)
    return metrics


def _metrics(experiment: Experiment, records, steps_done, weights) -> dict:
    metrics = {"simulated_ms": steps_done * experiment.dt}
    if "mean_weight" in experiment.protocol.metrics:
        for name, conn in weights.items():
            metrics[f"mean_weight_{name}"] = float(np.asarray(conn.weights)[np.asarray(conn.mask)].mean())
    if "mean_rate_hz" not in experiment.protocol.metrics or steps_done == 0:
        return metrics
    seconds = steps_done * experiment.dt * 1e-3
    total_spikes, total_neurons = 0.0, 0
    for population in experiment.network.populations:
        counts = records.get(f"count.{population.name}")
        if counts is None or not counts.size:
            continue
        spikes = float(counts.sum())
        metrics[f"mean_rate_hz_{population.name}"] = spikes / (population.size * seconds)
        total_spikes += spikes
        total_neurons += population.size
    if total_neurons:
        metrics["mean_rate_hz_all"] = total_spikes / (total_neurons * seconds)
    return metrics
