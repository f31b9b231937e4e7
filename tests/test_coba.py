"""The COBA network: healthy rate, every propagation route gives the same spikes, seeds."""

import jax
import numpy as np
import pytest

from bioplastic._checks import BadInput
from bioplastic.networks.coba import CobaNetwork
from bioplastic.simulation import Probe, simulate


def test_coba_4000_fires_near_20_hz():
    net = CobaNetwork(n=4000, p=0.02)
    params, state = net.build(jax.random.PRNGKey(0))
    n_synapses = sum(conn.n_synapses for conn in params["projections"].values())
    assert n_synapses == pytest.approx(4000 * 4000 * 0.02, rel=0.01)
    _, rates = net.run(params, state, duration_ms=500.0)
    mean_rate = float(np.mean(rates))
    assert 15.0 <= mean_rate <= 25.0, mean_rate
    exc, inh = float(np.mean(rates[: net.n_exc])), float(np.mean(rates[net.n_exc :]))
    assert 10.0 < exc < 30.0 and 10.0 < inh < 30.0


def test_uncoupled_network_fires_at_the_single_neuron_rate():
    """Zero weights: every neuron fires regularly at 1 / (tau_ref + tau ln(20/10)) = 1 / 18.86 ms."""
    net = CobaNetwork(n=400, p=0.2)
    params, state = net.build(jax.random.PRNGKey(1))
    params = {**params, "projections": {name: conn.with_weights(0.0) for name, conn in params["projections"].items()}}
    _, rates = net.run(params, state, duration_ms=1000.0)
    assert float(np.mean(rates)) == pytest.approx(1000.0 / (5.0 + 20.0 * np.log(2.0)), rel=0.03)


def test_every_propagation_route_gives_identical_spikes():
    """Pure-JAX events (with a buffer that overflows in bursts), brainevent's kernel and all rows."""
    key = jax.random.PRNGKey(2)
    rasters = []
    for propagation in ("events", "brainevent", "rows"):
        net = CobaNetwork(n=1000, p=0.08, propagation=propagation, max_events=8)
        params, state = net.build(key)
        _, rec = simulate(net.step, state, 1000, params=params, dt=net.dt, probes={"s": Probe("output")})
        rasters.append(np.asarray(rec["s"]))
    assert rasters[0].sum() > 100
    np.testing.assert_array_equal(rasters[0], rasters[1])
    np.testing.assert_array_equal(rasters[0], rasters[2])


def test_same_seed_same_network_and_spikes():
    runs = []
    for _ in range(2):
        net = CobaNetwork(n=500, p=0.16)
        params, state = net.build(jax.random.PRNGKey(7))
        runs.append(np.asarray(net.run(params, state, 100.0)[1]))
    np.testing.assert_array_equal(runs[0], runs[1])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(n=0), "CobaNetwork.n: got 0; allowed: a whole number >= 1"),
        (dict(p=0.0), "CobaNetwork.p: got 0.0; allowed: a finite number > 0"),
        (dict(dt=-0.1), "CobaNetwork.dt: got -0.1; allowed: a finite number > 0 (milliseconds)"),
        (dict(propagation="dense"), "CobaNetwork.propagation: got 'dense'; allowed: 'auto', 'events', 'brainevent', 'rows'"),
    ],
)
def test_bad_input_messages(kwargs, message):
    with pytest.raises(BadInput) as error:
        CobaNetwork(**kwargs)
    assert str(error.value) == message


def test_a_projection_with_an_unknown_route_is_refused():
    from bioplastic.networks.network import Projection

    with pytest.raises(BadInput) as error:
        Projection("rec", "exc", "exc", route="dense")
    assert str(error.value) == ("projection 'rec'.route: got 'dense'; "
                                "allowed: 'auto', 'events', 'brainevent', 'rows'")
