"""Connectivity statistics, event-driven propagation against the dense product, synapse dynamics, delays."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bioplastic._checks import BadInput
from bioplastic.synapses.connectivity import dense, fixed_out_degree, fixed_probability, stack
from bioplastic.synapses.delay import SpikeDelay
from bioplastic.synapses.exponential import ExponentialSynapse
from bioplastic.synapses.propagation import (
    count_overflow,
    propagate_brainevent,
    propagate_brainevent_shared,
    propagate_events,
    propagate_events_shared,
    propagate_rows,
)

KEY = jax.random.PRNGKey(3)


def test_fixed_probability_degrees_are_binomial():
    n_pre, n_post, p = 2000, 1500, 0.03
    conn = fixed_probability(KEY, n_pre, n_post, p, 1.0)
    degrees = np.asarray(conn.mask.sum(axis=1))
    mean, var = n_post * p, n_post * p * (1 - p)
    assert abs(degrees.mean() - mean) < 5 * np.sqrt(var / n_pre)
    assert degrees.var() == pytest.approx(var, rel=0.15)
    in_degrees = np.asarray(conn.to_dense().sum(axis=0))
    assert abs(in_degrees.mean() - n_pre * p) < 5 * np.sqrt(n_pre * p / n_post)
    assert conn.to_dense().max() == 1.0  # no repeated synapse


def test_builders_are_seeded():
    a = fixed_probability(KEY, 300, 300, 0.1, 1.0)
    b = fixed_probability(KEY, 300, 300, 0.1, 1.0)
    c = fixed_probability(jax.random.PRNGKey(4), 300, 300, 0.1, 1.0)
    np.testing.assert_array_equal(a.targets, b.targets)
    assert not np.array_equal(a.to_dense(), c.to_dense())
    np.testing.assert_array_equal(fixed_out_degree(KEY, 50, 80, 7, 1.0).targets, fixed_out_degree(KEY, 50, 80, 7, 1.0).targets)


@pytest.mark.parametrize("k, n_post", [(7, 80), (60, 80), (80, 81)])
def test_fixed_out_degree_has_exactly_k_distinct_targets(k, n_post):
    conn = fixed_out_degree(KEY, 81 if n_post == 81 else 40, n_post, k, 0.5, allow_self=n_post != 81)
    matrix = np.asarray(conn.to_dense())
    np.testing.assert_allclose(matrix.sum(axis=1), 0.5 * k)
    assert set(np.unique(matrix)) <= {0.0, 0.5}


def test_no_self_connections_when_excluded():
    conn = fixed_probability(KEY, 200, 200, 0.5, 1.0, allow_self=False)
    assert float(jnp.trace(conn.to_dense())) == 0.0
    conn = fixed_out_degree(KEY, 30, 30, 29, 1.0, allow_self=False)
    matrix = np.asarray(conn.to_dense())
    np.testing.assert_array_equal(matrix, 1.0 - np.eye(30))


def test_rows_are_sorted_distinct_and_padded_at_the_end():
    """The invariant the event-driven scatter relies on."""
    for conn in (fixed_probability(KEY, 100, 90, 0.2, 1.0), fixed_out_degree(KEY, 100, 90, 9, 1.0),
                 stack([dense(3, 4, 1.0), fixed_probability(KEY, 5, 6, 0.5, 2.0)], [0, 4], 10)):
        targets = np.asarray(conn.targets)
        assert np.all(np.diff(targets, axis=1) >= 0)
        real = targets < conn.n_post
        for row, keep in zip(targets, real):
            assert len(set(row[keep])) == keep.sum()


def random_spikes(key, n_steps, n, p):
    return (jax.random.uniform(key, (n_steps, n)) < p).astype(jnp.float32)


@pytest.mark.parametrize("p_spike", [0.0, 0.01, 0.05, 0.3])
def test_event_propagation_equals_dense_product(p_spike):
    conn = fixed_probability(KEY, 400, 300, 0.1, 1.0).with_weights(
        jax.random.normal(jax.random.PRNGKey(5), (400, 1)) * 0.3 + 1.0
    )
    spikes = random_spikes(jax.random.PRNGKey(6), 20, 400, p_spike)
    expected = spikes @ conn.to_dense()
    events = jax.jit(jax.vmap(lambda s: propagate_events(conn, s, max_events=16)))(spikes)
    rows = jax.vmap(lambda s: propagate_rows(conn, s))(spikes)
    np.testing.assert_allclose(events, expected, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(rows, expected, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("p_spike", [0.0, 0.05, 0.6])
def test_brainevent_route_equals_pure_jax_route_bit_for_bit(p_spike):
    """Both routes add a neuron's inputs in the order of the presynaptic indices."""
    conn = fixed_probability(KEY, 500, 200, 0.05, 0.7)
    for spikes in random_spikes(jax.random.PRNGKey(7), 5, 500, p_spike):
        np.testing.assert_array_equal(propagate_brainevent(conn, spikes), propagate_events(conn, spikes, max_events=64))


