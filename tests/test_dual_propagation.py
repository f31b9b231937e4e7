"""Dual propagation against backprop gradients; equilibrium propagation against the equilibrium gradient."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from bioplastic._checks import BadInput
from bioplastic.rules.backprop import backprop
from bioplastic.rules.dual_propagation import dual_propagation, infer
from bioplastic.rules.equilibrium_propagation import equilibrium_propagation, settle, settle_until
from bioplastic.layers.mlp import forward, init_layers
from bioplastic.train.batches import fit

LAYERS = init_layers(jax.random.PRNGKey(0), (20, 30, 30, 10))
X = jax.random.normal(jax.random.PRNGKey(1), (64, 20))
Y = jax.nn.one_hot(jax.random.randint(jax.random.PRNGKey(2), (64,), 0, 10), 10)


def cosines(a, b):
    return [float(jnp.vdot(p.weights, q.weights) / (jnp.linalg.norm(p.weights) * jnp.linalg.norm(q.weights)))
            for p, q in zip(a, b)]


@pytest.mark.parametrize("output", ["mse", "cross_entropy"])
def test_small_output_gamma_update_equals_the_backprop_gradient(output):
    dp, _ = dual_propagation(gamma=(1.0, 1.0, 1e-3), output=output).update((), LAYERS, batch=(X, Y))
    bp, _ = backprop(output=output).update((), LAYERS, batch=(X, Y))
    assert min(cosines(dp, bp)) > 0.999
    for d, b in zip(dp, bp):  # not only the direction: the size too
        np.testing.assert_allclose(d.weights, b.weights, rtol=0.02, atol=2e-4)
        np.testing.assert_allclose(d.bias, b.bias, rtol=0.02, atol=2e-4)


def test_cosine_to_backprop_falls_as_the_output_gamma_grows():
    bp, _ = backprop().update((), LAYERS, batch=(X, Y))
    means = [np.mean(cosines(dual_propagation(gamma=(1.0, 1.0, g)).update((), LAYERS, batch=(X, Y))[0], bp))
             for g in (1e-3, 0.5, 1.0, 1.5, 1.9)]
    assert np.all(np.diff(means) < 0), means
    assert means[2] > 0.9  # the paper reports ~0.95 at gamma = 1 for a 3-layer ReLU network


def test_per_layer_gammas_give_the_papers_closed_form_dyads_and_updates():
    """Every hidden dyad is f(a_k +- (gamma_k / 2) (s+ - s-)_{k+1} W_k^T), the output the
    squared-error dyad at gamma_L, and layer k's update divides by beta_{k+1} = gamma_{k+1} ... gamma_L:
    all recomputed here in float64 numpy, at strengths far from 1."""
    gammas = (0.3, 0.7, 1.2)
    plus, minus = infer(LAYERS, X, Y, gamma=gammas)
    w = [np.asarray(layer.weights, np.float64) for layer in LAYERS]
    b = [np.asarray(layer.bias, np.float64) for layer in LAYERS]
    x, y = np.asarray(X, np.float64), np.asarray(Y, np.float64)
    relu = lambda v: np.maximum(v, 0.0)  # noqa: E731
    drive1 = x @ w[0] + b[0]
    drive2 = relu(drive1) @ w[1] + b[1]
    drive3 = relu(drive2) @ w[2] + b[2]
    plus3 = (2 * drive3 + 1.2 * y) / (2 + 1.2)
    minus3 = (2 * drive3 - 1.2 * y) / (2 - 1.2)
    plus2 = relu(drive2 + 0.35 * (plus3 - minus3) @ w[2].T)
    minus2 = relu(drive2 - 0.35 * (plus3 - minus3) @ w[2].T)
    plus1 = relu(drive1 + 0.15 * (plus2 - minus2) @ w[1].T)
    minus1 = relu(drive1 - 0.15 * (plus2 - minus2) @ w[1].T)
    for got, expected in zip(plus[1:] + minus[1:], [plus1, plus2, plus3, minus1, minus2, minus3]):
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
    delta, _ = dual_propagation(gamma=gammas).update((), LAYERS, batch=(X, Y))
    sbar = [x, (plus1 + minus1) / 2, (plus2 + minus2) / 2]
    differences = [plus1 - minus1, plus2 - minus2, plus3 - minus3]
    betas = [0.3 * 0.7 * 1.2, 0.7 * 1.2, 1.2]
    for k in range(3):
        np.testing.assert_allclose(delta[k].weights, sbar[k].T @ differences[k] / betas[k] / len(x), rtol=1e-4,
                                   atol=1e-6)
        np.testing.assert_allclose(delta[k].bias, differences[k].mean(axis=0) / betas[k], rtol=1e-4, atol=1e-6)


def test_one_gamma_sets_every_layer_as_the_authors_code_does():
    one, _ = dual_propagation(gamma=0.6).update((), LAYERS, batch=(X, Y))
    each, _ = dual_propagation(gamma=(0.6, 0.6, 0.6)).update((), LAYERS, batch=(X, Y))
    output_only, _ = dual_propagation(gamma=(1.0, 1.0, 0.6)).update((), LAYERS, batch=(X, Y))
    for a, b in zip(jax.tree_util.tree_leaves(one), jax.tree_util.tree_leaves(each)):
        np.testing.assert_array_equal(a, b)
    assert not np.allclose(one[0].weights, output_only[0].weights)  # the hidden gains act
    plus, minus = infer(LAYERS, X, Y, gamma=0.6)
    plus_output_only, minus_output_only = infer(LAYERS, X, Y, gamma=(1.0, 1.0, 0.6))
    np.testing.assert_array_equal(plus[3] - minus[3], plus_output_only[3] - minus_output_only[3])  # gamma_L alone
    with pytest.raises(BadInput, match=r"^gamma: got \[0.5, 0.5\]; allowed: one number, or one per weight layer "
                       r"\(3 here\)$"):
        dual_propagation(gamma=[0.5, 0.5]).update((), LAYERS, batch=(X, Y))
    with pytest.raises(BadInput, match=r"^gamma: got -1.0; allowed: a finite number > 0$"):
        dual_propagation(gamma=[-1.0, 0.5, 0.5])
    for wrong in ("1", True, [True, 0.5, 0.5], []):
        with pytest.raises(BadInput) as error:
            dual_propagation(gamma=wrong)
        assert str(error.value) == f"gamma: got {wrong!r}; allowed: a number > 0, or a list of them, one per weight layer"


def test_small_gamma_at_every_layer_equals_the_backprop_gradient_in_float64():
    """With one small gamma everywhere, layer k's difference is of order gamma^(L - k + 1)
    (1e-9 at the input layer here): exact in float64, the update is backprop's gradient."""
    with jax.enable_x64(True):
        layers = jax.tree_util.tree_map(lambda a: a.astype(jnp.float64), LAYERS)
        batch = (X.astype(jnp.float64), Y.astype(jnp.float64))
        dp, _ = dual_propagation(gamma=1e-3).update((), layers, batch=batch)
        bp, _ = backprop().update((), layers, batch=batch)
        for d, b in zip(dp, bp):
            np.testing.assert_allclose(d.weights, b.weights, rtol=0.02, atol=2e-4)


