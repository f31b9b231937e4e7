"""Oja's single-neuron rule: one step against its closed form, the subspace rule with one row as a
second route, zero mean change at the principal eigenvector, and convergence to +-PC1 with |w| = 1."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bioplastic._checks import BadInput
from bioplastic.rules.hebbian_subspace import Subspace, oja_step
from bioplastic.rules.oja import oja
from bioplastic.synapses.connectivity import Connectivity, dense, fixed_out_degree


def respond(conn: Connectivity, x):
    """Linear responses ``y_j = sum_i w_ij x_i`` read through the padded out-lists (padding falls off)."""
    return jnp.zeros(conn.n_post + 1).at[conn.targets].add(conn.weights * x[:, None])[: conn.n_post]


def learn(rule, conn, xs):
    """Linear neurons learning on the rows of ``xs`` (steps, n_pre), one per step; returns the weights over time."""

    def step(carry, x):
        weights, state = carry
        current = conn.with_weights(weights)
        delta, state = rule.update(state, current, pre=x, post=respond(current, x))
        return (weights + delta, state), weights + delta

    _, history = jax.lax.scan(step, (conn.weights, rule.init(conn)), xs)
    return history


def sparse_padded():
    """2 targets of 3 per presynaptic neuron, padded to 4 slots (two padding slots per row), random weights."""
    conn = fixed_out_degree(jax.random.PRNGKey(5), n_pre=4, n_post=3, k=2, weight=1.0).padded(4)
    return conn.with_weights(jax.random.normal(jax.random.PRNGKey(6), conn.targets.shape))


@pytest.mark.parametrize("make", [lambda: dense(4, 3, 0.3), sparse_padded], ids=["dense", "padded"])
def test_one_step_equals_the_closed_form(make):
    conn = make()
    lr, dt = 0.03, 0.5
    rule = oja(learning_rate=lr, dt_ms=dt)
    x = np.array([1.0, -0.5, 2.0, 0.0], np.float32)
    y = np.array([0.7, -1.2, 2.0], np.float32)                  # any post values: the rule takes them as given
    delta, state = rule.update(rule.init(conn), conn, pre=jnp.asarray(x), post=jnp.asarray(y))
    assert state == ()
    targets, mask, w = np.asarray(conn.targets), np.asarray(conn.mask), np.asarray(conn.weights)
    for i in range(conn.n_pre):
        for slot in range(conn.max_out):
            if mask[i, slot]:
                j = targets[i, slot]
                expected = lr * dt * y[j] * (x[i] - y[j] * w[i, slot])
                assert float(delta[i, slot]) == pytest.approx(expected, rel=1e-5, abs=1e-9)
            else:
                assert float(delta[i, slot]) == 0.0           # padding never changes
    assert (~mask).sum() == (8 if conn.max_out == 4 else 0)


def test_one_neuron_is_the_subspace_rule_with_one_row():
    # Two routes: this rule on a (n, 1) projection with y = w . x, and hebbian_subspace.oja_step on
    # H = w^T (1 x n) with a batch of one input, no momentum, no clipping, step learning_rate * dt.
    n, lr, dt, steps = 5, 0.02, 0.5, 300
    xs = jax.random.normal(jax.random.PRNGKey(0), (steps, n)) * jnp.array([2.0, 1.0, 0.5, 0.3, 0.1])
    w0 = jax.random.normal(jax.random.PRNGKey(1), (n,)) * 0.3
    conn = dense(n, 1, 0.0).with_weights(w0[:, None])
    single = learn(oja(learning_rate=lr, dt_ms=dt), conn, xs)[:, :, 0]

    def subspace_step(subspace, x):
        subspace = oja_step(subspace, x[None, :], learning_rate=lr * dt, momentum=0.0, clip=jnp.inf)
        return subspace, subspace.weights[0]

    _, rows = jax.lax.scan(subspace_step, Subspace(w0[None, :], jnp.zeros((1, n)), jnp.array([False])), xs)
    np.testing.assert_allclose(np.asarray(single), np.asarray(rows), rtol=1e-4, atol=1e-6)
    assert float(jnp.abs(single[-1] - w0).max()) > 0.1                # the weights did move


def test_the_mean_change_vanishes_at_the_principal_eigenvector_only():
    # Over a fixed set of inputs X (rows), with w held, the summed change is
    # eta dt (S w - (w^T S w) w), S = X^T X: zero exactly when w is a unit eigenvector of S.
    xs = jax.random.normal(jax.random.PRNGKey(2), (200, 3)) * jnp.array([2.0, 1.0, 0.5])
    s = np.asarray(xs, np.float64).T @ np.asarray(xs, np.float64)
    e1 = np.linalg.eigh(s)[1][:, -1]
    rule = oja(learning_rate=1e-3, dt_ms=1.0)
    for w, is_fixed in ((e1, True), (np.array([0.6, 0.8, 0.0]), False)):
        conn = dense(3, 1, 0.0).with_weights(jnp.asarray(w, jnp.float32)[:, None])
        total = jax.vmap(lambda x: rule.update((), conn, pre=x, post=respond(conn, x))[0])(xs).sum(axis=0)[:, 0]
        expected = 1e-3 * (s @ w - (w @ s @ w) * w)
        np.testing.assert_allclose(np.asarray(total), expected, atol=1e-5 * np.abs(1e-3 * s @ w).max())
        assert (np.abs(expected).max() < 1e-9) == is_fixed


def test_weights_converge_to_the_first_principal_component_with_unit_norm():
    # 5-D zero-mean Gaussian with covariance C = Q diag(5, 2, 1, 0.5, 0.2) Q^T (Q a random rotation):
    # PC1 is Q[:, 0]. Three output neurons, each from its own random start, learn independently.
    # eta dt = 0.002: convergence takes ~1 / (eta dt (l1 - l2)) ~ 170 steps; the stationary spread
    # around e1 has variance ~ eta dt / 2 * sum_k l1 lk / (l1 - lk) ~ 0.005, i.e. 1 - cos ~ 0.003.
    eigenvalues = jnp.array([5.0, 2.0, 1.0, 0.5, 0.2])
    q, _ = jnp.linalg.qr(jax.random.normal(jax.random.PRNGKey(7), (5, 5)))
    xs = jax.random.normal(jax.random.PRNGKey(8), (6000, 5)) * jnp.sqrt(eigenvalues) @ q.T
    conn = dense(5, 3, 0.0).with_weights(jax.random.normal(jax.random.PRNGKey(9), (5, 3)) * 0.1)
    history = learn(oja(learning_rate=0.004, dt_ms=0.5), conn, xs)
    final = np.asarray(history[-1])                                  # (5, 3): one column per neuron
    norms = np.linalg.norm(final, axis=0)
    cosines = np.abs(np.asarray(q[:, 0]) @ final) / norms
    assert np.all(cosines > 0.99), cosines
    np.testing.assert_allclose(norms, 1.0, atol=0.05)
    assert float(np.linalg.norm(np.asarray(conn.weights), axis=0).max()) < 0.5   # they started far from 1


@pytest.mark.parametrize("kwargs, message", [
    ({"learning_rate": 0.0}, "learning_rate: got 0.0; allowed: a finite number > 0 (1/ms)"),
    ({"learning_rate": float("inf")}, "learning_rate: got inf containing NaN or inf; allowed: finite numbers"),
    ({"dt_ms": -1.0}, "dt_ms: got -1.0; allowed: a finite number > 0 (milliseconds)"),
])
def test_bad_hyperparameters_are_refused_with_exact_messages(kwargs, message):
    with pytest.raises(BadInput) as error:
        oja(**{"dt_ms": 1.0, **kwargs})
    assert str(error.value) == message


def test_the_protocol_network_applies_the_closed_form_at_every_step(tmp_path):
    # Two routes: the shipped protocol's network (Gaussian inputs -> one linear unit) and the closed
    # form applied by hand to what that run recorded: w(t) - w(t-1) = eta dt y(t) (x(t) - y(t) w(t-1)).
    import pathlib

    from bioplastic.experiments import load_protocol, run_protocol
    from bioplastic.runs import read_npz

    protocol = pathlib.Path(__file__).resolve().parent.parent / "protocols" / "oja_pca.toml"
    run_dir = run_protocol(protocol, tmp_path, progress=False, overrides=[
        "simulation.duration_ms=200", "simulation.chunk_ms=100", "recordings.weights.stride=1",
        "recordings.shown.stride=1", "recordings.response.stride=1"])
    resolved, _ = load_protocol(run_dir / "protocol.toml")
    eta_dt = resolved.model.projections["afferents"].plasticity.params["learning_rate"] * resolved.simulation.dt_ms
    recorded = read_npz(run_dir / "recordings.npz")
    x, y, w = (np.asarray(recorded[name], np.float64) for name in ("shown", "response", "weights"))
    w = w[:, :, 0]
    expected = eta_dt * y[1:] * (x[1:] - y[1:] * w[:-1])
    np.testing.assert_allclose(w[1:] - w[:-1], expected, rtol=1e-3, atol=1e-8)
    np.testing.assert_allclose(y[1:, 0], (x[:-1] * w[:-1]).sum(axis=1), rtol=1e-5, atol=1e-6)   # one step late
