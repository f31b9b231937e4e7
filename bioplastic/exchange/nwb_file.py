"""A finished simulation run folder as a Neurodata Without Borders (NWB) file, through ``pynwb``.

What goes where (times in seconds from the start of the simulation, as NWB wants them):

- the spikes of every spike recording (events, or a dense 0/1 recording of a spiking
  population) go to the **Units** table: one unit per recorded neuron, with its
  ``spike_times`` (the end of the step of each spike, as
  :meth:`~bioplastic.analysis.spike_events.SpikeEvents.times_ms` has it), its
  ``population``, its ``neuron`` index within the population and the ``recording`` it
  came from, observed over ``[0, duration]`` (``obs_intervals``); the table's
  ``resolution`` is the step ``dt``;
- every other recording of a population's variable (voltages, recovery variables, rates,
  summed or averaged spikes, ...) is a **TimeSeries** in ``acquisition``, named as the
  recording, data ``(rows, recorded neurons)`` as stored, its unit the neuron type's
  (``state_units``; an output in the unit of its spike or rate variable), regularly sampled:
  row ``n`` at ``(n + 1) * stride * dt``, the end of its last step (``starting_time`` and
  ``rate``); the description says the population, the neurons and the stride's reduction;
- recordings of a plastic projection (its weights, ``(rows, n_pre, max_out)``, or a field
  of its rule's state) are TimeSeries of the same timing in the processing module
  ``misc``; weights are in the unit of the target's input (``input_unit``) for
  current synapses and relative to the leak (``1``) for conductance synapses; a rule's
  state has no unit the code states (``n/a``: see the rule's documentation);
  the module is named ``misc``, one of the schema's module names, as nwbinspector asks;
- metadata: ``identifier`` and ``session_id`` are the run folder's name,
  ``session_start_time`` the manifest's ``started`` (with its UTC offset),
  ``session_description`` the protocol's name and description, ``experiment_description``
  the kind of protocol and the command that ran it, ``protocol`` the text of
  ``protocol.toml`` as the run resolved it (seed included) and ``notes`` the text of
  ``manifest.json`` (versions, seed, times, status, git commit); ``keywords`` are
  ``bioplastic``, ``simulation`` and the protocol's name.

Only finished (``status`` ``completed``) runs of simulation protocols are exported: the
other kinds keep no spike or sampled recordings (their results are accuracies, readouts,
weights and per-second summaries). The ``Subject`` says that there is no animal: its
``subject_id`` is the protocol's name and its description names the model. nwbinspector
then reports no error; what remains are its best-practice notes that the subject has no
species, sex or age, and its suggestions ``check_experimenter_exists`` and ``check_institution``,
which a run folder cannot know. (On a file whose recordings hold no spike at all,
nwbinspector 0.7.2's own table checks fail on the empty ``spike_times`` column and say
so as errors "During evaluation of ...": pynwb reads such a file.)

Example
-------
>>> import pathlib, tempfile
>>> from pynwb import NWBHDF5IO
>>> from bioplastic.cli import PROTOCOLS_DIR
>>> from bioplastic.experiments import run_protocol
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> run_dir = run_protocol(PROTOCOLS_DIR / "lif_single.toml", folder, ["simulation.duration_ms=10"], progress=False)
>>> path = export_nwb(run_dir, folder / "lif.nwb")
>>> with NWBHDF5IO(path, "r") as io:
...     nwbfile = io.read()
...     v = nwbfile.acquisition["v"]
...     print(v.data.shape, v.unit, v.rate, len(nwbfile.units))          # 100 steps of 0.1 ms, one neuron
(100, 1) mV 10000.0 1
"""

from __future__ import annotations

import datetime
import json
import pathlib

import numpy as np

from bioplastic._checks import BadInput
from bioplastic.analysis.spike_events import SpikeEvents, spike_recordings
from bioplastic.exchange.run_folder import finished_run, output_path
from bioplastic.experiments.simulation.build import SPIKE_VARIABLES
from bioplastic.networks.network import Population
from bioplastic.protocol.components import NEURONS
from bioplastic.runs import read_npz

PLASTICITY_MODULE = "misc"          # a schema module name, as nwbinspector recommends
CONDUCTANCE_SYNAPSE = "exponential_conductance"


