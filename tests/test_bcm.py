"""BCM with a sliding threshold: one step against its closed form, the threshold as a running
mean of y^2, and the stable fixed points of Intrator & Cooper (1992)."""

import math
import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bioplastic._checks import BadInput
from bioplastic.rules.bcm import BCMState, bcm
from bioplastic.synapses.connectivity import Connectivity, dense, fixed_out_degree


def respond(conn: Connectivity, x):
    """Linear responses ``y_j = sum_i w_ij x_i`` read through the padded out-lists (padding falls off)."""
    return jnp.zeros(conn.n_post + 1).at[conn.targets].add(conn.weights * x[:, None])[: conn.n_post]


def learn(rule, conn, patterns, order):
    """Linear neurons shown ``patterns[order[t]]`` at step t, learning with ``rule``.

    Returns the responses and thresholds over time and the final connectivity.
    """

    def step(carry, index):
        weights, state = carry
        current = conn.with_weights(weights)
        x = patterns[index]
        y = respond(current, x)
        delta, state = rule.update(state, current, pre=x, post=y)
        return (weights + delta, state), (y, state.theta)

    (weights, _), (ys, thetas) = jax.lax.scan(step, (conn.weights, rule.init(conn)), order)
    return ys, thetas, conn.with_weights(weights)


def sparse_padded():
    """3 targets of 4 per presynaptic neuron, padded to 6 slots: three padding slots per row, random weights."""
    conn = fixed_out_degree(jax.random.PRNGKey(3), n_pre=5, n_post=4, k=3, weight=1.0).padded(6)
    return conn.with_weights(jax.random.uniform(jax.random.PRNGKey(4), conn.targets.shape, minval=-1.0, maxval=1.0))


@pytest.mark.parametrize("make", [lambda: dense(5, 4, 0.3), sparse_padded], ids=["dense", "padded"])
def test_one_step_equals_the_closed_form(make):
    conn = make()
    lr, tau, dt = 0.02, 7.0, 0.5
    rule = bcm(learning_rate=lr, tau_theta_ms=tau, theta_initial=0.0, dt_ms=dt)
    x = np.array([1.0, 0.0, 2.5, 0.3, 1.2], np.float32)
    y = np.array([0.4, 1.5, 0.0, 3.0], np.float32)
    theta0 = np.array([0.2, 1.0, 0.7, 4.0], np.float32)
    delta, state = rule.update(BCMState(jnp.asarray(theta0)), conn, pre=jnp.asarray(x), post=jnp.asarray(y))

    # Threshold held input over the step: theta = y^2 + (theta0 - y^2) exp(-dt / tau).
    theta = y**2 + (theta0 - y**2) * math.exp(-dt / tau)
    np.testing.assert_allclose(np.asarray(state.theta), theta, rtol=1e-6)
    targets, mask = np.asarray(conn.targets), np.asarray(conn.mask)
    for i in range(conn.n_pre):
        for slot in range(conn.max_out):
            if mask[i, slot]:
                j = targets[i, slot]
                expected = lr * dt * x[i] * y[j] * (y[j] - theta[j])
                assert float(delta[i, slot]) == pytest.approx(expected, rel=1e-5, abs=1e-9)
            else:
                assert float(delta[i, slot]) == 0.0           # padding never changes
    assert (~mask).sum() == (15 if conn.max_out == 6 else 0)            # the padded case has padding


def test_threshold_follows_a_constant_response_exactly():
    # With y held at a constant, theta_n = y^2 + (theta_0 - y^2) exp(-n dt / tau) at every step n.
    tau, dt, y = 12.0, 1.0, 1.7
    rule = bcm(learning_rate=1e-3, tau_theta_ms=tau, theta_initial=5.0, dt_ms=dt)
    conn = dense(1, 1, 0.0)

    def step(state, _):
        _, state = rule.update(state, conn, pre=jnp.zeros(1), post=jnp.array([y]))
        return state, state.theta[0]

    _, thetas = jax.lax.scan(step, rule.init(conn), None, length=60)
    n = np.arange(1, 61)
    np.testing.assert_allclose(np.asarray(thetas), y**2 + (5.0 - y**2) * np.exp(-n * dt / tau), rtol=1e-5)


