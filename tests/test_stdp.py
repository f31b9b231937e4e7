"""STDP against its closed-form window, bounds, the reward-modulated form, and in a protocol."""


import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bioplastic._checks import BadInput
from bioplastic.runs import read_npz
from bioplastic.rules import reward_modulated_stdp, stdp
from bioplastic.rules.events import incoming, weight_change
from bioplastic.experiments import run_protocol
from bioplastic.synapses.connectivity import dense, fixed_probability

A_PLUS, A_MINUS, TAU_PLUS, TAU_MINUS = 0.01, 0.012, 17.0, 34.0


def run_rule(rule, conn, pre, post, **signals):
    """Total weight change of a rule over spike trains (time, n) -- weights held fixed."""

    def body(state, inputs):
        p, q, extra = inputs
        delta, state = rule.update(state, conn, pre=p, post=q, **extra)
        return state, weight_change(delta, conn)

    _, deltas = jax.lax.scan(body, rule.init(conn), (pre, post, signals))
    return deltas


@pytest.mark.parametrize("lag_ms", [-40, -12, -1, 1, 5, 25, 60])
def test_pair_window_equals_closed_form(lag_ms):
    rule = stdp(A_PLUS, A_MINUS, TAU_PLUS, TAU_MINUS, w_min=-10.0, w_max=10.0, dt_ms=1.0)
    conn = dense(1, 1, 0.0)
    pre, post = np.zeros((200, 1), np.float32), np.zeros((200, 1), np.float32)
    pre[80, 0] = 1.0
    post[80 + lag_ms, 0] = 1.0
    total = float(run_rule(rule, conn, jnp.asarray(pre), jnp.asarray(post)).sum())
    if lag_ms > 0:
        expected = A_PLUS * np.exp(-lag_ms / TAU_PLUS)
    else:
        expected = -A_MINUS * np.exp(lag_ms / TAU_MINUS)
    assert total == pytest.approx(expected, rel=1e-5)


def test_padded_out_lists_match_a_dense_reference():
    key = jax.random.PRNGKey(0)
    conn = fixed_probability(key, 30, 20, 0.3, 0.5)
    pre = (jax.random.uniform(jax.random.PRNGKey(1), (300, 30)) < 0.05).astype(jnp.float32)
    post = (jax.random.uniform(jax.random.PRNGKey(2), (300, 20)) < 0.05).astype(jnp.float32)
    rule = stdp(A_PLUS, A_MINUS, TAU_PLUS, TAU_MINUS, w_min=-10.0, w_max=10.0, dt_ms=1.0)
    deltas = run_rule(rule, conn, pre, post).sum(axis=0)
    ell_dense = np.zeros((30, 21))
    np.add.at(ell_dense, (np.repeat(np.arange(30), conn.max_out), np.asarray(conn.targets).ravel()), np.asarray(deltas).ravel())
    # Reference: all pairs, weighted by the exponential window, on the dense matrix.
    x, y, reference = np.zeros(30), np.zeros(20), np.zeros((30, 20))
    for p, q in zip(np.asarray(pre), np.asarray(post)):
        x = x * np.exp(-1 / TAU_PLUS) + p
        y = y * np.exp(-1 / TAU_MINUS) + q
        reference += A_PLUS * np.outer(x, q) - A_MINUS * np.outer(p, y)
    mask = np.asarray(conn.to_dense()) > 0
    np.testing.assert_allclose(ell_dense[:, :20][mask], reference[mask], rtol=1e-4, atol=1e-7)
    assert np.all(ell_dense[:, :20][~mask] == 0)


def test_hard_bounds_hold():
    rule = stdp(0.3, 0.0, TAU_PLUS, TAU_MINUS, w_min=0.0, w_max=1.0, dt_ms=1.0)
    conn = dense(1, 1, 0.9)
    state = rule.init(conn)
    for _ in range(5):
        delta, state = rule.update(state, conn, pre=jnp.ones(1), post=jnp.ones(1))
        conn = conn.with_weights(conn.weights + weight_change(delta, conn))
        assert 0.0 <= float(conn.weights[0, 0]) <= 1.0
    assert float(conn.weights[0, 0]) == 1.0


