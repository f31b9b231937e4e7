"""Counter-current learning: locality and no weight transport checked with jax.grad; the loss by hand."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from bioplastic.analysis import linear_cka
from bioplastic.layers.counter_current import CounterCurrentParams, alignment, feedback_readout, feedback_activities, forward_activities, init_counter_current, init_counter_current_cnn, predict
from bioplastic.rules.counter_current import autoencoder_losses, counter_current, layer_losses
from bioplastic.rules.counter_current_baselines import backprop_baseline, feedback_alignment
from bioplastic.train.batches import fit

SIZES = (12, 9, 7, 5, 4)
PARAMS = init_counter_current(jax.random.PRNGKey(0), SIZES)
X = jax.random.normal(jax.random.PRNGKey(1), (16, SIZES[0]))
Y = jax.nn.one_hot(jax.random.randint(jax.random.PRNGKey(2), (16,), 0, SIZES[-1]), SIZES[-1])
L = len(SIZES) - 1


def nonzero(tree):
    return [bool(jnp.any(leaf != 0)) for leaf in tree]


@pytest.mark.parametrize("m", range(L + 1))
def test_each_layer_loss_reaches_only_its_own_two_weight_matrices(m):
    gradient = jax.grad(lambda p: layer_losses(p, X, Y)[m])(PARAMS)
    # loss_m trains W_m (forward[m - 1]) and B_{m+1} (feedback[m]); every other gradient is exactly 0.
    assert nonzero(gradient.forward) == [l == m - 1 for l in range(L)]
    assert nonzero(gradient.feedback) == [l == m for l in range(L)]


def test_no_weight_transport():
    def forward_sum(params):
        return sum(jnp.sum(a) for a in forward_activities(params.forward, X))

    def feedback_sum(params):
        return sum(jnp.sum(b) for b in feedback_activities(params.feedback, jnp.eye(SIZES[-1])))

    assert not any(nonzero(jax.grad(forward_sum)(PARAMS).feedback))
    assert not any(nonzero(jax.grad(feedback_sum)(PARAMS).forward))
    # and the functions themselves take only their own network's weights
    perturbed = PARAMS._replace(feedback=tuple(b * 0 + 7.0 for b in PARAMS.feedback))
    for a, b in zip(forward_activities(PARAMS.forward, X), forward_activities(perturbed.forward, X)):
        np.testing.assert_array_equal(a, b)


def test_loss_matches_a_hand_computed_value():
    w = jnp.array([[1.0, -2.0], [0.5, 1.0]])  # W_1: input 2 -> 2 classes (the logits)
    b = jnp.array([[0.2, 0.4], [-1.0, 0.3]])  # B_1: 2 classes -> input 2 (b_0 = I B_1 = B_1)
    x = jnp.array([[1.0, 2.0]])
    y = jnp.array([[0.0, 1.0]])
    losses = layer_losses(CounterCurrentParams((w,), (b,)), x, y)
    # loss_0 = (256 * 0.5 / 2) * mean((x B_1^T - y)^2); x B_1^T = [1.0, -0.4]
    loss_0 = 64.0 * ((1.0 - 0.0) ** 2 + (-0.4 - 1.0) ** 2) / 2
    # loss_1 = cross-entropy of the logits x W = [2.0, 0.0] (the top pair has no matching loss)
    logits = np.array([2.0, 0.0])
    loss_1 = np.log(np.exp(logits).sum()) - logits[1]
    np.testing.assert_allclose(losses, [loss_0, loss_1], rtol=1e-6)


AE_SIZES = (12, 8, 4, 8, 12)
AE_PARAMS = init_counter_current(jax.random.PRNGKey(6), AE_SIZES)


@pytest.mark.parametrize("m", range(len(AE_SIZES)))
def test_each_autoencoder_loss_reaches_only_its_own_two_weight_matrices(m):
    n = len(AE_SIZES) - 1
    gradient = jax.grad(lambda p: autoencoder_losses(p, X, X)[m])(AE_PARAMS)
    # loss_0 pairs x with b_0 (trains B_1 only); loss_L pairs the reconstruction with the target (W_L only).
    assert nonzero(gradient.forward) == [l == m - 1 for l in range(n)]
    assert nonzero(gradient.feedback) == [l == m for l in range(n)]


def test_autoencoder_losses_by_hand():
    w = jnp.array([[1.0, 0.0], [0.0, 2.0]])  # forward 2 -> 2 (linear: it is the top)
    b = jnp.array([[0.5, 0.0], [1.0, -1.0]])  # feedback 2 -> 2 (linear: it is b_0)
    x, target = jnp.array([[1.0, -1.0]]), jnp.array([[2.0, 0.0]])
    losses = autoencoder_losses(CounterCurrentParams((w,), (b,)), x, target)
    # loss_0 = mean((x - target B)^2), target B = [1, 0]; loss_1 = mean((x W - target)^2), x W = [1, -2]
    np.testing.assert_allclose(losses, [((1 - 1) ** 2 + (-1 - 0) ** 2) / 2, ((1 - 2) ** 2 + (-2 - 0) ** 2) / 2])


def test_feedback_alignment_with_the_forward_weights_as_feedback_is_backprop():
    rule = feedback_alignment(jax.random.PRNGKey(5))
    fa, _ = rule.update(PARAMS.forward, PARAMS, batch=(X, Y))
    bp, _ = backprop_baseline().update((), PARAMS, batch=(X, Y))
    for a, b in zip(fa.forward, bp.forward):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    random_fa, _ = rule.update(rule.init(PARAMS), PARAMS, batch=(X, Y))
    np.testing.assert_allclose(random_fa.forward[-1], bp.forward[-1], rtol=1e-5, atol=1e-6)  # the top layer is exact
    assert not np.allclose(random_fa.forward[0], bp.forward[0])


# ----------------------------------------------------------------- the convolutional variant

CNN = init_counter_current_cnn(jax.random.PRNGKey(7), (1, 3, 4, 5), n_classes=4, image_side=8)
IMAGES = jax.random.normal(jax.random.PRNGKey(8), (6, 8, 8, 1))
CNN_Y = jax.nn.one_hot(jnp.array([0, 1, 2, 3, 0, 1]), 4)


def test_cnn_shapes_halve_the_image_down_to_one_pixel_and_back():
    a = forward_activities(CNN.forward, IMAGES)
    b = feedback_activities(CNN.feedback, jnp.eye(4))
    assert [x.shape for x in a] == [(6, 8, 8, 1), (6, 4, 4, 3), (6, 2, 2, 4), (6, 1, 1, 5), (6, 4)]
    # the dense layer's feedback stays a vector (the loss compares flattened activity)
    assert [x.shape for x in b] == [(4, 8, 8, 1), (4, 4, 4, 3), (4, 2, 2, 4), (4, 5), (4, 4)]
    assert all(float(jnp.abs(layer.bias).sum()) == 0.0 for layer in CNN.forward[:-1])  # biases start at zero


@pytest.mark.parametrize("m", range(5))
def test_each_cnn_layer_loss_reaches_only_its_own_two_layers(m):
    gradient = jax.grad(lambda p: layer_losses(p, IMAGES, CNN_Y, "normalized")[m])(CNN)
    touched_forward = [any(nonzero(jax.tree_util.tree_leaves(w))) for w in gradient.forward]
    touched_feedback = [any(nonzero(jax.tree_util.tree_leaves(b))) for b in gradient.feedback]
    assert touched_forward == [l == m - 1 for l in range(4)]
    assert touched_feedback == [l == m for l in range(4)]


def test_normalized_loss_matches_a_hand_computed_value():
    w = jnp.array([[1.0, 0.0], [0.0, 1.0]])
    b = jnp.array([[3.0, 4.0], [0.0, -2.0]])  # b_0 = I B_1: rows [3, 4] and [0, -2]
    x = jnp.array([[2.0, 0.0], [1.0, 1.0]])
    y = jnp.array([[1.0, 0.0], [0.0, 1.0]])
    losses = layer_losses(CounterCurrentParams((w,), (b,)), x, y, "normalized")
    a_hat = np.array([[1.0, 0.0], [1.0, 1.0]]) / np.array([[1.0], [np.sqrt(2)]])
    b_hat = np.array([[0.6, 0.8], [0.0, -1.0]])
    matching = 0.5 * np.mean((a_hat @ b_hat.T - np.asarray(y)) ** 2)
    orthogonal = 0.5 * np.mean((a_hat @ a_hat.T - np.eye(2)) ** 2) + 0.5 * np.mean((b_hat @ b_hat.T - np.eye(2)) ** 2)
    logits = np.asarray(x @ w)
    cross_entropy = np.mean(np.log(np.exp(logits).sum(axis=1)) - logits[np.arange(2), [0, 1]])
    np.testing.assert_allclose(losses, [matching + orthogonal, cross_entropy], rtol=1e-5)


def test_cnn_feedback_alignment_with_the_forward_weights_is_backprop():
    fa, _ = feedback_alignment(jax.random.PRNGKey(9)).update(CNN.forward, CNN, batch=(IMAGES, CNN_Y))
    bp, _ = backprop_baseline().update((), CNN, batch=(IMAGES, CNN_Y))
    for a, b in zip(jax.tree_util.tree_leaves(fa.forward), jax.tree_util.tree_leaves(bp.forward)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_cnn_image_side_must_reach_one_pixel():
    with pytest.raises(ValueError, match=r"image_side: got 28; allowed: 8 \(= 2 \*\* 3 stride-2 convolutions"):
        init_counter_current_cnn(jax.random.PRNGKey(0), (1, 3, 4, 5), n_classes=4, image_side=28)


# ----------------------------------------------------------------- representational alignment


def test_linear_cka_is_invariant_to_rotation_and_scale_and_matches_the_hsic_form():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 5))
    rotation = np.linalg.qr(rng.normal(size=(5, 5)))[0]
    np.testing.assert_allclose(linear_cka(x, 3.0 * x @ rotation), 1.0, rtol=1e-5)
    y = rng.normal(size=(40, 3))
    # Route two: HSIC with the centring matrix H, on the Gram matrices K = X X^T, L = Y Y^T.
    h = np.eye(40) - 1.0 / 40
    k, l = h @ x @ x.T @ h, h @ y @ y.T @ h
    expected = np.sum(k * l) / np.sqrt(np.sum(k * k) * np.sum(l * l))
    np.testing.assert_allclose(linear_cka(x, y), expected, rtol=1e-4)
    assert float(linear_cka(x, np.ones((40, 2)))) == 0.0


def test_alignment_uses_each_samples_class_code():
    params = init_counter_current(jax.random.PRNGKey(0), (4, 6, 6, 3))
    x = jax.random.normal(jax.random.PRNGKey(1), (30, 4))
    y = jax.nn.one_hot(jnp.arange(30) % 3, 3)
    a = forward_activities(params.forward, x)
    b = feedback_activities(params.feedback, jnp.eye(3))
    expected = [float(linear_cka(a[l], b[l][jnp.arange(30) % 3])) for l in (1, 2)]
    np.testing.assert_allclose(alignment(params, x, y), expected, rtol=1e-6)


def test_counter_current_learns_mnist_digits():
    from bioplastic.data.registry import load

    mnist = load("mnist")
    train = (mnist.train_images[:3000], mnist.train_labels[:3000])
    test = (mnist.test_images[:1000], mnist.test_labels[:1000])
    params = init_counter_current(jax.random.PRNGKey(3), (784, 128, 128, 10))
    # The authors' optimizer: SGD (lr 1) for each network, gradient norm clipped at 1 per network.
    per_network = optax.chain(optax.clip_by_global_norm(1.0), optax.sgd(1.0))
    labels = CounterCurrentParams(("forward",) * 3, ("feedback",) * 3)
    optimizer = optax.multi_transform({"forward": per_network, "feedback": per_network}, labels)
    history = fit(counter_current(), params, optimizer, train, test, epochs=3, batch_size=64,
                  key=jax.random.PRNGKey(4), predict=predict)
    # Learning from local losses only: well above chance (0.1) and better than after the first
    # epoch on a 3000-image subset (the full-protocol accuracies are measured separately).
    assert history.test_accuracy[-1] > 0.4, history.test_accuracy
    assert history.test_accuracy[-1] > history.test_accuracy[0], history.test_accuracy


def test_feedback_readout_reads_each_layer_through_the_class_codes():
    params = init_counter_current(jax.random.PRNGKey(0), (4, 6, 6, 3))
    x = jax.random.normal(jax.random.PRNGKey(1), (30, 4))
    labels = jnp.arange(30) % 3
    a = forward_activities(params.forward, x)
    b = feedback_activities(params.feedback, jnp.eye(3))
    by_hand = [np.mean([int(np.argmax([float(a[l][i] @ b[l][c]) for c in range(3)])) == int(labels[i])
                        for i in range(30)]) for l in (1, 2)]
    np.testing.assert_allclose(feedback_readout(params, x, labels), by_hand)
