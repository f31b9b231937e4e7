"""NWB export of a run folder: read back with pynwb, checked by nwbinspector, and its exact errors."""

import json
import shutil
import sys
import tomllib

import numpy as np
import pytest

pynwb = pytest.importorskip("pynwb")
nwbinspector = pytest.importorskip("nwbinspector")

from bioplastic._checks import BadInput  # noqa: E402
from bioplastic.analysis.spike_events import SpikeEvents, spike_recordings  # noqa: E402
from bioplastic.exchange.nwb_file import export_nwb  # noqa: E402
from bioplastic.experiments import run_protocol  # noqa: E402
from bioplastic.plotting._arrays import step_times_ms  # noqa: E402
from bioplastic.runs import read_npz  # noqa: E402

DT_MS = 0.5
TOY = f"""
name = "nwb_toy"
description = "A toy run for the NWB export."
seed = 7

[simulation]
dt_ms = {DT_MS}
duration_ms = 30.0

[model.populations.src]
neuron = "spike_source"
size = 3

[model.populations.cells]
neuron = "lif"
size = 4
params = {{ tau_ms = 10.0, v_rest_mv = -60.0, v_th_mv = -50.0, v_reset_mv = -60.0 }}

[model.populations.izh]
neuron = "izhikevich"
size = 2

[model.projections.ff]
pre = "src"
post = "cells"
weight = 1.0
connectivity = {{ type = "dense" }}
plasticity = {{ rule = "stdp", params = {{ a_plus = 0.01, a_minus = 0.012, tau_plus_ms = 20.0, tau_minus_ms = 20.0, w_min = 0.0, w_max = 2.0 }} }}

[inputs.noise]
target = "src"
type = "poisson"
rate_hz = 200.0
current = 1.0

[inputs.drive]
target = "cells"
type = "constant"
current_mv = 30.0

[inputs.izh_drive]
target = "izh"
type = "constant"
current_mv_per_ms = 10.0

[recordings.spikes]
population = "cells"
variable = "spike"

[recordings.spikes_dense]
population = "cells"
variable = "spike"
format = "dense"

[recordings.src_some]
population = "src"
variable = "spike"
neurons = [0, 2]

[recordings.v]
population = "cells"
variable = "v"
stride = 2
reduce = "mean"

[recordings.u]
population = "izh"
variable = "u"
stride = 3

[recordings.weights]
projection = "ff"
variable = "weight"
stride = 10
"""


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """``(run folder, its recordings, the NWB file)`` of one toy run."""
    folder = tmp_path_factory.mktemp("nwb")
    (folder / "toy.toml").write_text(TOY)
    run_dir = run_protocol(folder / "toy.toml", folder, progress=False)
    path = export_nwb(run_dir, folder / "toy.nwb")
    return run_dir, spike_recordings(read_npz(run_dir / "recordings.npz")), path


def _read(path):
    io = pynwb.NWBHDF5IO(str(path), "r")
    return io, io.read()


def test_spikes_are_the_units_table_event_and_dense_alike(exported):
    run_dir, recordings, path = exported
    io, nwbfile = _read(path)
    with io:
        units = nwbfile.units.to_dataframe()
        assert nwbfile.units.resolution == DT_MS / 1000.0
        dense_events = SpikeEvents.from_dense(recordings["spikes_dense"])
        for name, events, neurons in (("spikes", recordings["spikes"], [0, 1, 2, 3]),
                                      ("spikes_dense", dense_events, [0, 1, 2, 3]),
                                      ("src_some", recordings["src_some"], [0, 2])):
            rows = units[units.recording == name]
            assert rows.neuron.tolist() == neurons
            assert set(rows.population) == ({"src"} if name == "src_some" else {"cells"})
            for column, times in enumerate(rows.spike_times):
                expected = events.times_ms(DT_MS)[events.neurons == column] / 1000.0
                np.testing.assert_array_equal(times, expected)
        assert len(recordings["spikes"]) > 0 and len(recordings["src_some"]) > 0     # the toy does spike
        event_times = units[units.recording == "spikes"].spike_times.tolist()
        dense_times = units[units.recording == "spikes_dense"].spike_times.tolist()
        assert all(np.array_equal(a, b) for a, b in zip(event_times, dense_times))


def test_sampled_recordings_are_time_series_with_units_and_times(exported):
    run_dir, recordings, path = exported
    io, nwbfile = _read(path)
    with io:
        expected = {"v": (nwbfile.acquisition, "mV", 2), "u": (nwbfile.acquisition, "mV/ms", 3),
                    "weights": (nwbfile.processing["misc"].data_interfaces, "mV", 10)}
        for name, (group, unit, stride) in expected.items():
            series = group[name]
            np.testing.assert_array_equal(series.data[:], recordings[name])
            assert series.unit == unit
            assert series.get_timestamps().tolist() == pytest.approx(
                step_times_ms(recordings[name].shape[0], DT_MS, stride=stride) / 1000.0, rel=1e-12)
        assert "spikes_dense" not in nwbfile.acquisition and "spikes" not in nwbfile.acquisition


