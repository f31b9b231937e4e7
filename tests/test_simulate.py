"""The scan loop against a plain Python loop; inputs; recordings; seeds; bad input before compiling."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bioplastic._checks import BadInput
from bioplastic.neurons.lif import LIF
from bioplastic.simulation import Constant, ItemSequence, Poisson, Probe, TimeSeries, run_seeds, simulate

MODEL = LIF(integration="exact")
PARAMS = MODEL.params(tau_ref_ms=1.0)


def python_loop(state, currents, dt):
    vs, spikes = [], []
    for current in currents:
        state, out = MODEL.step(PARAMS, state, current, dt)
        vs.append(state.v)
        spikes.append(out)
    return np.stack(vs), np.stack(spikes)


def test_scan_equals_python_loop_and_reductions_are_right():
    currents = 25.0 * jax.random.uniform(jax.random.PRNGKey(0), (400, 3))
    state = MODEL.init(PARAMS, 3, None)
    v_loop, s_loop = python_loop(state, currents, 0.1)
    _, rec = simulate(
        MODEL.step, state, 400, params=PARAMS, dt=0.1, drive=TimeSeries(currents),
        probes={"v": Probe("v", stride=10), "count": Probe("output", reduce="sum", stride=10),
                "mean_v": Probe("v", reduce="mean", stride=10), "v1": Probe("v", neurons=(1,), stride=10)},
    )
    np.testing.assert_allclose(rec["v"], v_loop[9::10], rtol=1e-6)
    np.testing.assert_allclose(rec["count"], s_loop.reshape(40, 10, 3).sum(axis=1))
    np.testing.assert_allclose(rec["mean_v"], v_loop.reshape(40, 10, 3).mean(axis=1), rtol=1e-5)
    np.testing.assert_allclose(rec["v1"], v_loop[9::10, 1:2], rtol=1e-6)


def test_probes_with_different_strides_equal_their_single_stride_runs():
    currents = 25.0 * jax.random.uniform(jax.random.PRNGKey(2), (1000, 4))
    state = MODEL.init(PARAMS, 4, None)
    probes = {"v": Probe("v", stride=4), "count": Probe("output", reduce="sum", stride=250),
              "mean": Probe("v", reduce="mean", stride=6), "last": Probe("spike", stride=1000)}
    _, together = simulate(MODEL.step, state, 1000, params=PARAMS, drive=TimeSeries(currents), probes=probes)
    v_loop, s_loop = python_loop(state, currents, 0.1)
    np.testing.assert_allclose(together["v"], v_loop[3::4], rtol=1e-6)
    np.testing.assert_allclose(together["count"], s_loop.reshape(4, 250, 4).sum(axis=1))
    np.testing.assert_allclose(together["mean"], v_loop[:996].reshape(166, 6, 4).mean(axis=1), rtol=1e-5)
    np.testing.assert_allclose(together["last"], s_loop[999:1000])


def test_probes_at_the_window_and_beyond_it_mixed():
    """Window 5: stride-5 probes come out per window, stride-20 ones are carried; ranges and index lists agree."""
    currents = 25.0 * jax.random.uniform(jax.random.PRNGKey(4), (1003, 5))
    state = MODEL.init(PARAMS, 5, None)
    probes = {"v": Probe("v", neurons=range(1, 4), stride=5), "count": Probe("output", reduce="sum", stride=5),
              "mean": Probe("v", reduce="mean", stride=20), "picked": Probe("v", neurons=[3, 1], stride=20),
              "count20": Probe("output", reduce="sum", stride=20)}
    _, rec = simulate(MODEL.step, state, 1003, params=PARAMS, drive=TimeSeries(currents), probes=probes)
    v_loop, s_loop = python_loop(state, currents, 0.1)
    np.testing.assert_allclose(rec["v"], v_loop[4:1000:5, 1:4], rtol=1e-6)
    np.testing.assert_allclose(rec["count"], s_loop[:1000].reshape(200, 5, 5).sum(axis=1))
    np.testing.assert_allclose(rec["mean"], v_loop[:1000].reshape(50, 20, 5).mean(axis=1), rtol=1e-5)
    np.testing.assert_allclose(rec["picked"], v_loop[19:1000:20][:, [3, 1]], rtol=1e-6)
    np.testing.assert_allclose(rec["count20"], s_loop[:1000].reshape(50, 20, 5).sum(axis=1))
    assert float(rec["count20"].sum()) > 0


def test_steps_after_the_last_window_still_run():
    state = MODEL.init(PARAMS, 1, None)
    final_a, rec = simulate(MODEL.step, state, 105, params=PARAMS, drive=Constant(jnp.array([5.0])),
                            probes={"v": Probe("v", stride=10)})
    final_b, _ = simulate(MODEL.step, state, 105, params=PARAMS, drive=Constant(jnp.array([5.0])))
    assert rec["v"].shape == (10, 1)
    np.testing.assert_allclose(final_a.v, final_b.v)


def test_poisson_input_has_its_rate_and_is_seeded():
    drive = Poisson(rate_hz=50.0, shape=(200,), key=jax.random.PRNGKey(1))
    identity = lambda params, state, d, dt: (state, d)  # noqa: E731 - a pass-through step
    _, rec = simulate(identity, jnp.zeros(()), 10_000, drive=drive, dt=0.1,
                      probes={"n": Probe("output", reduce="sum", stride=10_000)})
    counts = np.asarray(rec["n"][0])
    expected = 50.0 * 1.0  # Hz x 1 s
    assert abs(counts.mean() - expected) < 4 * np.sqrt(expected / 200)
    _, again = simulate(identity, jnp.zeros(()), 10_000, drive=drive, dt=0.1,
                        probes={"n": Probe("output", reduce="sum", stride=10_000)})
    np.testing.assert_array_equal(rec["n"], again["n"])


def test_vmap_over_seeds_equals_separate_runs():
    def run(key):
        drive = Poisson(rate_hz=400.0, shape=(5,), key=key, weight=500.0)
        _, rec = simulate(MODEL.step, MODEL.init(PARAMS, 5, None), 2000, params=PARAMS, drive=drive,
                          probes={"v": Probe("v", reduce="mean", stride=2000)})
        return rec["v"][0]

    batched = run_seeds(run, [0, 1, 2])
    for i, seed in enumerate([0, 1, 2]):
        np.testing.assert_array_equal(batched[i], run(jax.random.PRNGKey(seed)))
    assert not np.array_equal(batched[0], batched[1])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(n_steps=0), "n_steps: got 0; allowed: a whole number >= 1"),
        (dict(dt=-0.1), "dt_ms: got -0.1; allowed: a finite number > 0 (milliseconds)"),
        (dict(dt=0.0), "dt_ms: got 0.0; allowed: a finite number > 0 (milliseconds)"),
        (dict(drive=TimeSeries(jnp.zeros((5, 2)))), "drive: got a time series of 5 steps; allowed: at least 10 rows, one per step up to the end of the run"),
        (dict(drive=Constant(jnp.zeros(3))),
         "drive: got shapes [(3,)] (one step failed: sub got incompatible shapes for broadcasting: (2,), (3,).); "
         "allowed: shapes that broadcast to the state's [(2,)]"),
        (dict(probes={"x": Probe("w")}),
         "probe variable: got 'w'; allowed: 'output' or a path into the state, here one of v, refractory_steps, spike at 'w'"),
        (dict(probes={"a": Probe("v", stride=20)}), "probes['a'].stride: got 20; allowed: at most n_steps = 10"),
        (dict(drive=Poisson(rate_hz=-1.0, shape=2, key=jax.random.PRNGKey(0))),
         "drive.rate_hz: got -1.0; allowed: finite rates >= 0 (Hz)"),
        (dict(drive=ItemSequence(jnp.ones((2, 2)), steps_per_item=0, key=None)),
         "drive.steps_per_item: got 0; allowed: a whole number >= 1"),
        (dict(drive=ItemSequence(jnp.ones((0, 2)), steps_per_item=1, key=None)),
         "drive: got no items; allowed: at least one item"),
        (dict(drive=ItemSequence(jnp.ones((2, 2)), steps_per_item=1, key=None, poisson=True)),
         "drive.key: got None; allowed: a jax.random key (poisson=True draws spikes)"),
        (dict(drive=ItemSequence(jnp.array([[5.0, -2.0]]), steps_per_item=1, key=jax.random.PRNGKey(0), poisson=True)),
         "drive.values: got -2.0; allowed: a finite number >= 0 (Hz)"),
    ],
)
def test_bad_input_is_rejected_before_compiling(kwargs, message):
    arguments = dict(n_steps=10, dt=0.1, drive=Constant(jnp.zeros(2)), probes=None)
    arguments.update(kwargs)
    with pytest.raises(BadInput) as error:
        simulate(MODEL.step, MODEL.init(PARAMS, 2, None), params=PARAMS, **arguments)
    assert str(error.value) == message


def test_probe_and_seed_list_validation():
    with pytest.raises(BadInput, match=r"^Probe\('v'\).reduce: got 'max'; allowed: 'sample', 'sum', 'mean', 'events'$"):
        Probe("v", reduce="max")
    with pytest.raises(BadInput, match=r"^Probe\('output'\).stride: got 2; allowed: 1 for events \(every step is seen\)$"):
        Probe("output", stride=2, reduce="events", capacity=10)
    with pytest.raises(BadInput, match=r"^Probe\('v'\).capacity: got 10; allowed: None unless reduce='events'$"):
        Probe("v", capacity=10)
    with pytest.raises(BadInput, match=r"^seeds: got \[\]; allowed: a non-empty list of integers$"):
        run_seeds(lambda key: key, [])


def test_a_time_series_must_cover_the_chunk_that_starts_late():
    """A chunk from step 8 to 13 needs 13 rows: the index is the global step, not the chunk's."""
    with pytest.raises(BadInput) as error:
        simulate(MODEL.step, MODEL.init(PARAMS, 2, None), 5, params=PARAMS, dt=0.1,
                 drive=TimeSeries(jnp.zeros((10, 2))), start_step=8)
    assert str(error.value) == "drive: got a time series of 10 steps; allowed: at least 13 rows, one per step up to the end of the run"


