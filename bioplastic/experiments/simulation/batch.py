"""Seeds of one simulation protocol run at once: one vectorised program, one run folder per seed.

Each seed's experiment is built as for a run of its own; their out-lists are padded to the
widest seed's (:meth:`~bioplastic.synapses.connectivity.Connectivity.padded`: padding slots
carry no synapse, so every seed simulates the network it drew), their parameters, states and
inputs are stacked along a leading axis, and every chunk runs all seeds in one compiled
``jax.vmap`` of the time loop (``simulate(..., batched=True)``). The engine checkpoints the
batch in its own folder; at the end every seed's run folder gets what ``bioplastic run``
writes for that seed alone: ``recordings.npz``, ``weights.npz``, ``metrics.json`` and the plots.

Example
-------
>>> import json, pathlib, tempfile
>>> from bioplastic.cli import PROTOCOLS_DIR
>>> from bioplastic.experiments import run_seeds_batched
>>> folders = [pathlib.Path(tempfile.mkdtemp()) for _ in range(2)]
>>> run_dirs = run_seeds_batched(PROTOCOLS_DIR / "lif_single.toml", [0, 1], folders, tempfile.mkdtemp(),
...                              ["simulation.duration_ms=5"], progress=False)
>>> [json.loads((run_dir / "metrics.json").read_text())["simulated_ms"] for run_dir in run_dirs]
[5.0, 5.0]
"""

from __future__ import annotations

import dataclasses
import json
import shutil

import jax
import jax.numpy as jnp
import numpy as np

from bioplastic._checks import BadInput
from bioplastic.experiments.simulation.build import Experiment, build_experiment
from bioplastic.experiments.simulation.run import CHUNKS, SimulationWork, locate_nonfinite, write_results
from bioplastic.runs import write_json
from bioplastic.runs.folder import now
from bioplastic.simulation import simulate


def batch_experiments(protocols: list, file: str, data_dir=None) -> list[Experiment]:
    """The experiments of ``protocols`` (one per seed) with equal shapes: out-lists padded to the widest seed's.

    Raises
    ------
    BadInput
        Two seeds whose experiments differ in structure or shape after the padding (at
        ``--batch-seeds``, naming the seeds and the first difference).

    Example
    -------
    >>> from bioplastic.cli import PROTOCOLS_DIR
    >>> from bioplastic.experiments import load_protocol
    >>> protocols = [load_protocol(PROTOCOLS_DIR / "coba.toml", [f"seed={s}"])[0] for s in (0, 1)]
    >>> a, b = batch_experiments(protocols, "coba.toml")       # each seed draws its own synapses ...
    >>> bool((a.params["projections"]["exc_to_exc"].targets != b.params["projections"]["exc_to_exc"].targets).any())
    True
    >>> a.params["projections"]["exc_to_exc"].max_out == b.params["projections"]["exc_to_exc"].max_out       # ... in rows of one width
    True
    """
    experiments = [build_experiment(protocol, file, data_dir) for protocol in protocols]
    names = [projection.name for projection in experiments[0].network.projections]
    widths = {name: max(e.params["projections"][name].max_out for e in experiments) for name in names}
    experiments = [
        e if all(e.params["projections"][name].max_out == widths[name] for name in names)
        else build_experiment(protocol, file, data_dir, widths)
        for protocol, e in zip(protocols, experiments)
    ]
    experiments = _common_incoming_widths(experiments)
    for protocol, experiment in zip(protocols[1:], experiments[1:]):
        difference = _difference(experiments[0], experiment)
        if difference:
            raise BadInput("--batch-seeds", f"seeds {protocols[0].seed} and {protocol.seed} whose {difference} differ",
                           "seeds whose networks, inputs and recordings have the same shapes (run them without "
                           "--batch-seeds)")
    return experiments


def _common_incoming_widths(experiments: list) -> list:
    """Each plastic projection's index of incoming synapses padded to the widest seed's (in-degrees differ by seed)."""
    names = experiments[0].params["incoming"]
    widths = {name: max(e.params["incoming"][name].flat.shape[1] for e in experiments) for name in names}

    def padded(e):
        index = {name: e.params["incoming"][name].padded(widths[name], e.params["projections"][name].weights.size)
                 for name in names}
        return dataclasses.replace(e, params={**e.params, "incoming": index})

    return [padded(e) for e in experiments]