def test_brainevent_route_has_the_gradients_of_the_pure_jax_route():
    conn = fixed_probability(KEY, 50, 30, 0.3, 1.0)
    spikes = random_spikes(jax.random.PRNGKey(9), 1, 50, 0.1)[0]
    target = jax.random.normal(jax.random.PRNGKey(10), (30,))

    def loss(route):
        return lambda weights, s: jnp.sum((route(conn.with_weights(weights), s) - target) ** 2)

    g_brainevent = jax.jit(jax.grad(loss(propagate_brainevent), argnums=(0, 1)))(conn.weights, spikes)
    g_events = jax.grad(loss(lambda c, s: propagate_events(c, s, 8)), argnums=(0, 1))(conn.weights, spikes)
    for a, b in zip(g_brainevent, g_events):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def test_buffer_overflow_falls_back_without_dropping_spikes():
    conn = fixed_out_degree(KEY, 100, 50, 10, 1.0)
    spikes = random_spikes(jax.random.PRNGKey(8), 10, 100, 0.5)
    assert int(count_overflow(spikes, max_events=4)) == 10
    out = jax.vmap(lambda s: propagate_events(conn, s, max_events=4))(spikes)
    np.testing.assert_allclose(out, spikes @ conn.to_dense(), rtol=1e-6)
    # Every spike delivered: total arriving weight = number of spikes x out-degree.
    np.testing.assert_allclose(out.sum(axis=1), spikes.sum(axis=1) * 10)


def test_nonbinary_activity_is_weighted():
    conn = fixed_probability(KEY, 60, 40, 0.3, 1.0)
    activity = jnp.where(jnp.arange(60) % 7 == 0, jnp.linspace(-1.0, 2.0, 60), 0.0)
    np.testing.assert_allclose(propagate_events(conn, activity, 16), activity @ conn.to_dense(), rtol=1e-5, atol=1e-5)


def test_gradients_of_event_propagation_equal_dense_gradients():
    """Surrogate learning needs d/d spikes for neurons that did not spike, too."""
    conn = fixed_probability(KEY, 50, 30, 0.3, 1.0)
    spikes = random_spikes(jax.random.PRNGKey(9), 1, 50, 0.1)[0]
    target = jax.random.normal(jax.random.PRNGKey(10), (30,))

    def loss_events(weights, s):
        return jnp.sum((propagate_events(conn.with_weights(weights), s, 8) - target) ** 2)

    def loss_dense(weights, s):
        return jnp.sum((s @ conn.with_weights(weights).to_dense() - target) ** 2)

    g_events = jax.grad(loss_events, argnums=(0, 1))(conn.weights, spikes)
    g_dense = jax.grad(loss_dense, argnums=(0, 1))(conn.weights, spikes)
    np.testing.assert_allclose(g_events[1], g_dense[1], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(g_events[0] * conn.mask, g_dense[0] * conn.mask, rtol=1e-5, atol=1e-5)
    assert float(jnp.abs(g_events[1] * (spikes == 0)).sum()) > 0


def test_exponential_synapse_matches_closed_form():
    syn = ExponentialSynapse(tau_ms=5.0, reversal_mv=0.0)
    dt, g, trace = 0.1, jnp.zeros(1), []
    for n in range(300):
        g = syn.step(g, jnp.array([0.6 if n == 0 else 0.0]), dt)
        trace.append(float(g[0]))
    t = dt * np.arange(300)
    np.testing.assert_allclose(trace, 0.6 * np.exp(-t / 5.0), rtol=1e-4)


def test_delay_delivers_after_exactly_d_steps():
    delay = SpikeDelay.from_ms(1.0, 0.25)
    assert delay.delay_steps == 4
    spikes = random_spikes(jax.random.PRNGKey(11), 30, 5, 0.3)

    def body(buffer, s):
        return delay.push(buffer, s)

    _, delivered = jax.lax.scan(body, delay.init(5), spikes)
    np.testing.assert_array_equal(delivered[4:], spikes[:-4])
    np.testing.assert_array_equal(delivered[:4], 0.0)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: fixed_probability(KEY, 0, 10, 0.1, 1.0), "n_pre: got 0; allowed: a whole number >= 1"),
        (lambda: fixed_probability(KEY, 10, 10, 1.5, 1.0), "p: got 1.5; allowed: a probability in [0, 1]"),
        (lambda: fixed_probability(KEY, 10, 10, 2e-184, 1.0),           # used to loop for ever (gaps overflowed)
         "p: got 2e-184; allowed: 0, or at least 1e-15 (the gaps between synapses are drawn as 64-bit integers)"),
        (lambda: fixed_probability(KEY, 10, 10, 0.1, float("nan")), "weight: got nan containing NaN or inf; allowed: finite numbers"),
        (lambda: fixed_out_degree(KEY, 10, 10, 11, 1.0), "k: got 11; allowed: a whole number in [1, 10] (distinct targets per neuron)"),
        (lambda: fixed_out_degree(KEY, 10, 12, 3, 1.0, allow_self=False),
         "allow_self: got False with n_pre=10 != n_post=12; allowed: False only for a population projecting onto itself (n_pre == n_post)"),
        (lambda: ExponentialSynapse(tau_ms=0.0), "ExponentialSynapse.tau_ms: got 0.0; allowed: a finite number > 0 (ms)"),
        (lambda: SpikeDelay(-1), "delay_steps: got -1; allowed: a whole number >= 0"),
        (lambda: propagate_events(dense(3, 3, 1.0), jnp.zeros(3), 0), "max_events: got 0; allowed: a whole number >= 1"),
    ],
)
def test_bad_input_messages(call, message):
    with pytest.raises(BadInput) as error:
        call()
    assert str(error.value) == message


