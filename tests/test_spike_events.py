"""Spikes recorded as events: the same spikes as the dense recording, none dropped, read by every spike plot."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bioplastic._checks import BadInput
from bioplastic.analysis import SpikeEvents, spike_recordings
from bioplastic.experiments import run_protocol, validate_protocol
from bioplastic.neurons.lif import LIF
from bioplastic.plotting import interspike_intervals_ms, population_rate_hz, spike_raster
from bioplastic.protocol.errors import ProtocolError
from bioplastic.runs import read_npz
from bioplastic.simulation import Poisson, Probe, simulate

from toy_protocols import ROOT, TOY

NEURONS = (0, 3, 4, 9)          # not a range: the probe gathers


def _lif_run(probes, n_steps=3000):
    model = LIF()
    params = model.params(tau_ref_ms=2.0)
    state = model.init(params, 10, jax.random.PRNGKey(0))
    drive = Poisson(rate_hz=jnp.linspace(2000.0, 6000.0, 10), weight=60.0, shape=10, key=jax.random.PRNGKey(1))
    return simulate(model.step, state, n_steps, params=params, drive=drive, dt=0.1, probes=probes, start_step=7)


def test_events_are_the_nonzero_entries_of_the_dense_recording_in_step_then_neuron_order():
    _, rec = _lif_run({"dense": Probe("output", neurons=NEURONS),
                       "events": Probe("output", neurons=NEURONS, reduce="events", capacity=5000)})
    dense = np.asarray(rec["dense"])
    steps, neurons = np.nonzero(dense)
    events = rec["events"]
    count = int(events.count)
    assert count == steps.size > 50                      # several spikes per neuron
    np.testing.assert_array_equal(np.asarray(events.steps[:count]), steps + 7)     # global step: start_step + row
    np.testing.assert_array_equal(np.asarray(events.neurons[:count]), neurons)


def test_a_full_buffer_keeps_the_first_events_and_counts_them_all():
    _, rec = _lif_run({"all": Probe("output", reduce="events", capacity=5000),
                       "few": Probe("output", reduce="events", capacity=20)})
    every, few = rec["all"], rec["few"]
    assert int(few.count) == int(every.count) > 20
    np.testing.assert_array_equal(few.steps, every.steps[:20])
    np.testing.assert_array_equal(few.neurons, every.neurons[:20])


COBA = ROOT / "protocols" / "coba.toml"


def test_a_protocol_keeps_the_same_spikes_as_events_as_dense_and_loses_none_when_a_chunk_overflows(tmp_path, monkeypatch):
    import bioplastic.experiments.simulation.build as build

    overrides = TOY["coba"]
    as_events = spike_recordings(read_npz(run_protocol(COBA, tmp_path, overrides, progress=False) / "recordings.npz"))
    as_dense = spike_recordings(read_npz(
        run_protocol(COBA, tmp_path, overrides + ["recordings.exc_spikes.format=dense"], progress=False) / "recordings.npz"))
    events, dense = as_events["exc_spikes"], as_dense["exc_spikes"]
    assert isinstance(events, SpikeEvents) and dense.dtype == np.float32 and len(events) > 20
    np.testing.assert_array_equal(events.to_dense(np.float32), dense)
    np.testing.assert_array_equal(as_events["exc_v"], as_dense["exc_v"])
    # Room for 3 spikes per chunk: every chunk overflows, runs again with room, and keeps all.
    monkeypatch.setattr(build, "events_capacity", lambda n_neurons, steps, dt_ms: 3)
    assert validate_protocol(COBA, overrides).probes["recording.exc_spikes"].capacity == 3
    cramped = spike_recordings(read_npz(run_protocol(COBA, tmp_path, overrides, progress=False) / "recordings.npz"))
    np.testing.assert_array_equal(cramped["exc_spikes"].steps, events.steps)
    np.testing.assert_array_equal(cramped["exc_spikes"].neurons, events.neurons)


def test_events_are_for_spikes_only():
    with pytest.raises(ProtocolError) as error:
        validate_protocol(COBA, TOY["coba"] + ["recordings.exc_v.format=events"])
    assert str(error.value).endswith(
        "recordings.exc_v.format: got 'events'; allowed: 'dense', or 'events' for the spikes of a spiking population "
        "(variable 'spike', stride 1, reduce 'sample')")


def test_every_spike_plot_draws_the_same_from_events_as_from_the_dense_array():
    rng = np.random.default_rng(3)
    dense = (rng.random((400, 6)) < 0.05).astype(np.float32)
    events = SpikeEvents.from_dense(dense)
    np.testing.assert_array_equal(spike_raster(events, 0.1, neurons=[1, 4]).collections[0].get_offsets(),
                                  spike_raster(dense, 0.1, neurons=[1, 4]).collections[0].get_offsets())
    for a, b in zip(population_rate_hz(events, 0.1), population_rate_hz(dense, 0.1)):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(interspike_intervals_ms(events, 0.1), interspike_intervals_ms(dense, 0.1))
    silent = SpikeEvents(np.zeros(0), np.zeros(0), n_steps=400, n_neurons=6)      # a silent recording still has a span
    assert population_rate_hz(silent, 0.1)[1].sum() == 0 and interspike_intervals_ms(silent, 0.1).size == 0


def test_a_call_too_large_for_the_event_count_is_refused_while_tracing():
    from bioplastic.simulation import lower_simulation

    def silent(params, x, drive, dt):
        return x, x

    with pytest.raises(BadInput) as error:     # 2^16 neurons x 2^15 steps: 2^31 neuron-steps
        lower_simulation(silent, jnp.zeros(2**16), 2**15, probes={"s": Probe("output", reduce="events", capacity=10)})
    assert str(error.value) == ("Probe('output'): got 32768 steps of 65536 neurons in one call; allowed: fewer than "
                                "2^31 neuron-steps per call for events (split the run into chunks)")