def _difference(a: Experiment, b: Experiment):
    """What first differs in shape between two seeds' experiments, or None."""
    if (a.dt, a.n_steps, a.chunk_steps) != (b.dt, b.n_steps, b.chunk_steps):
        return "steps or chunks"
    if a.probes != b.probes:
        return "recordings"
    for what in ("params", "state", "drive"):
        leaves_a, structure_a = jax.tree_util.tree_flatten_with_path(getattr(a, what))
        leaves_b, structure_b = jax.tree_util.tree_flatten_with_path(getattr(b, what))
        if structure_a != structure_b:
            return f"{what} structures"
        for (path, x), (_, y) in zip(leaves_a, leaves_b):
            if np.shape(x) != np.shape(y) or jnp.result_type(x) != jnp.result_type(y):
                return f"{what}{jax.tree_util.keystr(path)} shapes"
    return None


def _stacked(trees):
    return jax.tree_util.tree_map(lambda *leaves: jnp.stack(leaves), *trees)


def _one(tree, index: int):
    return jax.tree_util.tree_map(lambda leaf: leaf[index], tree)


class SeedBatchWork(SimulationWork):
    """The chunks of several seeds' simulations, run together; each seed's results in its own run folder.

    A chunk's recordings are kept per seed under ``"INDEX:KEY"`` (``INDEX`` the seed's place
    in the batch, ``KEY`` what :class:`SimulationWork` keeps), so the batch folder's chunk
    files and checkpoint are those of one run; a spike buffer that overflows for any seed
    reruns the chunk for all of them with room for twice the largest count.

    Parameters
    ----------
    experiments : list of Experiment
        From :func:`batch_experiments`, one per seed.
    seed_dirs : list of pathlib.Path
        The run folder of each seed (with its ``protocol.toml`` and ``manifest.json``).
    """

    def __init__(self, experiments: list, seed_dirs: list):
        super().__init__(experiments[0])
        self.experiments = experiments
        self.seed_dirs = seed_dirs
        self.params = _stacked([e.params for e in experiments])
        self.drive = _stacked([e.drive for e in experiments])
        self.batched = True

    def start(self):
        return {"network": _stacked([e.state for e in self.experiments]), "chunks": []}

    def _runs(self) -> list:
        """Seed ``i``'s recordings under ``"i:KEY"``, from row ``i`` of the batch's."""
        return [(f"{seed}:", lambda array, seed=seed: array[seed]) for seed in range(len(self.experiments))]

    def _seed_state(self, state, seed: int) -> dict:
        """Seed ``seed``'s share of a batch state, as :class:`SimulationWork` keeps its own."""
        prefix = self._runs()[seed][0]
        chunks = [{key.removeprefix(prefix): value for key, value in chunk.items() if key.startswith(prefix)}
                  for chunk in state["chunks"]]
        return {"network": _one(state["network"], seed), "chunks": chunks}

    def nonfinite_message(self, index, before, path):
        start, stop = self.chunks[index]
        for seed, experiment in enumerate(self.experiments):
            network = _one(before["network"], seed)
            end = simulate(experiment.network.step, network, stop - start, params=experiment.params,
                           drive=experiment.drive, dt=experiment.dt, start_step=start, check=False)[0]
            if not all(bool(jnp.all(jnp.isfinite(leaf))) for leaf in jax.tree_util.tree_leaves(end)
                       if jnp.issubdtype(leaf.dtype, jnp.floating)):
                return f"seed {experiment.protocol.seed}: {locate_nonfinite(experiment, network, start, stop)}"
        return super().nonfinite_message(index, before, path)

    def stopped(self, run_dir, before, index):
        for seed, (experiment, seed_dir) in enumerate(zip(self.experiments, self.seed_dirs)):
            write_results(seed_dir, experiment, self._seed_state(before, seed), self.chunks[index][0])

    def finish(self, run_dir, state):
        """Each seed's results in its run folder, whose manifest then says ``completed``; the metrics by seed."""
        metrics = {}
        for seed, (experiment, seed_dir) in enumerate(zip(self.experiments, self.seed_dirs)):
            metrics[str(experiment.protocol.seed)] = write_results(seed_dir, experiment, self._seed_state(state, seed),
                                                                    experiment.n_steps)
            manifest = json.loads((seed_dir / "manifest.json").read_text())
            manifest.update(status="completed", units_done=self.n_units, finished=now(), batch=str(run_dir))
            write_json(seed_dir / "manifest.json", manifest)
        shutil.rmtree(run_dir / CHUNKS, ignore_errors=True)
        return {"seeds": metrics}


def batched_work(protocols: list, file: str, data_dir, seed_dirs: list) -> SeedBatchWork:
    """The work of running the seeds' ``protocols`` together, each seed's results in ``seed_dirs``."""
    return SeedBatchWork(batch_experiments(protocols, file, data_dir), list(seed_dirs))