def _primitives(function, *args):
    return {equation.primitive.name for equation in _equations(jax.make_jaxpr(function)(*args).jaxpr)}


def _equations(jaxpr):
    for equation in jaxpr.eqns:
        yield equation
        for value in equation.params.values():
            for sub in value if isinstance(value, (list, tuple)) else [value]:
                inner = getattr(sub, "jaxpr", sub)
                if hasattr(inner, "eqns"):
                    yield from _equations(inner)


def test_dual_propagation_has_no_settling_loop_and_equilibrium_propagation_does():
    dp = dual_propagation(gamma=1.0)
    ep = equilibrium_propagation()
    loops = {"while", "scan"}
    assert not loops & _primitives(lambda layers: dp.update((), layers, batch=(X, Y))[0], LAYERS)
    assert loops & _primitives(lambda layers: ep.update((), layers, batch=(X, Y))[0], LAYERS)


def test_gamma_of_two_or_more_is_rejected_for_squared_error():
    with pytest.raises(BadInput) as error:
        dual_propagation(gamma=2.0)
    assert str(error.value) == (
        "gamma: got 2.0; allowed: 0 < gamma < 2 for the squared-error output dyad (s-_L divides by 2 - gamma)"
    )
    with pytest.raises(BadInput, match=r"^gamma: got 0.0; allowed: a finite number > 0$"):
        dual_propagation(gamma=0.0)
    dual_propagation(gamma=3.0, output="cross_entropy")  # no such limit for the cross-entropy dyad


