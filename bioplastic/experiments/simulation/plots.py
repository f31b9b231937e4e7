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
from bioplastic.plotting.names import readable_name, recording_title
from bioplastic.protocol.components import NEURONS
from bioplastic.plotting.style import bioplastic_style

#: The unit of each amplitude key of an input, as a panel title states it.
INPUT_UNITS = {"current_mv": "mV", "current_mv_per_ms": "mV/ms", "current": "", "current_ma": "mA",
               "current_ua": "uA/cm^2"}


def _variable_label(experiment, population: str, variable: str) -> str:
    """The y label of a recorded state variable: its name, and its unit as the neuron model states it."""
    model = experiment.network.population(population).model
    unit = str(model.state_units.get(variable, "model units"))
    return f"{variable} ({'unitless' if unit == '1' else unit})"


def _weight_label(experiment, projection: str) -> str:
    """The colour-bar label of a projection's weights: conductance relative to the leak, or the target's input unit."""
    spec = experiment.protocol.model.projections[projection]
    if "conductance" in spec.synapse.type:
        return "weight (g / g_leak)"
    unit = INPUT_UNITS[NEURONS.get(experiment.protocol.model.populations[spec.post].neuron).input_key]
    return f"weight ({unit}, as input current)" if unit else "weight (unitless)"


def _title(spec, experiment) -> str:
    """The default title of a plot: what it draws, in words (a recording's population and variable, a projection)."""
    if spec.projection is not None:
        return f"{readable_name(spec.projection)}, weights"
    recording = experiment.protocol.recordings[spec.recording]
    return recording_title(recording.population, recording.variable)


def _covered(experiment, recording: str) -> str:
    """Which neurons a recording holds: ``"Excitatory population: neurons 0-199 of 3200"``, or ``all 3200 neurons``."""
    spec = experiment.protocol.recordings[recording]
    size = experiment.network.population(spec.population).size
    if spec.neurons == "all":
        chosen = f"all {size} neurons"
    elif isinstance(spec.neurons, list):
        chosen = f"{len(spec.neurons)} of {size} neurons"
    else:
        chosen = f"neurons {spec.neurons.start}-{spec.neurons.stop - 1} of {size}"
    return f"{readable_name(spec.population)}: {chosen}"


def _stimulus(experiment, population: str) -> str:
    """The step, constant and periodic inputs a population receives, in words with units."""
    parts = []
    for spec in experiment.protocol.inputs.values():
        key = next((key for key in INPUT_UNITS if getattr(spec, key) is not None), None)
        if spec.target != population or key is None or isinstance(getattr(spec, key), list):
            continue
        amplitude = f"{getattr(spec, key):g} {INPUT_UNITS[key]}".strip()
        if spec.stop_ms is None:
            window = f"from {spec.start_ms:g} ms" if spec.start_ms > 0 else ""
        else:
            window = f"{spec.start_ms:g}-{spec.stop_ms:g} ms"
        if spec.type in ("step", "constant"):
            parts.append(f"I = {amplitude} {window}".strip())
        elif spec.type == "periodic":
            width = f" for {spec.width_ms:g} ms" if spec.width_ms is not None else ""
            parts.append(f"{amplitude}{width} every {1000.0 / spec.rate_hz:g} ms, {window}".strip(", "))
    return "; ".join(parts)


def _one_panel(draw):
    """A plotter drawing one Axes with ``draw(ax, spec, experiment, recordings, steps, state)``."""

    def plot(name, spec, experiment, recordings, steps, state) -> Figure:
        """A new one-Axes figure drawn by ``draw``, titled ``spec.title`` or what it draws, in words.

        Parameters
        ----------
        name : str
            The plot's name (``[plots.NAME]``).
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
        ax.set_title(spec.title or _title(spec, experiment))
        return fig

    return plot


def _traces(name, spec, experiment, recordings, steps, state) -> Figure:
    names = spec.recordings or [spec.recording]
    fig = Figure(figsize=(8.0, 1.6 + 1.4 * len(names)), layout="constrained")
    axes = fig.subplots(len(names), 1, sharex=True, squeeze=False)[:, 0]
    for ax, recording in zip(axes, names):
        recorded = experiment.protocol.recordings[recording]
        ylabel = _variable_label(experiment, recorded.population, recorded.variable)
        voltage_traces(recordings[recording], steps[recording], ax=ax, ylabel=ylabel)
        stimulus = _stimulus(experiment, recorded.population)
        title = recording_title(recorded.population, recorded.variable)
        if stimulus:
            title = f"{readable_name(recorded.population)}: {stimulus}"
        ax.set_title(title, fontsize="small", loc="left")
        if ax is not axes[-1]:
            ax.set_xlabel("")                                  # one time axis, under the last panel
    fig.suptitle(spec.title or readable_name(name))
    return fig


PLOTTERS = {
    "raster": _one_panel(
        lambda ax, spec, e, r, steps, state: spike_raster(r[spec.recording], steps[spec.recording], ax=ax)
    ),
    "population_rate": _one_panel(
        lambda ax, spec, e, r, steps, state: population_rate(r[spec.recording], steps[spec.recording], ax=ax,
                                                             label=_covered(e, spec.recording))
    ),
    "isi_histogram": _one_panel(
        lambda ax, spec, e, r, steps, state: isi_histogram(r[spec.recording], steps[spec.recording], ax=ax)
    ),
    "weight_matrix": _one_panel(
        lambda ax, spec, e, r, steps, state: weight_matrix(
            np.asarray(e.network.connectivity(e.params, state, spec.projection).to_dense()), ax=ax,
            label=_weight_label(e, spec.projection),
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
