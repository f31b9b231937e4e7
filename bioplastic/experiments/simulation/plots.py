"""The figures a protocol asks for (``[plots.NAME]``), drawn from a run's arrays.

Each plot type of the registry maps to a :mod:`bioplastic.plotting` function; this
module only looks up the recorded arrays (and a projection's weights) and writes
``NAME.png`` into the run folder. It never simulates.

Example
-------
>>> from bioplastic.experiments.simulation.plots import PLOTTERS
>>> sorted(PLOTTERS)
['isi_histogram', 'population_rate', 'raster', 'traces', 'weight_matrix']
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from bioplastic.plotting import (
    isi_histogram,
    population_rate,
    save_figure,
    spike_raster,
    voltage_traces,
    weight_matrix,
)
from bioplastic.plotting.style import bioplastic_style

UNITS = {"v": "v (mV)", "u": "u", "rate": "rate", "refractory_steps": "refractory steps left"}


def _one_panel(draw):
    """A plotter drawing one Axes with ``draw(ax, spec, experiment, recordings, steps, state)``."""

    def plot(name, spec, experiment, recordings, steps, state) -> Figure:
        """A new one-Axes figure drawn by ``draw``, titled ``spec.title`` or ``name``.

        Parameters
        ----------
        name : str
            The plot's name (``[plots.NAME]``), the title when ``spec.title`` is empty.
        spec : plot spec
            The ``[plots.NAME]`` table.
        experiment : Experiment
            The built experiment (protocol, network, parameters).
        recordings : dict of str -> array or SpikeEvents
            Each recording's array, rows every ``stride`` steps, or its spike events.
        steps : dict of str -> float
            Each recording's time between rows (ms).
        state : dict
            The final network state.
        """
        fig = Figure(figsize=(6.4, 4.0), layout="constrained")
        ax = fig.add_subplot()
        draw(ax, spec, experiment, recordings, steps, state)
        ax.set_title(spec.title or name)
        return fig

    return plot


def _traces(name, spec, experiment, recordings, steps, state) -> Figure:
    names = spec.recordings or [spec.recording]
    fig = Figure(figsize=(6.4, 1.6 + 1.4 * len(names)), layout="constrained")
    axes = fig.subplots(len(names), 1, sharex=True, squeeze=False)[:, 0]
    for ax, recording in zip(axes, names):
        variable = experiment.protocol.recordings[recording].variable
        voltage_traces(recordings[recording], steps[recording], ax=ax, ylabel=UNITS.get(variable, variable))
        ax.set_title(recording, fontsize="small")
    fig.suptitle(spec.title or name)
    return fig


PLOTTERS = {
    "raster": _one_panel(
        lambda ax, spec, e, r, steps, state: spike_raster(r[spec.recording], steps[spec.recording], ax=ax)
    ),
    "population_rate": _one_panel(
        lambda ax, spec, e, r, steps, state: population_rate(r[spec.recording], steps[spec.recording], ax=ax)
    ),
    "isi_histogram": _one_panel(
        lambda ax, spec, e, r, steps, state: isi_histogram(r[spec.recording], steps[spec.recording], ax=ax)
    ),
    "weight_matrix": _one_panel(
        lambda ax, spec, e, r, steps, state: weight_matrix(
            np.asarray(e.network.connectivity(e.params, state, spec.projection).to_dense()), ax=ax
        )
    ),
    "traces": _traces,
}


def draw_protocol_plots(run_dir, experiment, recordings: dict, state) -> list:
    """Draw every ``[plots.NAME]`` of the experiment's protocol into ``run_dir/NAME.png``.

    Parameters
    ----------
    run_dir : pathlib.Path
        The run folder.
    experiment : Experiment
        The built experiment (from :func:`~bioplastic.experiments.simulation.build.build_experiment`).
    recordings : dict of str -> array (rows, *neurons) or SpikeEvents
        Each recording's array, rows every ``stride`` steps of ``experiment.dt`` (ms), or
        its spikes as :class:`~bioplastic.analysis.spike_events.SpikeEvents`.
    state : dict
        The final network state (a weight matrix shows the learned weights).

    Returns
    -------
    list of pathlib.Path
        The written paths, in the order of the plots.

    Example
    -------
    >>> import pathlib, tempfile
    >>> from bioplastic.experiments import validate_protocol
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "p.toml").write_text('''
    ... name = "demo"
    ... [simulation]
    ... dt_ms = 0.1
    ... duration_ms = 1.0
    ... [model.populations.cells]
    ... neuron = "lif"
    ... size = 2
    ... [inputs.drive]
    ... target = "cells"
    ... type = "constant"
    ... current_mv = 30.0
    ... [recordings.spikes]
    ... population = "cells"
    ... variable = "spike"
    ... [plots.raster]
    ... type = "raster"
    ... recording = "spikes"
    ... ''')
    >>> experiment = validate_protocol(folder / "p.toml")
    >>> spikes = np.zeros((10, 2), bool)
    >>> spikes[[2, 7], [0, 1]] = True                         # 10 steps of 0.1 ms, 2 neurons
    >>> written = draw_protocol_plots(folder, experiment, {"spikes": spikes}, experiment.state)
    >>> [path.name for path in written], written[0].read_bytes()[1:4]
    (['raster.png'], b'PNG')
    """
    steps = {name: spec.stride * experiment.dt for name, spec in experiment.protocol.recordings.items()}
    written = []
    with bioplastic_style():
        for name, spec in experiment.protocol.plots.items():
            fig = PLOTTERS[spec.type](name, spec, experiment, recordings, steps, state)
            written.append(save_figure(fig, run_dir / f"{name}.png"))
    return written