def test_reward_modulated_stdp_needs_the_modulator_and_follows_the_eligibility():
    tau_e, lr = 200.0, 0.5
    rule = reward_modulated_stdp(A_PLUS, A_MINUS, TAU_PLUS, TAU_MINUS, w_min=-10.0, w_max=10.0,
                                 tau_eligibility_ms=tau_e, learning_rate=lr, dt_ms=1.0)
    assert rule.signals == ("modulator",)
    conn = dense(1, 1, 0.0)
    with pytest.raises(TypeError, match="modulator"):
        rule.update(rule.init(conn), conn, pre=jnp.ones(1), post=jnp.ones(1))
    pre, post, reward = np.zeros((400, 1), np.float32), np.zeros((400, 1), np.float32), np.zeros(400, np.float32)
    pre[10, 0], post[20, 0], reward[120] = 1.0, 1.0, 2.0  # pre -> post 10 ms, reward 100 ms after the post spike
    deltas = run_rule(rule, conn, jnp.asarray(pre), jnp.asarray(post), modulator=jnp.asarray(reward))
    expected = lr * 2.0 * A_PLUS * np.exp(-10 / TAU_PLUS) * np.exp(-100 / tau_e)
    assert float(deltas.sum()) == pytest.approx(expected, rel=1e-4)
    silent = run_rule(rule, conn, jnp.asarray(pre), jnp.asarray(post), modulator=jnp.zeros(400))
    assert float(jnp.abs(silent).sum()) == 0.0


def test_bad_rule_parameters():
    with pytest.raises(BadInput, match=r"^tau_plus_ms: got 0.0; allowed: a finite number > 0 \(ms\)$"):
        stdp(tau_plus_ms=0.0, dt_ms=1.0)
    with pytest.raises(BadInput, match=r"^w_max: got 0.0; allowed: a bound >= w_min = 1.0$"):
        stdp(w_min=1.0, w_max=0.0, dt_ms=1.0)


PLASTIC = """
name = "plastic"
seed = 3
metrics = ["mean_rate_hz", "mean_weight"]
[simulation]
dt_ms = 0.5
duration_ms = DURATION
chunk_ms = 10.0
[model.populations.inputs]
neuron = "lif"
size = 40
params = { tau_ms = 10.0, tau_ref_ms = 2.0 }
[model.populations.cell]
neuron = "lif"
size = 4
[model.projections.ff]
pre = "inputs"
post = "cell"
weight = 0.5
connectivity = { type = "dense" }
synapse = { type = "exponential_conductance", tau_ms = 5.0, reversal_mv = 0.0 }
plasticity = PLASTICITY
[inputs.noise]
target = "inputs"
type = "poisson"
rate_hz = 400.0
current_mv = 150.0
[plots.weights]
type = "weight_matrix"
projection = "ff"
"""


def write(tmp_path, name, duration, plasticity, extra=""):
    path = tmp_path / f"{name}.toml"
    path.write_text(PLASTIC.replace("DURATION", str(duration)).replace("PLASTICITY", plasticity) + extra)
    return path


def final_weights(run_dir):
    return read_npz(run_dir / "weights.npz")["ff.weights"]


def test_plasticity_off_in_a_phase_freezes_the_weights(tmp_path):
    rule = '{ rule = "stdp", params = { a_plus = 0.05, a_minus = 0.04, w_max = 1.0 } }'
    learn_only = run_protocol(write(tmp_path, "learn", 40.0, rule), tmp_path / "a", progress=False)
    phases = '\n[learning]\nphases = [{ name = "learn", duration_ms = 40.0 }, { name = "test", duration_ms = 40.0, plasticity = false }]\n'
    learn_then_test = run_protocol(write(tmp_path, "phased", 80.0, rule, phases), tmp_path / "b", progress=False)
    learned = final_weights(learn_only)
    assert not np.allclose(learned, 0.5)
    np.testing.assert_array_equal(final_weights(learn_then_test), learned)
    assert (learn_then_test / "weights.png").exists()