def export_nwb(run_dir, path, *, overwrite: bool = False) -> pathlib.Path:
    """Write the finished simulation run in ``run_dir`` as the NWB file ``path``; return its path.

    See the module docstring for what goes where. Every check is made before the file is
    opened, so a bad call leaves nothing behind.

    Parameters
    ----------
    run_dir : str or pathlib.Path
        A run folder that ``bioplastic run`` finished (manifest status ``completed``) for a
        simulation protocol with at least one recording.
    path : str or pathlib.Path
        The file to write; its name ends ``.nwb``.
    overwrite : bool
        Replace ``path`` if it exists (otherwise an existing file is an error).

    Raises
    ------
    BadInput
        ``pynwb`` is not installed (``pip install "bioplastic[nwb]"``), ``path`` does not
        end ``.nwb`` or exists without ``overwrite``, ``run_dir`` is missing, not a run
        folder, not finished, not a simulation run or has no recordings.

    Example
    -------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> export_nwb(folder, folder / "out.h5")                          # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: --nwb .../out.h5: got a file name ending '.h5'; allowed: a file name ending .nwb
    >>> export_nwb(folder / "missing", folder / "out.nwb")              # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: .../missing: got no folder; allowed: a run folder made by bioplastic run
    """
    pynwb = _pynwb()
    path = output_path(path, overwrite, "--nwb", ".nwb")
    run_dir, protocol_text, manifest, protocol, _ = finished_run(
        run_dir, ("simulation",),
        "a run of a simulation protocol (the other kinds keep no spike or sampled recordings)")
    recordings = _recordings(run_dir, protocol)
    nwbfile = pynwb.NWBFile(
        session_description=f"{protocol.name}: {protocol.description}" if protocol.description else protocol.name,
        identifier=run_dir.name,
        session_id=run_dir.name,
        session_start_time=datetime.datetime.fromisoformat(manifest["started"]),
        experiment_description=f"A bioplastic simulation protocol run by "
                               f"{' '.join(manifest.get('command') or ['bioplastic.experiments.run_protocol'])} "
                               f"(protocol file {manifest.get('protocol_file')}).",
        protocol=protocol_text,
        notes=json.dumps(manifest, indent=2),
        keywords=["bioplastic", "simulation", protocol.name],
        subject=pynwb.file.Subject(subject_id=protocol.name, description="no animal: a network simulated by "
                                   "bioplastic, the model and its inputs as in this file's protocol"),
    )
    dt_ms = protocol.simulation.dt_ms
    spikes = {name: r for name, r in recordings.items() if isinstance(r, SpikeEvents)}
    if spikes:
        nwbfile.units = _units_table(dt_ms)
        _add_units(nwbfile, spikes, protocol, dt_ms)
    for name, data in recordings.items():
        if name in spikes:
            continue
        series = _time_series(pynwb, name, data, protocol, dt_ms)
        if protocol.recordings[name].projection is None:
            nwbfile.add_acquisition(series)
        else:
            if PLASTICITY_MODULE not in nwbfile.processing:
                nwbfile.create_processing_module(PLASTICITY_MODULE, "weights and learning-rule state of plastic "
                                                                    "projections, as recorded during the run")
            nwbfile.processing[PLASTICITY_MODULE].add(series)
    with pynwb.NWBHDF5IO(str(path), "w") as io:
        io.write(nwbfile)
    return path


def _pynwb():
    try:
        import pynwb
    except ImportError:
        raise BadInput("bioplastic export --nwb", "no pynwb (the optional extra nwb is not installed)",
                       'pip install "bioplastic[nwb]"') from None
    return pynwb


def _recordings(run_dir: pathlib.Path, protocol) -> dict:
    """The protocol's recordings by name, in its order; the spikes of a dense spike recording as SpikeEvents."""
    stored = run_dir / "recordings.npz"
    if not protocol.recordings or not stored.is_file():
        raise BadInput(str(run_dir), "a run without recordings (no [recordings] table, or no recordings.npz)",
                       "a run of a protocol with at least one [recordings.NAME] table")
    arrays = spike_recordings(read_npz(stored))
    recordings = {}
    for name, spec in protocol.recordings.items():
        recording = arrays[name]
        if not isinstance(recording, SpikeEvents) and _spikes_each_step(spec, protocol):
            recording = SpikeEvents.from_dense(recording)
        recordings[name] = recording
    return recordings