def test_unchecked_chunks_run_the_same_program():
    """check=False skips only the abstract trace: the same chunk gives the same state and records."""
    state = MODEL.init(PARAMS, 2, None)
    arguments = dict(params=PARAMS, dt=0.1, drive=Constant(jnp.array([15.0, 30.0])), start_step=40,
                     probes={"v": Probe("v", stride=5), "n": Probe("output", reduce="sum", stride=200)})
    checked = simulate(MODEL.step, state, 200, **arguments)
    unchecked = simulate(MODEL.step, state, 200, check=False, **arguments)
    for a, b in zip(jax.tree_util.tree_leaves(checked), jax.tree_util.tree_leaves(unchecked)):
        np.testing.assert_array_equal(a, b)
    assert float(checked[1]["n"].sum()) > 0


def test_a_passed_step_check_is_remembered_for_the_same_step_and_shapes():
    """A second run of the same step and shapes traces nothing; new shapes or probes are checked again."""
    traced = []

    def step(params, state, drive, dt):
        traced.append(state.shape)           # runs only while JAX traces the step
        return state + drive, state

    simulate(step, jnp.zeros(3), 5, drive=Constant(1.0), probes={"x": Probe("output")})
    first = len(traced)                      # the check, then the compilation
    assert first >= 2 and set(traced) == {(3,)}
    simulate(step, jnp.ones(3), 5, drive=Constant(2.0), probes={"x": Probe("output")})
    assert len(traced) == first
    simulate(step, jnp.zeros(4), 5, drive=Constant(1.0), probes={"x": Probe("output")})
    assert len(traced) == 2 * first and set(traced[first:]) == {(4,)}
    with pytest.raises(BadInput, match=r"^drive: got a drive that turns state of shape \(3,\) into shape \(2, 3\)"):
        simulate(step, jnp.zeros(3), 5, drive=Constant(jnp.ones((2, 1))), probes={"x": Probe("output")})
    with pytest.raises(BadInput, match="^probe variable: got .nothing.; allowed: .output. or a path into the state"):
        simulate(step, jnp.zeros(3), 5, drive=Constant(1.0), probes={"x": Probe("nothing")})