def test_threshold_is_the_running_mean_of_y_squared():
    # 400 independent neurons, each with y drawn anew every step from U(0, 2): E[y^2] = 4/3,
    # Var[y^2] = E[y^4] - E[y^2]^2 = 16/5 - 16/9. After the transient (exp(-3000 / 50) ~ 1e-26),
    # theta is a sum of independent terms (1 - d) d^k y_k^2, d = exp(-dt / tau), with mean E[y^2]
    # and variance Var[y^2] (1 - d)^2 / (1 - d^2) = Var[y^2] (1 - d) / (1 + d).
    n, tau, dt, steps = 400, 50.0, 1.0, 3000
    rule = bcm(learning_rate=1e-3, tau_theta_ms=tau, theta_initial=0.0, dt_ms=dt)
    conn = dense(1, n, 0.0)
    ys = jax.random.uniform(jax.random.PRNGKey(0), (steps, n), maxval=2.0)

    def step(state, y):
        _, state = rule.update(state, conn, pre=jnp.zeros(1), post=y)
        return state, None

    state, _ = jax.lax.scan(step, rule.init(conn), ys)
    theta = np.asarray(state.theta)
    d = math.exp(-dt / tau)
    sd = math.sqrt((16 / 5 - 16 / 9) * (1 - d) / (1 + d))          # of one neuron's theta: ~0.12
    # The mean over 400 neurons has standard error sd / 20 ~ 0.006; allow 5 of them.
    assert abs(theta.mean() - 4 / 3) < 5 * sd / math.sqrt(n)
    # The spread across neurons is that of an average over ~tau steps, not of a cumulative mean
    # (whose spread would shrink as 1 / sqrt(steps)); the sample sd of 400 values is within ~4 %.
    assert theta.std() == pytest.approx(sd, rel=0.2)


def test_one_pattern_converges_to_y_equal_theta_equal_one():
    # One pattern shown all the time: theta -> y^2, and dw ~ x y (y - y^2) = 0 at y = 0 (unstable for
    # y > 0) or y = 1 (stable: below 1, y > y^2 potentiates; above, y < y^2 depresses). So y = theta = 1.
    x = jnp.array([[1.0, 0.5, 0.2]])
    rule = bcm(learning_rate=0.05, tau_theta_ms=5.0, theta_initial=0.0, dt_ms=1.0)
    for start in (0.1, 0.9):                                       # y starts at 0.17 and at 1.53
        ys, thetas, _ = learn(rule, dense(3, 1, start), x, jnp.zeros(3000, jnp.int32))
        assert float(ys[-1, 0]) == pytest.approx(1.0, abs=1e-4)
        assert float(thetas[-1, 0]) == pytest.approx(1.0, abs=1e-4)


def test_two_patterns_converge_to_the_selective_fixed_point():
    # Two linearly independent patterns A and B shown in turn (p = 1/2 each). Intrator & Cooper's
    # stable fixed points are selective: y = theta = 1 / p = 2 for one pattern and 0 for the other.
    # With the running average instead of E[y^2], the discrete system's exact fixed point is:
    # after an A step theta_A = y_A^2 (1 - d) + theta_B d, after a B step (y_B = 0) theta_B = theta_A d,
    # so theta_A = y_A^2 / (1 + d), and no change at A steps needs y_A = theta_A: y_A = 1 + d
    # (d = exp(-dt / tau); -> 2 = 1 / p as tau -> infinity).
    patterns = jnp.array([[1.0, 0.4, 0.0], [0.3, 1.0, 0.5]])
    tau, dt = 20.0, 1.0
    d = math.exp(-dt / tau)
    rule = bcm(learning_rate=0.01, tau_theta_ms=tau, theta_initial=0.0, dt_ms=dt)
    order = jnp.tile(jnp.array([0, 1], jnp.int32), 15000)
    for preferred, start in ((0, [0.3, 0.1, 0.1]), (1, [0.1, 0.3, 0.1])):
        conn = dense(3, 1, 0.0).with_weights(jnp.array(start)[:, None])
        _, thetas, final = learn(rule, conn, patterns, order)
        responses = np.asarray(patterns @ final.weights[:, 0])
        assert responses[preferred] == pytest.approx(1 + d, abs=1e-3)
        assert responses[1 - preferred] == pytest.approx(0.0, abs=1e-3)
        assert float(thetas[-1 if preferred == 1 else -2, 0]) == pytest.approx(1 + d, abs=1e-3)