@pytest.mark.parametrize("rate, max_events", [(0.05, 16), (0.5, 4)])      # buffered, and overflowing into the exact search
def test_a_shared_event_pass_gives_each_projection_its_own_result_bit_for_bit(rate, max_events):
    """One spike search (or one kernel call) for three projections leaving the same neurons = three passes,
    exactly; gradients too."""
    keys = jax.random.split(KEY, 3)
    conns = (fixed_probability(keys[0], 80, 60, 0.2, 0.6), fixed_probability(keys[1], 80, 20, 0.3, 6.7),
             fixed_out_degree(keys[2], 80, 5, 2, -1.0))
    spikes = random_spikes(jax.random.PRNGKey(11), 6, 80, rate)
    alone = lambda cs, s: tuple(propagate_events(c, s, max_events) for c in cs)
    routes = (alone, lambda cs, s: propagate_events_shared(cs, s, max_events), propagate_brainevent_shared)
    compiled = [jax.jit(lambda s, route=route: route(conns, s)) for route in routes]
    for s in spikes:
        outs = [run(s) for run in compiled]
        for alone_out, shared_out, kernel_out in zip(*outs):
            np.testing.assert_array_equal(shared_out, alone_out)
            np.testing.assert_array_equal(kernel_out, alone_out)

    def loss(weights, route):
        outs = route(tuple(c.with_weights(w) for c, w in zip(conns, weights)), spikes[0])
        return sum(jnp.sum(o ** 2) for o in outs)

    grads = [jax.jit(jax.grad(loss), static_argnums=1)(tuple(c.weights for c in conns), route) for route in routes]
    for a, b, c in zip(*grads):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)


def test_a_shared_event_pass_needs_one_source():
    with pytest.raises(BadInput) as error:
        propagate_events_shared((dense(3, 2, 1.0), dense(4, 2, 1.0)), jnp.ones(3), 4)
    assert str(error.value) == "conns: got projections from [3, 4] neurons; allowed: projections leaving the same neurons"


def test_route_choice_follows_the_cheaper_measured_cost():
    from bioplastic.synapses.routes import choose_route, estimated_cost_us

    rows = [{"n_pre": n, "rate_hz": rate, "events_us": n * rate * 1e-5, "brainevent_us": 10.0 + n * 1e-4}
            for n in (1000, 10000, 100000) for rate in (5.0, 80.0)]
    table = {"platform": "cpu", "rows": rows}
    # events cost n * rate / 10^5 us, brainevent 10 + n / 10^4 us: they cross at n = 10^6 / (rate - 10)
    assert estimated_cost_us(table, "events", 10000, 5.0) == pytest.approx(0.5)
    assert estimated_cost_us(table, "events", 10000, 20.0) == pytest.approx(2.0)      # log-linear in rate too
    assert estimated_cost_us(table, "brainevent", 400, 5.0) == pytest.approx(10.1)    # constant past the ends
    assert [choose_route(n, 80.0, table, "cpu") for n in (1000, 10000, 100000)] == ["events", "events", "brainevent"]
    assert [choose_route(n, 5.0, table, "cpu") for n in (1000, 10000, 100000)] == ["events"] * 3
    assert choose_route(100000, 80.0, table, "gpu") == "events"


def test_shipped_route_table_covers_both_routes_on_a_grid():
    from bioplastic.synapses.routes import ROUTES, shipped_table

    table = shipped_table()
    assert table["platform"] == "cpu"
    sizes = {row["n_pre"] for row in table["rows"]}
    rates = {row["rate_hz"] for row in table["rows"]}
    assert len(table["rows"]) == len(sizes) * len(rates) >= 4
    assert all(row[f"{route}_us"] > 0 for row in table["rows"] for route in ROUTES)