def test_protocol_manifest_and_seed_round_trip(exported):
    run_dir, _, path = exported
    io, nwbfile = _read(path)
    with io:
        assert nwbfile.protocol == (run_dir / "protocol.toml").read_text()
        assert tomllib.loads(nwbfile.protocol)["seed"] == 7
        manifest = json.loads((run_dir / "manifest.json").read_text())
        assert json.loads(nwbfile.notes) == manifest and manifest["seed"] == 7
        assert nwbfile.identifier == run_dir.name
        assert nwbfile.session_start_time.isoformat() == manifest["started"]


def test_nwbinspector_finds_nothing_but_what_a_run_folder_cannot_know(exported):
    messages = list(nwbinspector.inspect_nwbfile(nwbfile_path=str(exported[2])))
    # A simulated network has no species, sex or age, and a run folder names no experimenter or institution.
    assert sorted(message.check_function_name for message in messages) == [
        "check_experimenter_exists", "check_institution", "check_subject_age", "check_subject_sex",
        "check_subject_species_exists"]
    assert max(message.importance.value for message in messages) < nwbinspector.Importance.ERROR.value


def test_the_subject_says_there_is_no_animal(exported):
    with pynwb.NWBHDF5IO(str(exported[2]), "r") as io:
        subject = io.read().subject
        assert subject.description.startswith("no animal: a network simulated by bioplastic")


def test_overwrite(exported, tmp_path):
    run_dir, _, _ = exported
    path = tmp_path / "again.nwb"
    path.write_text("old")
    with pytest.raises(BadInput) as error:
        export_nwb(run_dir, path)
    assert str(error.value) == (f"--nwb {path}: got an existing file; allowed: a new file, or overwrite=True "
                                "(--overwrite) to replace it")
    assert export_nwb(run_dir, path, overwrite=True) == path
    io, nwbfile = _read(path)
    with io:
        assert nwbfile.identifier == run_dir.name


def _copy_with(run_dir, tmp_path, status=None, protocol=None, drop=None):
    copy = tmp_path / run_dir.name
    shutil.copytree(run_dir, copy)
    if status is not None:
        manifest = json.loads((copy / "manifest.json").read_text())
        (copy / "manifest.json").write_text(json.dumps({**manifest, "status": status}))
    if protocol is not None:
        (copy / "protocol.toml").write_text(protocol)
    if drop is not None:
        (copy / drop).unlink()
    return copy


def test_exact_errors(exported, tmp_path):
    run_dir, _, _ = exported
    out = tmp_path / "x.nwb"
    cases = [
        ((run_dir, tmp_path / "x.h5"), f"--nwb {tmp_path / 'x.h5'}: got a file name ending '.h5'; "
                                       "allowed: a file name ending .nwb"),
        ((run_dir, tmp_path / "x"), f"--nwb {tmp_path / 'x'}: got a file name without a suffix; "
                                    "allowed: a file name ending .nwb"),
        ((run_dir, tmp_path / "no" / "x.nwb"), f"--nwb {tmp_path / 'no' / 'x.nwb'}: got a file in {tmp_path / 'no'}, "
                                               "which is not a folder; allowed: a file in an existing folder"),
        ((tmp_path / "missing", out), f"{tmp_path / 'missing'}: got no folder; allowed: a run folder made by "
                                      "bioplastic run"),
        ((tmp_path, out), f"{tmp_path}: got a folder without protocol.toml and manifest.json; allowed: a run folder "
                          "made by bioplastic run"),
    ]
    stopped = _copy_with(run_dir, tmp_path / "stopped", status="interrupted")
    cases.append(((stopped, out), f"{stopped}: got a run whose manifest.json says status 'interrupted'; allowed: a "
                                  f"finished run (status 'completed'); resume a stopped one with bioplastic run "
                                  f"PROTOCOL --resume {stopped}"))
    training = _copy_with(run_dir, tmp_path / "training", protocol='name = "t"\n[training]\nepochs = 1\n')
    cases.append(((training, out), f"{training}: got a run of a training protocol; allowed: a run of a simulation "
                                   "protocol (the other kinds keep no spike or sampled recordings)"))
    broken = _copy_with(run_dir, tmp_path / "broken", protocol="name = ")
    cases.append(((broken, out), f"{broken}: got a run folder whose protocol.toml or manifest.json cannot be read "
                                 "(TOMLDecodeError); allowed: a run folder made by bioplastic run, as it wrote them"))
    empty = _copy_with(run_dir, tmp_path / "empty", drop="recordings.npz")
    cases.append(((empty, out), f"{empty}: got a run without recordings (no [recordings] table, or no "
                                "recordings.npz); allowed: a run of a protocol with at least one [recordings.NAME] "
                                "table"))
    for arguments, message in cases:
        with pytest.raises(BadInput) as error:
            export_nwb(*arguments)
        assert str(error.value) == message
    assert not out.exists()


def test_without_pynwb_says_which_extra_to_install(exported, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pynwb", None)              # import pynwb now raises ImportError
    with pytest.raises(BadInput) as error:
        export_nwb(exported[0], tmp_path / "x.nwb")
    assert str(error.value) == ('bioplastic export --nwb: got no pynwb (the optional extra nwb is not installed); '
                                'allowed: pip install "bioplastic[nwb]"')