def test_bounds_cut_the_change():
    rule = bcm(learning_rate=1.0, tau_theta_ms=1e6, theta_initial=0.0, w_min=0.0, w_max=1.0, dt_ms=1.0)
    conn = dense(2, 1, 0.0).with_weights(jnp.array([[0.9], [0.05]]))
    delta, _ = rule.update(rule.init(conn), conn, pre=jnp.array([1.0, 1.0]), post=jnp.array([2.0]))
    np.testing.assert_allclose(np.asarray(conn.weights + delta)[:, 0], [1.0, 1.0], rtol=1e-6)   # +4 each, cut at 1
    strong = bcm(learning_rate=1.0, tau_theta_ms=1e-3, theta_initial=0.0, w_min=0.0, w_max=1.0, dt_ms=1.0)
    rule_state = BCMState(jnp.array([9.0]))
    delta, _ = strong.update(rule_state, conn, pre=jnp.array([1.0, 1.0]), post=jnp.array([0.5]))   # theta ~ 0.25
    assert float(delta[1, 0]) == pytest.approx(0.5 * (0.5 - 0.25), rel=1e-4)      # 0.05 + 0.125: inside
    assert float(delta[0, 0]) == pytest.approx(0.1, rel=1e-5)                      # 0.9 + 0.125: cut at 1
    rule = bcm(learning_rate=1.0, tau_theta_ms=1e6, theta_initial=9.0, w_min=0.0, w_max=1.0, dt_ms=1.0)
    delta, _ = rule.update(rule.init(conn), conn, pre=jnp.array([1.0, 1.0]), post=jnp.array([1.0]))   # -8 each
    np.testing.assert_allclose(np.asarray(conn.weights + delta)[:, 0], [0.0, 0.0], atol=1e-7)


@pytest.mark.parametrize("kwargs, message", [
    ({"learning_rate": 0.0}, "learning_rate: got 0.0; allowed: a finite number > 0 (1/ms)"),
    ({"learning_rate": float("nan")}, "learning_rate: got nan containing NaN or inf; allowed: finite numbers"),
    ({"tau_theta_ms": -5.0}, "tau_theta_ms: got -5.0; allowed: a finite number > 0 (ms)"),
    ({"theta_initial": -0.5}, "theta_initial: got -0.5; allowed: a finite number >= 0"),
    ({"w_min": float("nan")}, "w_min: got nan; allowed: a number (or -inf / inf for no bound)"),
    ({"w_max": "1"}, "w_max: got '1'; allowed: a number (or -inf / inf for no bound)"),
    ({"w_min": 2.0, "w_max": 1.0}, "w_max: got 1.0; allowed: a bound >= w_min = 2.0"),
    ({"dt_ms": 0.0}, "dt_ms: got 0.0; allowed: a finite number > 0 (milliseconds)"),
])
def test_bad_hyperparameters_are_refused_with_exact_messages(kwargs, message):
    with pytest.raises(BadInput) as error:
        bcm(**{"dt_ms": 1.0, **kwargs})
    assert str(error.value) == message


def test_the_protocol_network_applies_the_closed_form_at_every_step(tmp_path):
    # Two routes: the shipped protocol's network (inputs -> cortex, one step per projection), and the
    # closed form applied by hand to what that run recorded. Each recorded weight change must be
    # eta dt x_i y_j (y_j - theta_j), x and y this step's recorded rates, theta replayed in NumPy.
    from bioplastic.experiments import load_protocol, run_protocol
    from bioplastic.runs import read_npz

    protocol = pathlib.Path(__file__).resolve().parent.parent / "protocols" / "bcm_selectivity.toml"
    run_dir = run_protocol(protocol, tmp_path, progress=False, overrides=[
        "simulation.duration_ms=200", "simulation.chunk_ms=100", "recordings.weights.stride=1",
        "recordings.shown.stride=1", "model.projections.afferents.plasticity.params.learning_rate=0.01"])
    resolved, _ = load_protocol(run_dir / "protocol.toml")
    dt, params = resolved.simulation.dt_ms, resolved.model.projections["afferents"].plasticity.params
    recorded = read_npz(run_dir / "recordings.npz")
    x, y, w = (np.asarray(recorded[name], np.float64) for name in ("shown", "responses", "weights"))
    d = math.exp(-dt / params["tau_theta_ms"])
    theta = np.full(y.shape[1], params["theta_initial"])
    for t in range(len(y)):
        theta = y[t] ** 2 + (theta - y[t] ** 2) * d
        if t > 0:
            expected = 0.01 * dt * np.outer(x[t], y[t] * (y[t] - theta))
            np.testing.assert_allclose(w[t] - w[t - 1], expected, rtol=1e-3, atol=1e-7)
    # The output answers the input of the step before (a projection takes one step).
    np.testing.assert_allclose(y[1:], np.maximum(np.einsum("tn,tnj->tj", x[:-1], w[:-1]), 0.0), rtol=1e-5, atol=1e-6)