def test_kolen_pollack_feedback_starts_aligned_and_converges_under_sgd_with_decay():
    lr, decay = 0.05, 0.1
    kp = dual_propagation(gamma=0.5, kolen_pollack=True, feedback_learning_rate=lr, feedback_decay=lr * decay)
    plain, _ = dual_propagation(gamma=0.5).update((), LAYERS, batch=(X, Y))
    state = kp.init(LAYERS)
    first, _ = kp.update(state, LAYERS, batch=(X, Y))
    for a, b in zip(first, plain):
        np.testing.assert_allclose(a.weights, b.weights, rtol=1e-5, atol=1e-6)
    # Start from unrelated feedback: the mismatch B - W^T then shrinks by (1 - lr * decay) per step.
    state = state._replace(feedback=tuple(jax.random.normal(jax.random.PRNGKey(9), b.shape) * 0.1 for b in state.feedback))
    optimizer = optax.chain(optax.add_decayed_weights(decay), optax.sgd(lr))
    layers, opt_state = LAYERS, optimizer.init(LAYERS)
    gaps = []
    for _ in range(20):
        gaps.append([float(jnp.linalg.norm(b - layer.weights.T)) for b, layer in zip(state.feedback, layers)])
        delta, state = kp.update(state, layers, batch=(X, Y))
        updates, opt_state = optimizer.update(jax.tree_util.tree_map(jnp.negative, delta), opt_state, layers)
        layers = optax.apply_updates(layers, updates)
    ratios = np.array(gaps[1:]) / np.array(gaps[:-1])
    np.testing.assert_allclose(ratios, 1 - lr * decay, rtol=1e-3)


def test_equilibrium_propagation_update_is_the_gradient_of_the_equilibrium_loss():
    """EP's theorem: for small beta, the contrastive update is minus the gradient of the loss
    at the free equilibrium -- checked against jax.grad through the settled dynamics."""
    layers = init_layers(jax.random.PRNGKey(0), (20, 30, 30, 10), scale="glorot")
    x = jax.random.uniform(jax.random.PRNGKey(1), (64, 20))

    def equilibrium_loss(layers):
        states = settle(layers, forward(layers, x, "hard_sigmoid"), Y, 0.0, 300, "hard_sigmoid")
        return 0.5 * jnp.sum((states[-1] - Y) ** 2) / x.shape[0]

    gradient = jax.grad(equilibrium_loss)(layers)
    ep, _ = equilibrium_propagation(beta=1e-3, free_steps=300, nudged_steps=300).update((), layers, batch=(x, Y))
    negative = jax.tree_util.tree_map(jnp.negative, gradient)
    assert min(cosines(ep, negative)) > 0.99


def test_rules_train_the_same_network_on_mnist_digits():
    from bioplastic.data.registry import load

    mnist = load("mnist")
    train = (mnist.train_images[:3000], mnist.train_labels[:3000])
    test = (mnist.test_images[:1000], mnist.test_labels[:1000])
    layers = init_layers(jax.random.PRNGKey(3), (784, 128, 10))
    results = {}
    for name, rule in (("bp", backprop()), ("dp", dual_propagation(gamma=1.0))):
        history = fit(rule, layers, optax.adam(1e-3), train, test, epochs=3, batch_size=100, key=jax.random.PRNGKey(4))
        results[name] = history.test_accuracy[-1]
    assert results["bp"] > 0.8 and results["dp"] > 0.8  # both learn (chance: 0.1)
    assert abs(results["dp"] - results["bp"]) < 0.03, results


def test_more_sweeps_stay_closed_form_and_match_backprop_for_small_gamma():
    rule = dual_propagation(gamma=(1.0, 1.0, 1e-3), sweeps=3)
    assert not {"while", "scan"} & _primitives(lambda layers: rule.update((), layers, batch=(X, Y))[0], LAYERS)
    dp, _ = rule.update((), LAYERS, batch=(X, Y))
    bp, _ = backprop().update((), LAYERS, batch=(X, Y))
    assert min(cosines(dp, bp)) > 0.999


def _ep_network():
    layers = init_layers(jax.random.PRNGKey(0), (20, 30, 30, 10), scale="glorot")
    return layers, jax.random.uniform(jax.random.PRNGKey(1), (64, 20))