def test_reward_stdp_in_a_protocol_changes_weights_only_when_rewarded(tmp_path):
    rule = '{ rule = "reward_stdp", params = { learning_rate = 0.5, w_max = 2.0 } }'
    silent = '\n[signals.modulator]\ntype = "constant"\nvalue = 0.0\n'
    rewarded = '\n[signals.modulator]\ntype = "step"\nvalue = 1.0\nstart_ms = 20.0\n'
    unchanged = run_protocol(write(tmp_path, "silent", 40.0, rule, silent), tmp_path / "a", progress=False)
    changed = run_protocol(write(tmp_path, "rewarded", 40.0, rule, rewarded), tmp_path / "b", progress=False)
    np.testing.assert_array_equal(final_weights(unchanged), 0.5)
    assert not np.allclose(final_weights(changed), 0.5)


@pytest.mark.parametrize("connectivity", ["fixed_probability", "fixed_out_degree"])
def test_spike_triggered_changes_equal_the_dense_route_step_by_step(connectivity):
    """Weights learned by visiting only the synapses of spiking neurons equal adding the dense change,
    and do not depend on how many spikes one batch takes.

    The same float32 operations in another order (XLA fuses the loop and the dense sum differently):
    equal to a few units in the last place after 400 steps.
    """
    from bioplastic.synapses.connectivity import fixed_out_degree

    key = jax.random.PRNGKey(3)
    if connectivity == "fixed_probability":
        conn = fixed_probability(key, 40, 30, 0.2, 0.5)
    else:
        conn = fixed_out_degree(key, 40, 30, 7, 0.5)
    index = incoming(conn)
    rule = stdp(0.05, 0.06, TAU_PLUS, TAU_MINUS, w_min=0.3, w_max=0.7, dt_ms=1.0)   # the bounds are reached
    pre = (jax.random.uniform(jax.random.PRNGKey(4), (400, 40)) < 0.08).astype(jnp.float32)
    post = (jax.random.uniform(jax.random.PRNGKey(5), (400, 30)) < 0.08).astype(jnp.float32)

    def body(carry, spikes):
        (events_w, small_w, dense_w, state), (p, q) = carry, spikes
        change, state = rule.update(state, conn.with_weights(events_w), pre=p, post=q)
        events_w = change.apply(conn.with_weights(events_w), index, 0.5)
        small_w = change.apply(conn.with_weights(small_w), index, 0.5, max_events=3)   # ~3 spikes a side: often several batches
        dense_w = dense_w + 0.5 * change.dense(conn.with_weights(dense_w))
        return (events_w, small_w, dense_w, state), None

    start = (conn.weights, conn.weights, conn.weights, rule.init(conn))
    (events_w, small_w, dense_w, _), _ = jax.lax.scan(body, start, (pre, post))
    np.testing.assert_allclose(np.asarray(events_w), np.asarray(dense_w), rtol=3e-7, atol=0)
    np.testing.assert_array_equal(np.asarray(small_w), np.asarray(events_w))      # batches touch disjoint synapses
    moved = np.asarray(conn.mask) & (np.asarray(events_w) != 0.5)
    assert moved.sum() > 0.5 * conn.n_synapses                           # most synapses learned
    assert np.all(np.asarray(events_w)[~np.asarray(conn.mask)] == 0.0)    # padding stays empty
    real = np.asarray(events_w)[np.asarray(conn.mask)]
    assert 0.3 <= real.min() < 0.31 and real.max() <= 0.7              # the gated steps approach the lower bound


def test_the_incoming_index_lists_every_synapse_onto_each_neuron_once():
    conn = fixed_probability(jax.random.PRNGKey(8), 25, 12, 0.3, 1.0)
    flat = np.asarray(incoming(conn).flat)
    targets = np.asarray(conn.targets).ravel()
    for j in range(12):
        listed = flat[j][flat[j] < targets.size]
        assert sorted(listed.tolist()) == np.flatnonzero(targets == j).tolist()
    assert np.all(flat[flat < targets.size] >= 0) and flat.shape[1] == np.bincount(targets[targets < 12]).max()


