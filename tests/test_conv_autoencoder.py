"""The convolutional counter-current autoencoder: its loss by hand, BatchNorm kept apart per network,
locality, feedback alignment against backprop, and the optimizer against PyTorch's update by hand."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from bioplastic.experiments.training.build import build_training
from bioplastic.experiments.training.schema import TrainingProtocol
from bioplastic.layers.conv_autoencoder import (BATCHNORM_EPSILON, feedback_activities, forward_activities,
                                                init_conv_autoencoder, reconstruct)
from bioplastic.protocol.errors import ProtocolError
from bioplastic.rules.counter_current import conv_autoencoder_losses, counter_current, image_pair_loss
from bioplastic.rules.counter_current_baselines import backprop_baseline, feedback_alignment
from bioplastic.train.optimizers import network_optimizer

CHANNELS = (1, 3, 4, 3, 1)
PARAMS = init_conv_autoencoder(jax.random.PRNGKey(0), CHANNELS, image_side=8)
X = jax.random.normal(jax.random.PRNGKey(1), (6, 8, 8, 1))
OTHER = jax.random.normal(jax.random.PRNGKey(2), (6, 8, 8, 1))
N_LAYERS = len(CHANNELS) - 1


def touched(tree):
    return [any(bool(jnp.any(leaf != 0)) for leaf in jax.tree_util.tree_leaves(layer)) for layer in tree]


def with_random_kernels(params, key):
    """Every kernel random (the authors' zero and 0.001 kernels make some gradients vanish at the start)."""
    keys = iter(jax.random.split(key, 2 * N_LAYERS))
    redraw = lambda layers: tuple(layer._replace(kernel=jax.random.normal(next(keys), layer.kernel.shape))  # noqa: E731
                                  for layer in layers)
    return params._replace(forward=redraw(params.forward), feedback=redraw(params.feedback))


RANDOM = with_random_kernels(PARAMS, jax.random.PRNGKey(3))


def test_normalized_loss_matches_a_hand_computation():
    a = jnp.array([1.0, 2.0, 3.0, 6.0]).reshape(1, 2, 2, 1)
    b = jnp.array([0.0, 0.0, 0.0, 1.0]).reshape(1, 2, 2, 1)
    squared = 2 * (1 + 4 + 9 + 25) / 4                       # side 2 x mean squared difference
    z_a = np.array([-2.0, -1.0, 0.0, 3.0]) / math.sqrt(14)     # a - mean 3, norm sqrt(4 + 1 + 0 + 9)
    z_b = np.array([-1.0, -1.0, -1.0, 3.0]) / math.sqrt(12)    # b - 1/4 = [-1, -1, -1, 3] / 4, norm sqrt(12) / 4
    normalized_term = 2 * np.mean((z_a - z_b) ** 2)
    np.testing.assert_allclose(image_pair_loss(a, b), squared + normalized_term, rtol=1e-6)
    np.testing.assert_allclose(image_pair_loss(a, b, normalized_term=False), squared, rtol=1e-6)
    # each channel of each image is normalised on its own: a second channel, and a second image, change nothing
    two = jnp.concatenate([a, 5 * b], axis=-1), jnp.concatenate([b, b], axis=-1)
    per_channel = 2 * (np.mean((z_a - z_b) ** 2) + 0.0) / 2      # 5 b normalises to z(b): the second channel adds 0
    squared_two = 2 * ((1 + 4 + 9 + 25) + 16) / 8
    np.testing.assert_allclose(image_pair_loss(*two), squared_two + per_channel, rtol=1e-6)


def test_layer_losses_pair_forward_and_feedback_activity_at_each_depth():
    losses, _ = conv_autoencoder_losses(RANDOM, X, OTHER)
    a, _ = forward_activities(RANDOM, X)
    b, _ = feedback_activities(RANDOM, OTHER)
    expected = [image_pair_loss(a_l, b_l, normalized_term=0 < l < N_LAYERS) for l, (a_l, b_l) in enumerate(zip(a, b))]
    np.testing.assert_allclose(losses, expected, rtol=1e-6)
    np.testing.assert_array_equal(a[0], X)          # the input and the target sit at the two ends
    np.testing.assert_array_equal(b[-1], OTHER)


def test_each_loss_reaches_only_the_two_layers_that_produce_its_pair():
    gradients = jax.jit(jax.jacrev(lambda p: conv_autoencoder_losses(p, X, OTHER)[0]))(RANDOM)
    for m in range(N_LAYERS + 1):
        gradient = jax.tree_util.tree_map(lambda g: g[m], gradients)     # of loss m alone
        assert touched(gradient.forward) == [l == m - 1 for l in range(N_LAYERS)]
        assert touched(gradient.feedback) == [l == m for l in range(N_LAYERS)]


def test_batchnorm_statistics_do_not_leak_between_the_two_networks():
    rule = counter_current("conv_autoencoder")
    delta, _ = rule.update((), RANDOM, batch=(X, X))
    other_target, _ = rule.update((), RANDOM, batch=(X, OTHER))
    other_input, _ = rule.update((), RANDOM, batch=(OTHER, X))
    leaves = jax.tree_util.tree_leaves
    # the forward statistics follow the input alone, the feedback statistics the target alone
    for one, two in zip(leaves(delta.statistics.forward), leaves(other_target.statistics.forward)):
        np.testing.assert_array_equal(one, two)
    for one, two in zip(leaves(delta.statistics.feedback), leaves(other_input.statistics.feedback)):
        np.testing.assert_array_equal(one, two)
    assert not np.allclose(delta.statistics.feedback[0].mean, other_target.statistics.feedback[0].mean)
    # ... and each is PyTorch's running-average step on its own network's pre-activation
    pre = jax.lax.conv_general_dilated(X, RANDOM.forward[0].kernel, (2, 2), ((1, 1), (1, 1)),
                                       dimension_numbers=("NHWC", "HWIO", "NHWC")) + RANDOM.forward[0].bias
    values = np.asarray(pre).reshape(-1, CHANNELS[1])
    np.testing.assert_allclose(delta.statistics.forward[0].mean, 0.1 * (values.mean(0) - 0.0), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(delta.statistics.forward[0].var, 0.1 * (values.var(0, ddof=1) - 1.0), rtol=1e-4)
    # the baselines move the forward statistics the same way and leave the feedback network's alone
    for baseline in (backprop_baseline("mse"), feedback_alignment(jax.random.PRNGKey(4), "mse")):
        moved, _ = baseline.update(baseline.init(RANDOM), RANDOM, batch=(X, X))
        for one, two in zip(leaves(moved.statistics.forward), leaves(delta.statistics.forward)):
            np.testing.assert_allclose(one, two, rtol=1e-6)
        assert not any(np.any(leaf != 0) for leaf in leaves(moved.statistics.feedback))
        assert not any(touched(moved.feedback))


def test_reconstruction_normalises_with_the_running_statistics():
    params = RANDOM._replace(statistics=RANDOM.statistics._replace(forward=tuple(
        m._replace(mean=m.mean + 0.5, var=m.var * 4.0) for m in RANDOM.statistics.forward)))
    a = X
    for j, layer in enumerate(params.forward):
        if j < N_LAYERS // 2:
            pre = jax.lax.conv_general_dilated(a, layer.kernel, (2, 2), ((1, 1), (1, 1)),
                                               dimension_numbers=("NHWC", "HWIO", "NHWC")) + layer.bias
        else:
            up = jnp.repeat(jnp.repeat(a, 2, axis=1), 2, axis=2)
            pre = jax.lax.conv_general_dilated(up, layer.kernel, (1, 1), ((1, 1), (1, 1)),
                                               dimension_numbers=("NHWC", "HWIO", "NHWC")) + layer.bias
        if j < N_LAYERS - 1:
            moments = params.statistics.forward[j]
            pre = jax.nn.relu((pre - moments.mean) / jnp.sqrt(moments.var + BATCHNORM_EPSILON))
        a = pre
    np.testing.assert_allclose(reconstruct(params, X), a, rtol=1e-5, atol=1e-6)


def test_feedback_alignment_with_the_forward_kernels_as_feedback_is_backprop():
    fa, _ = feedback_alignment(jax.random.PRNGKey(5), "mse").update(RANDOM.forward, RANDOM, batch=(X, X))
    bp, _ = backprop_baseline("mse").update((), RANDOM, batch=(X, X))
    for one, two in zip(jax.tree_util.tree_leaves(fa.forward), jax.tree_util.tree_leaves(bp.forward)):
        np.testing.assert_allclose(one, two, rtol=1e-4, atol=1e-5)
    rule = feedback_alignment(jax.random.PRNGKey(5), "mse")
    random_fa, _ = rule.update(rule.init(RANDOM), RANDOM, batch=(X, X))
    np.testing.assert_allclose(random_fa.forward[-1].kernel, bp.forward[-1].kernel, rtol=1e-4, atol=1e-5)  # top: exact
    assert not np.allclose(random_fa.forward[0].kernel, bp.forward[0].kernel, rtol=1e-2)


def test_initialisation_is_the_authors():
    for j, (forward, feedback) in enumerate(zip(PARAMS.forward, PARAMS.feedback)):
        encoder = j < N_LAYERS // 2
        scale_forward = 0.0 if j == N_LAYERS - 1 else (1.0 if encoder else 0.001)
        scale_feedback = 0.0 if j == 0 else (0.001 if encoder else 1.0)
        for layer, scale in ((forward, scale_forward), (feedback, scale_feedback)):
            c_in, c_out = layer.kernel.shape[2:]
            if scale == 0.0:
                assert not np.any(layer.kernel)
                continue
            # orthogonal over the larger of the two channel counts, as PyTorch's orthogonal_ on (out, in*9) or (in, out*9)
            matrix = (layer.kernel.transpose(3, 2, 0, 1).reshape(c_out, -1) if c_out >= c_in
                      else layer.kernel.transpose(2, 3, 0, 1).reshape(c_in, -1)) / scale
            np.testing.assert_allclose(matrix @ matrix.T, np.eye(len(matrix)), atol=1e-5)
        assert not np.any(forward.bias)
        bound = 1 / math.sqrt(feedback.kernel.shape[2] * 9)
        assert np.all(np.abs(feedback.bias) <= bound) and np.any(feedback.bias)


def test_optimizer_is_pytorchs_sgd_step_by_hand():
    """Warm-up, centralisation, clipping, weight decay, momentum and the per-epoch cosine, against numpy."""
    lr, lr_min, momentum, decay, clip, warmup, epochs, per_epoch = 0.01, 0.001, 0.9, 1e-4, 0.2, 3, 2, 2
    optimizer = network_optimizer("sgd", lr, momentum=momentum, weight_decay=decay, clip_norm=clip,
                                  warmup_steps=warmup, centralize=True, schedule="cosine",
                                  min_learning_rate=lr_min, epochs=epochs, steps_per_epoch=per_epoch)
    rng = np.random.default_rng(0)
    w = {"kernel": rng.normal(size=(3, 3, 2, 4)).astype(np.float32), "bias": rng.normal(size=4).astype(np.float32)}
    state, params = optimizer.init(w), dict(w)
    expected, buffer = {k: v.astype(np.float64) for k, v in w.items()}, None
    for step in range(4):
        gradient = {k: rng.normal(size=v.shape) for k, v in w.items()}
        # by hand, in PyTorch's order (the authors' loop): loss x warm-up, centralise, clip, then SGD(wd, momentum)
        g = {k: v * min((step + 1) / warmup, 1.0) for k, v in gradient.items()}
        g["kernel"] = g["kernel"] - g["kernel"].mean(axis=(0, 1, 2), keepdims=True)
        norm = math.sqrt(sum(float(np.sum(v**2)) for v in g.values()))
        g = {k: v * min(1.0, clip / norm) for k, v in g.items()}
        g = {k: v + decay * expected[k] for k, v in g.items()}
        buffer = g if buffer is None else {k: momentum * buffer[k] + g[k] for k in g}
        rate = lr_min + (lr - lr_min) * (1 + math.cos(math.pi * (step // per_epoch) / epochs)) / 2
        expected = {k: expected[k] - rate * buffer[k] for k in g}
        updates, state = optimizer.update({k: jnp.asarray(v, jnp.float32) for k, v in gradient.items()}, state, params)
        params = optax.apply_updates(params, updates)
    for k in w:
        np.testing.assert_allclose(params[k], expected[k], rtol=1e-5, atol=1e-7)


def protocol(**training):
    table = {"dataset": "mnist", "network": "counter_current_conv_autoencoder", "rule": "counter_current",
             "sizes": [1, 4, 8, 4, 1], "optimizer": "sgd", "learning_rate": 0.01, "epochs": 1,
             "train_examples": 200, "test_examples": 50, "batch_size": 20}
    return TrainingProtocol.model_validate({"name": "t", "training": {**table, **training}})


@pytest.mark.parametrize("training, message", [
    ({"sizes": [1, 4, 8, 4]}, "t.toml: training.sizes: got [1, 4, 8, 4]; allowed: an odd number of channel counts "
                              "from 1 (channels of 'mnist') back to 1: the input, the channels after each encoder "
                              "and each decoder convolution, the reconstruction"),
    ({"sizes": [3, 4, 3]}, "t.toml: training.sizes: got [3, 4, 3]; allowed: an odd number of channel counts from 1"),
    ({"optimizer": "adam", "momentum": 0.9}, "t.toml: training.momentum: got 0.9; allowed: only with optimizer = "
                                            "'sgd' (got 'adam')"),
    ({"learning_rate_schedule": "cosine", "min_learning_rate": 0.1},
     "t.toml: training.min_learning_rate: got 0.1; allowed: at most learning_rate (0.01): the cosine anneals down to it"),
    ({"hidden_activation": "elu"}, "t.toml: training.hidden_activation: got 'elu'; allowed: 'relu' (the "
                                   "counter_current_conv_autoencoder network uses relu)"),
])
def test_bad_settings_are_refused_before_anything_runs(training, message):
    with pytest.raises(ProtocolError) as error:
        build_training(protocol(**training), "t.toml")
    assert str(error.value).startswith(message)


def test_mnist_is_padded_to_a_multiple_of_the_encoders_halvings_and_trains():
    experiment = build_training(protocol(sizes=[1, 4, 8, 8, 8, 4, 1], batches_per_epoch=3), "t.toml")
    assert experiment.run.train_x.shape[1:] == (32, 32, 1)      # 28 -> 32 = 2 ** 3 x 4
    assert experiment.run.batches_per_epoch == 3
    from bioplastic.train.batches import run_epoch
    e = experiment
    layers, _, _, _, step_seconds, _ = run_epoch(e.run, e.layers, e.rule.init(e.layers), e.optimizer.init(e.layers),
                                              e.key, 0)
    assert len(step_seconds) == 2                                 # 3 batches, the first untimed
    moved = jax.tree_util.tree_map(lambda one, two: bool(jnp.any(one != two)), e.layers.statistics, layers.statistics)
    assert all(jax.tree_util.tree_leaves(moved))                  # every running statistic moved
