"""The shipped ``izhikevich_firing_patterns`` protocol: each preset under the stimulus that shows its signature.

One run of the protocol (300 ms of 7 neurons) with a spike recording added per population;
the spike times are checked against the patterns of Izhikevich (2003, Fig. 2; 2004, Fig. 1).
"""

import math
import tomllib

import numpy as np
import pytest

from bioplastic.analysis import spike_recordings
from bioplastic.experiments import run_protocol, validate_protocol
from bioplastic.experiments.simulation.plots import PLOTTERS
from bioplastic.neurons.izhikevich import PRESETS
from bioplastic.runs import read_npz
from toy_protocols import ROOT

PATH = ROOT / "protocols" / "izhikevich_firing_patterns.toml"
PROTOCOL = tomllib.loads(PATH.read_text())
DT_MS = PROTOCOL["simulation"]["dt_ms"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """Spike times (ms, the end of the step) and the membrane potential (mV) of each population."""
    names = list(PROTOCOL["model"]["populations"])
    extra = [f'recordings.{name}_spikes={{ population = "{name}", variable = "spike", format = "dense" }}'
             for name in names]
    run_dir = run_protocol(PATH, tmp_path_factory.mktemp("runs"), overrides=extra, progress=False)
    recordings = read_npz(run_dir / "recordings.npz")
    spikes = spike_recordings(recordings)
    times = {name: (np.flatnonzero(np.asarray(spikes[f"{name}_spikes"])[:, 0]) + 1) * DT_MS for name in names}
    voltages = {name: np.asarray(recordings[name])[:, 0] for name in names}
    return times, voltages


def _input(name):
    return PROTOCOL["inputs"][name]


def test_thalamo_cortical_is_silent_while_hyperpolarised_and_bursts_on_release(run):
    times, voltages = run
    t = times["thalamo_cortical"]
    down, up = _input("thalamo_cortical_hyperpolarise"), _input("thalamo_cortical_depolarise")
    release, tonic_from = down["stop_ms"], up["start_ms"]
    held = voltages["thalamo_cortical"][round(down["start_ms"] / DT_MS):round(release / DT_MS)]
    assert held.min() < -85.0                              # hyperpolarised near -87 mV (Izhikevich 2003)
    assert not np.any(t < release)                         # silent before and during the hyperpolarisation
    burst = t[(t >= release) & (t < tonic_from)]
    assert len(burst) >= 4 and burst[0] - release < 10.0   # a rebound burst right after release ...
    assert np.all(np.diff(burst[:4]) < 8.0)                # ... of closely spaced spikes (> 125 Hz)
    tonic = t[t >= tonic_from]
    assert len(tonic) >= 3 and np.all(np.diff(tonic) > 10.0)   # the tonic regime from rest: slow single spikes


def test_resonator_fires_for_pulses_at_its_resonant_period_and_not_off_it(run):
    times, _ = run
    t = times["resonator"]
    a, b = PRESETS["resonator"][:2]
    # at rest v = -62.5 mV the linearised system is v' = -u, u' = a (b v - u): a damped
    # oscillation of angular frequency sqrt(a b - a^2 / 4) (rad/ms)
    period_ms = 2.0 * math.pi / math.sqrt(a * b - a * a / 4.0)
    off, on = _input("resonator_off_resonance"), _input("resonator_at_resonance")
    assert 1000.0 / on["rate_hz"] == pytest.approx(period_ms, rel=0.05)
    assert 1000.0 / off["rate_hz"] == pytest.approx(period_ms / 2.0, rel=0.05)
    assert not np.any(t < on["start_ms"])                  # the doublet at half the period: no spike
    assert len(t) == 1 and on["stop_ms"] - 4.0 <= t[0] < on["stop_ms"] + 30.0   # at the period: one spike


@pytest.mark.parametrize("name, first_isis_below_ms, later_isis_above_ms", [
    ("intrinsically_bursting", 5.0, 20.0),                 # an initial burst, then single spikes
    ("regular_spiking", 10.0, 25.0),                       # spike-frequency adaptation: a short first ISI, then long
])
def test_step_driven_presets_start_fast_then_slow_down(run, name, first_isis_below_ms, later_isis_above_ms):
    times, _ = run
    isi = np.diff(times[name])
    assert isi[0] < first_isis_below_ms and np.all(isi[3:] > later_isis_above_ms)


def test_chattering_fires_repeated_bursts_and_fast_spiking_does_not_adapt(run):
    times, _ = run
    isi = np.diff(times["chattering"])
    assert np.sum(isi > 20.0) >= 2 and np.sum(isi < 5.0) >= 8          # bursts of fast spikes, long gaps between
    fast = np.diff(times["fast_spiking"])
    assert fast.max() < 1.2 * np.median(fast) and np.median(fast) < 10.0   # > 100 Hz, no gaps


def test_the_firing_patterns_figure_names_each_preset_its_stimulus_and_units():
    experiment = validate_protocol(PATH)
    spec = experiment.protocol.plots["firing_patterns"]
    names = spec.recordings
    fig = PLOTTERS["traces"]("firing_patterns", spec, experiment, {n: np.zeros((30, 1)) for n in names},
                             {n: 10.0 for n in names}, experiment.state)
    assert [ax.get_title(loc="left") for ax in fig.axes] == [
        "Regular spiking (RS): I = 14 mV/ms from 20 ms",
        "Intrinsically bursting (IB): I = 11 mV/ms from 20 ms",
        "Chattering (CH): I = 10 mV/ms from 20 ms",
        "Fast spiking (FS): I = 10 mV/ms from 20 ms",
        "Low-threshold spiking (LTS): I = 10 mV/ms from 20 ms",
        "Thalamo-cortical (TC): I = -25 mV/ms 20-120 ms; I = 1.5 mV/ms from 200 ms",
        "Resonator (RZ): 0.65 mV/ms for 4 ms every 20 ms, 40-64 ms; 0.65 mV/ms for 4 ms every 40 ms, 160-204 ms",
    ]
    assert {ax.get_ylabel() for ax in fig.axes} == {"v (mV)"}
    assert [ax.get_xlabel() for ax in fig.axes] == [""] * 6 + ["time (ms)"]


def test_the_population_rate_plot_states_its_smoothing_and_the_neurons_it_covers():
    experiment = validate_protocol(ROOT / "protocols" / "quickstart.toml", ["model.populations.exc.size=400",
                                                                           "model.populations.inh.size=100"])
    spec = experiment.protocol.plots["population_rate"]
    fig = PLOTTERS["population_rate"]("population_rate", spec, experiment, {"exc_spikes": np.zeros((100, 200))},
                                      {"exc_spikes": 0.1}, experiment.state)
    (ax,) = fig.axes
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("time (ms)", "population rate (Hz, boxcar 5 ms)")
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["Excitatory population: neurons 0-199 of 400"]
    assert ax.get_title() == "excitatory population rate"                  # the protocol's own title
    experiment.protocol.plots["population_rate"] = spec.model_copy(update={"title": None})
    fig = PLOTTERS["population_rate"]("population_rate", experiment.protocol.plots["population_rate"], experiment,
                                      {"exc_spikes": np.zeros((100, 200))}, {"exc_spikes": 0.1}, experiment.state)
    assert fig.axes[0].get_title() == "Excitatory population, spikes"    # none: what it draws, in words