def test_symmetric_ep_estimate_is_second_order_in_beta_and_the_one_sided_first_order():
    """Laborieux et al. (2021): the one-sided estimate's distance to the equilibrium gradient
    halves with beta, the symmetric one's quarters (a smooth activation, phases settled to 1e-7)."""
    layers, x = _ep_network()

    def equilibrium_loss(layers):
        states = settle(layers, forward(layers, x, "sigmoid"), Y, 0.0, 300, "sigmoid")
        return 0.5 * jnp.sum((states[-1] - Y) ** 2) / x.shape[0]

    negative = jax.tree_util.tree_map(jnp.negative, jax.grad(equilibrium_loss)(layers))

    def distance(beta, estimate):
        rule = equilibrium_propagation(beta=beta, free_steps=1000, nudged_steps=1000, estimate=estimate,
                                       tolerance=1e-7, hidden_activation="sigmoid")
        delta, _ = rule.update((), layers, batch=(x, Y))
        return np.array([float(jnp.linalg.norm(d.weights - g.weights) / jnp.linalg.norm(g.weights))
                         for d, g in zip(delta, negative)])

    one_sided = distance(0.1, "one_sided") / distance(0.05, "one_sided")
    symmetric = distance(0.1, "symmetric") / distance(0.05, "symmetric")
    assert np.all((one_sided > 1.7) & (one_sided < 2.4)), one_sided
    assert np.all((symmetric > 3.4) & (symmetric < 4.6)), symmetric
    assert np.all(distance(0.05, "symmetric") < 0.1 * distance(0.05, "one_sided"))


def test_random_sign_draws_both_one_sided_estimates_which_average_to_the_symmetric_one():
    layers, x = _ep_network()
    options = dict(beta=0.3, free_steps=60, nudged_steps=30)
    positive, _ = equilibrium_propagation(**options).update((), layers, batch=(x, Y))
    symmetric, _ = equilibrium_propagation(estimate="symmetric", **options).update((), layers, batch=(x, Y))
    rule = equilibrium_propagation(random_sign=True, key=jax.random.PRNGKey(5), **options)
    state, draws = rule.init(layers), []
    update = jax.jit(lambda state: rule.update(state, layers, batch=(x, Y)))
    for _ in range(12):
        delta, state = update(state)
        draws.append(delta[0].weights)
    is_positive = [bool(jnp.allclose(d, positive[0].weights, atol=1e-6)) for d in draws]
    assert 0 < sum(is_positive) < len(draws)  # both signs drawn
    negative = draws[is_positive.index(False)]
    for d, plus in zip(draws, is_positive):  # every draw is one of the two estimates
        np.testing.assert_allclose(d, positive[0].weights if plus else negative, atol=1e-6)
    np.testing.assert_allclose((positive[0].weights + negative) / 2, symmetric[0].weights, atol=1e-5)


def test_settling_to_a_tolerance_stops_at_a_fixed_point_and_early():
    layers, x = _ep_network()
    start = forward(layers, x, "hard_sigmoid")
    states, sweeps = settle_until(layers, start, Y, 0.0, 500, 1e-5, "hard_sigmoid")
    assert 1 < int(sweeps) < 500
    again = settle(layers, states, Y, 0.0, 1, "hard_sigmoid")
    assert max(float(jnp.max(jnp.abs(a - b))) for a, b in zip(again, states)) <= 1e-5
    capped, capped_sweeps = settle_until(layers, start, Y, 0.0, 3, 1e-12, "hard_sigmoid")
    assert int(capped_sweeps) == 3
    for a, b in zip(capped, settle(layers, start, Y, 0.0, 3, "hard_sigmoid")):
        np.testing.assert_array_equal(a, b)


def test_equilibrium_propagation_options_are_checked():
    with pytest.raises(BadInput, match=r"^estimate: got 'centred'; allowed: 'one_sided', 'symmetric'$"):
        equilibrium_propagation(estimate="centred")
    with pytest.raises(BadInput) as error:
        equilibrium_propagation(beta=1.0, estimate="symmetric")
    assert str(error.value) == "beta: got 1.0; allowed: 0 < beta < 1 when a phase nudges at -beta (its output " \
                               "divides by 1 - beta)"
    with pytest.raises(BadInput, match=r"^random_sign: got True with estimate='symmetric'"):
        equilibrium_propagation(estimate="symmetric", random_sign=True)