def _spikes_each_step(spec, protocol) -> bool:
    """Whether a recording holds the spikes of a spiking population, step by step (as events or dense 0/1)."""
    return (spec.population is not None and spec.variable in SPIKE_VARIABLES and spec.stride == 1
            and spec.reduce == "sample" and _population(protocol, spec.population).spiking)


def _population(protocol, name: str) -> Population:
    spec = protocol.model.populations[name]
    return Population(name, NEURONS.get(spec.neuron).make(**spec.options), spec.size)


def _neurons(spec, size: int) -> list[int]:
    """The indices within its population of the neurons a recording kept (its columns)."""
    if spec.neurons == "all":
        return list(range(size))
    if isinstance(spec.neurons, list):
        return list(spec.neurons)
    return list(range(spec.neurons.start, spec.neurons.stop))


def _add_units(nwbfile, spikes: dict, protocol, dt_ms: float) -> None:
    """One unit per neuron of each spike recording, observed over the whole run."""
    for name, events in spikes.items():
        spec = protocol.recordings[name]
        times_s = events.times_ms(dt_ms) / 1000.0
        duration_s = events.n_steps * dt_ms / 1000.0
        for column, neuron in enumerate(_neurons(spec, protocol.model.populations[spec.population].size)):
            nwbfile.add_unit(spike_times=times_s[events.neurons == column], obs_intervals=[[0.0, duration_s]],
                             population=spec.population, neuron=neuron, recording=name)


def _units_table(dt_ms: float):
    from pynwb.misc import Units

    units = Units(name="units", description="the recorded neurons of the simulation, one unit each; a spike is "
                  "stamped with the end of its time step", resolution=dt_ms / 1000.0)
    units.add_column("population", "the population the neuron belongs to")
    units.add_column("neuron", "the neuron's index within its population, from 0")
    units.add_column("recording", "the protocol's recording ([recordings.NAME]) that kept its spikes")
    return units


def _time_series(pynwb, name: str, data: np.ndarray, protocol, dt_ms: float):
    """A recording of ``stride`` steps per row as a regularly sampled TimeSeries (rows at the end of their last step)."""
    spec = protocol.recordings[name]
    period_s = spec.stride * dt_ms / 1000.0
    unit, what = _unit_and_subject(spec, protocol)
    reduction = {"sample": "the value at the last step", "sum": "the sum over the steps",
                 "mean": "the mean over the steps"}[spec.reduce]
    description = (f"{what}; one row every {spec.stride} step(s) of {dt_ms:g} ms: {reduction}, stamped with the end of "
                   f"the last step")
    return pynwb.TimeSeries(name=name, data=data, unit=unit, starting_time=period_s, rate=1.0 / period_s,
                            description=description)


def _unit_and_subject(spec, protocol) -> tuple[str, str]:
    """The unit of a recording and what it holds, in words."""
    if spec.projection is not None:
        projection = protocol.model.projections[spec.projection]
        if spec.variable != "weight":
            return "n/a", (f"{spec.variable} of projection {spec.projection!r} (learning rule "
                           f"{projection.plasticity.rule!r}; its unit is given with the rule), per presynaptic neuron")
        if projection.synapse.type == CONDUCTANCE_SYNAPSE:
            unit = "1"
        else:
            unit = str(_population(protocol, projection.post).model.input_unit)
        return unit, (f"weights of projection {spec.projection!r} ({projection.pre} -> {projection.post}, "
                      f"{projection.synapse.type} synapses): (rows, presynaptic neuron, slot of its out-list), the "
                      f"targets of each slot are in weights.npz of the run folder")
    population = _population(protocol, spec.population)
    variable = spec.variable
    if variable in SPIKE_VARIABLES:
        variable = "spike" if population.spiking else "rate"
    neurons = spec.neurons if spec.neurons == "all" else _neurons(spec, population.size)
    return (str(population.model.state_units[variable]),
            f"{spec.variable} of population {spec.population!r} ({protocol.model.populations[spec.population].neuron}),"
            f" neurons {neurons} (columns)")
