"""A finished run folder as a NIR file: the network of a simulation run, or a continual run's spiking MLP.

What ``bioplastic export RUN_DIR --nir FILE.nir`` writes (with ``nir.write``), the weights
as the run left them (``weights.npz``):

- a simulation run: its network, built from ``protocol.toml`` (the protocol's seed draws
  the same connections), through :func:`bioplastic.exchange.nir_graph.network_to_nir`;
- a continual run: its trained spiking MLP (and learned thresholds, if it trained them),
  through :func:`bioplastic.exchange.nir_mlp.spiking_mlp_to_nir`.

Example
-------
>>> import pathlib, tempfile
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> export_nir(folder / "no_run", folder / "net.nir")                     # doctest: +ELLIPSIS
Traceback (most recent call last):
...
bioplastic._checks.BadInput: .../no_run: got no folder; allowed: a run folder made by bioplastic run
"""

from __future__ import annotations

import pathlib

import numpy as np

from bioplastic._checks import BadInput
from bioplastic.exchange.nir_graph import network_to_nir, nir_module
from bioplastic.exchange.nir_mlp import spiking_mlp_to_nir
from bioplastic.exchange.run_folder import finished_run, output_path
from bioplastic.experiments.continual.build import spiking_config
from bioplastic.experiments.simulation.build import build_experiment
from bioplastic.neurons.spike_source import SpikeSource
from bioplastic.runs import read_npz
from bioplastic.synapses.connectivity import Connectivity

KINDS = ("simulation", "continual")


def export_nir(run_dir, path, *, overwrite: bool = False) -> pathlib.Path:
    """Write the network of the finished run in ``run_dir``, learned weights in place, as the NIR file ``path``.

    For a simulation run, LIF populations that an ``[inputs.NAME]`` or the ``[dataset]``
    drives get Input nodes, the LIF populations named by ``[recordings.NAME]`` Output nodes
    (every LIF population when no recording names one); time constants are in seconds, voltages
    and weights in mV (see :mod:`bioplastic.exchange.nir_graph`). For a continual run, the
    spiking MLP of :mod:`bioplastic.exchange.nir_mlp` (dimensionless time written as
    seconds). Every check is made before the file is opened.

    Parameters
    ----------
    run_dir : str or pathlib.Path
        A run folder that ``bioplastic run`` finished for a simulation or continual protocol.
    path : str or pathlib.Path
        The file to write; its name ends ``.nir``.
    overwrite : bool
        Replace ``path`` if it exists.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    BadInput
        ``nir`` is missing (``pip install "bioplastic[nir]"``), ``path`` is not a new
        ``.nir`` file, ``run_dir`` is not a finished simulation or continual run (or a
        continual run without ``weights.npz``), or its network has a part NIR cannot hold.

    Example
    -------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> export_nir(folder, folder / "net.h5")                          # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: --nir .../net.h5: got a file name ending '.h5'; allowed: a file name ending .nir
    """
    nir = nir_module("bioplastic export --nir")
    path = output_path(path, overwrite, "--nir", ".nir")
    run_dir, _, _, protocol, kind = finished_run(
        run_dir, KINDS, "a run of a simulation protocol (its network) or of a continual protocol (its spiking MLP)")
    graph = _simulation_graph(run_dir, protocol) if kind == "simulation" else _continual_graph(run_dir, protocol)
    graph.metadata.update({"protocol": protocol.name, "run": run_dir.name})
    nir.write(path, graph)
    return path


def _simulation_graph(run_dir: pathlib.Path, protocol):
    """The network of a simulation run, the plastic projections' weights from ``weights.npz`` (if there is one)."""
    experiment = build_experiment(protocol, str(run_dir / "protocol.toml"))
    params = experiment.params
    learned = run_dir / "weights.npz"
    if learned.is_file():
        arrays = read_npz(learned)
        connectivity = dict(params["projections"])
        for name, conn in params["projections"].items():
            if f"{name}.weights" in arrays:
                connectivity[name] = Connectivity(np.asarray(arrays[f"{name}.targets"]),
                                                  np.asarray(arrays[f"{name}.weights"]), conn.n_post)
        params = {**params, "projections": connectivity}
    driven = [spec.target for spec in protocol.inputs.values()]
    if protocol.dataset is not None:
        driven.append(protocol.dataset.target)
    recorded = [spec.population for spec in protocol.recordings.values() if spec.population is not None
                and not isinstance(experiment.network.population(spec.population).model, SpikeSource)]
    return network_to_nir(experiment.network, params, experiment.dt, inputs=list(dict.fromkeys(driven)),
                          outputs=list(dict.fromkeys(recorded)) or None)


def _continual_graph(run_dir: pathlib.Path, protocol):
    """The spiking MLP of a continual run, as its ``weights.npz`` keeps it."""
    learned = run_dir / "weights.npz"
    if not learned.is_file():
        raise BadInput(str(learned), "no file", "the weights.npz a finished continual run writes")
    arrays = read_npz(learned)
    weights = [arrays[f"weights_{layer}"] for layer in range(len(protocol.continual.sizes) - 1)]
    thresholds = arrays["thresholds"] if "thresholds" in arrays else None
    return spiking_mlp_to_nir(weights, spiking_config(protocol.continual.neuron), thresholds)