@pytest.mark.slow
def test_seeds_run_batched_learn_the_weights_each_seed_learns_alone(tmp_path):
    """Each seed's index of incoming synapses is padded to the widest seed's; the batch learns what single runs do."""
    from bioplastic.experiments import run_seeds_batched
    from toy_protocols import ROOT

    protocol = ROOT / "protocols" / "stdp_song2000.toml"
    toy = ["simulation.duration_ms=300", "simulation.chunk_ms=100", "recordings.weights.stride=1000",
           "model.populations.afferents.size=200", "inputs.group_a.neurons.stop=100", "inputs.group_b.neurons.start=100",
           "inputs.group_b.neurons.stop=200", 'model.projections.excitatory.connectivity.type="fixed_probability"',
           "model.projections.excitatory.connectivity.p=0.9", "model.populations.neuron.size=100",   # 20 000 slots: events
           "model.projections.excitatory.weight.high=0.5", "model.projections.excitatory.plasticity.params.w_max=0.5"]
    folders = [tmp_path / f"batch{seed}" for seed in (0, 1)]
    batched = run_seeds_batched(protocol, [0, 1], folders, tmp_path / "work", toy, progress=False)
    for seed, run_dir in zip((0, 1), batched):
        alone = run_protocol(protocol, tmp_path / f"alone{seed}", overrides=toy + [f"seed={seed}"], progress=False)
        learned, single = (read_npz(d / "weights.npz")["excitatory.weights"] for d in (run_dir, alone))
        assert read_npz(alone / "recordings.npz")["output.steps"].size > 10          # the neurons fire: both sides learn
        np.testing.assert_allclose(learned[:, :single.shape[1]], single, rtol=1e-6)


def test_a_network_learns_the_same_weights_event_driven_as_densely():
    """A plastic projection above DENSE_LEARNING_SLOTS visits only the spiking neurons' synapses; adding the
    dense change instead (no incoming index) gives the same weights to float32 rounding, spike for spike."""
    from bioplastic.experiments import validate_protocol
    from bioplastic.networks.network import DENSE_LEARNING_SLOTS
    from bioplastic.simulation import Probe, simulate
    from toy_protocols import ROOT

    e = validate_protocol(ROOT / "protocols" / "stdp_song2000.toml", [
        "simulation.duration_ms=300", "recordings.weights.stride=1000", "model.populations.afferents.size=200",
        "inputs.group_a.neurons.stop=100",
        "inputs.group_b.neurons.start=100", "inputs.group_b.neurons.stop=200", "model.populations.neuron.size=100",
        "model.projections.excitatory.weight.high=0.1", "model.projections.excitatory.plasticity.params.w_max=0.1",
        "model.projections.excitatory.plasticity.params.a_plus=0.002", "model.projections.excitatory.plasticity.params.a_minus=0.0021"])
    assert e.params["projections"]["excitatory"].weights.size > DENSE_LEARNING_SLOTS and "excitatory" in e.params["incoming"]
    probes = {"spikes": Probe("outputs.neuron", stride=e.n_steps, reduce="sum")}
    routes = {}
    for route, params in (("events", e.params), ("dense", {**e.params, "incoming": {}})):
        final, recorded = simulate(e.network.step, e.state, e.n_steps, params=params, drive=e.drive, dt=e.dt, probes=probes,
                                   check=False)
        routes[route] = (np.asarray(final["plastic"]["excitatory"]["weights"]), np.asarray(recorded["spikes"]))
    (events_w, events_spikes), (dense_w, dense_spikes) = routes["events"], routes["dense"]
    assert events_spikes.sum() > 100                                   # the neurons fire: both sides of the rule act
    np.testing.assert_array_equal(events_spikes, dense_spikes)
    np.testing.assert_allclose(events_w, dense_w, rtol=1e-6, atol=0)
    initial = np.asarray(e.params["projections"]["excitatory"].weights)
    assert np.mean(events_w != initial) > 0.5                             # most synapses learned
