"""Training protocols: standardized pixels, validation split and model selection, warmup,
convolutional padding, and the autoencoder task (score computed two ways)."""

import json
import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bioplastic.data.registry import load
from bioplastic.experiments import load_protocol
from bioplastic.experiments.training.build import build_training
from bioplastic.runs import read_npz
from bioplastic.runs.progress import Progress
from bioplastic.layers.counter_current import CounterCurrentParams, predict
from bioplastic.train.batches import minibatches, pixel_statistics, prepare_images, run_epoch, split_validation
from bioplastic.experiments import run_protocol

ROOT = pathlib.Path(__file__).resolve().parents[1]
TINY_MLP = ["training.epochs=3", "training.train_examples=600", "training.test_examples=300",
            "training.validation_examples=100", "training.sizes=[784, 32, 32, 10]"]


def test_pixel_statistics_of_mnist_are_the_usual_normalisation():
    mean, std = pixel_statistics(load("mnist").train_images)
    assert round(mean, 4) == 0.1307 and round(std, 4) == 0.3081


def test_validation_split_is_disjoint_complete_and_repeatable():
    images, labels = np.arange(50)[:, None] * 10, np.arange(50)
    (kept_x, kept), (held_x, held) = split_validation((images, labels), 12, jax.random.PRNGKey(3))
    assert len(held) == 12 and len(kept) == 38 and not set(kept) & set(held)
    np.testing.assert_array_equal(held_x[:, 0], held * 10)  # images stay with their labels
    again = split_validation((images, labels), 12, jax.random.PRNGKey(3))[1][1]
    np.testing.assert_array_equal(held, again)
    with pytest.raises(ValueError, match=r"n_validation: got 50; allowed: 1 to 49"):
        split_validation((images, labels), 50, jax.random.PRNGKey(3))


def test_standardized_images_have_zero_mean_and_unit_std():
    mnist = load("mnist")
    statistics = pixel_statistics(mnist.train_images)
    x, _ = prepare_images((mnist.train_images[:5000], mnist.train_labels[:5000]), statistics)
    assert abs(float(x.mean())) < 0.02 and abs(float(x.std()) - 1.0) < 0.02


def test_validation_selects_the_epoch_with_the_lowest_validation_loss(tmp_path):
    seen = {}
    run_dir = run_protocol(ROOT / "protocols" / "ccl_mnist.toml", tmp_path, overrides=TINY_MLP, progress=False,
                           on_unit=lambda epoch, state: seen.__setitem__(epoch, state["layers"]))
    assert sorted(seen) == [0, 1, 2, 3]  # 0: the initial layers
    curves, metrics = read_npz(run_dir / "curves.npz"), json.loads((run_dir / "metrics.json").read_text())
    selected = int(np.argmin(curves["validation_loss"]))
    assert metrics["selected_epoch"] == selected + 1
    assert metrics["selected_test_accuracy"] == curves["test_accuracy"][selected]
    assert metrics["test_accuracy"] == curves["test_accuracy"][-1]                       # the last epoch
    assert metrics["training_loss"] == curves["training_loss"][-1] and len(curves["training_loss"]) == 3
    assert not [name for name in metrics if name.startswith("best")]          # nothing chosen on test data
    stored = read_npz(run_dir / "selected_layers.npz")
    leaves = jax.tree_util.tree_leaves(seen[selected + 1])
    assert len(stored) == len(leaves)
    for array, leaf in zip(stored.values(), leaves):
        np.testing.assert_array_equal(array, leaf)
    # the validation loss is the cross-entropy of the held-out images, computed here by hand
    experiment = build_training(load_protocol(ROOT / "protocols" / "ccl_mnist.toml", TINY_MLP)[0], "ccl_mnist.toml")
    logits = predict(seen[selected + 1], experiment.run.validation_x)
    by_hand = -np.mean(np.asarray(jax.nn.log_softmax(logits))[np.arange(100), experiment.run.validation_y])
    np.testing.assert_allclose(curves["validation_loss"][selected], by_hand, rtol=1e-5)


def test_warmup_scales_the_first_gradients_before_clipping():
    def first_update(warmup_steps, gradient_scale):
        overrides = TINY_MLP + [f"training.warmup_steps={warmup_steps}", "training.clip_norm=1.0"]
        experiment = build_training(load_protocol(ROOT / "protocols" / "ccl_mnist.toml", overrides)[0], "x.toml")
        layers = experiment.layers
        gradient = jax.tree_util.tree_map(lambda w: jnp.full_like(w, gradient_scale), layers)
        updates, _ = experiment.optimizer.update(gradient, experiment.optimizer.init(layers), layers)
        return np.concatenate([np.ravel(u) for u in jax.tree_util.tree_leaves(updates.forward)])

    # A tiny gradient (norm < 1, not clipped): the first step of a 10-step warmup is a tenth of it.
    np.testing.assert_allclose(first_update(10, 1e-6), first_update(0, 1e-6) / 10, rtol=1e-5)
    # A huge gradient: scaled by 1/10 first, then clipped to norm 1 all the same, as in the authors' code.
    np.testing.assert_allclose(np.linalg.norm(first_update(10, 1e3)), 1.0, rtol=1e-5)


def test_convolutional_network_sees_the_image_centred_in_a_power_of_two_frame():
    overrides = ["training.train_examples=300", "training.test_examples=50", "training.validation_examples=44",
                 "training.sizes=[1, 2, 2, 2, 2, 2, 10]"]
    experiment = build_training(load_protocol(ROOT / "protocols" / "ccl_cnn_mnist.toml", overrides)[0], "x.toml")
    mnist = load("mnist")
    test_x = experiment.run.test_x
    assert test_x.shape == (50, 32, 32, 1)
    statistics = pixel_statistics(mnist.train_images)
    expected, _ = prepare_images((mnist.test_images[:50], mnist.test_labels[:50]), statistics, "nhwc")
    np.testing.assert_allclose(test_x[:, 2:30, 2:30], expected, rtol=1e-6)
    background = -statistics[0] / statistics[1]  # the zero padding is black, like the digits' background
    np.testing.assert_allclose(test_x[:, :2], background, rtol=1e-6)


def test_autoencoder_score_is_the_mean_squared_reconstruction_error(tmp_path):
    overrides = ["training.epochs=2", "training.train_examples=2000", "training.test_examples=300",
                 "training.validation_examples=200", "training.sizes=[784, 64, 784]", 'training.rule="backprop"']
    path = ROOT / "protocols" / "ccl_autoencoder_mnist.toml"
    run_dir = run_protocol(path, tmp_path, overrides=overrides, progress=False)
    curves, metrics = read_npz(run_dir / "curves.npz"), json.loads((run_dir / "metrics.json").read_text())
    layers = read_npz(run_dir / "layers.npz")
    params = CounterCurrentParams((layers["forward[0]"], layers["forward[1]"]), ())
    mnist = load("mnist")
    x, _ = prepare_images((mnist.test_images[:300], mnist.test_labels[:300]), pixel_statistics(mnist.train_images))
    by_hand = float(np.mean((np.asarray(predict(params, x)) - np.asarray(x)) ** 2))
    np.testing.assert_allclose(metrics["test_mse"], by_hand, rtol=1e-4)
    assert curves["test_mse"][1] < curves["test_mse"][0] < 1.0  # better than the mean image, and improving


@pytest.mark.parametrize(
    "override, message",
    [
        ("training.sizes=[784, 0, 10]", "training.sizes: got [784, 0, 10]; allowed: layer sizes >= 1"),
        ("plots.curve={type='raster', recording='x'}",
         "plots.curve.type: got 'raster'; allowed: 'learning_curve' (the plot of a training protocol)"),
    ],
)
def test_bad_sizes_and_plots_are_reported_before_the_dataset_is_looked_for(tmp_path, override, message):
    from bioplastic.protocol.errors import ProtocolError

    protocol = load_protocol(ROOT / "protocols" / "dp_mnist.toml", [override])[0]
    with pytest.raises(ProtocolError) as error:
        build_training(protocol, ROOT / "protocols" / "dp_mnist.toml", data_dir=tmp_path)  # an empty cache
    assert str(error.value).endswith(message)


def test_training_loss_is_the_mean_loss_each_batch_meets_before_its_update():
    experiment = build_training(load_protocol(ROOT / "protocols" / "dp_mnist.toml", TINY_MLP)[0], "dp_mnist.toml")
    run, key = experiment.run, experiment.key
    rule_state, opt_state = experiment.rule.init(experiment.layers), experiment.optimizer.init(experiment.layers)
    epoch = run_epoch(run, experiment.layers, rule_state, opt_state, key, 1)
    # the same epoch by hand: the loss of each batch on the weights before its step, then the step
    layers, losses = experiment.layers, []
    for chosen in minibatches(key, 1, len(run.train_x), run.batch_size):
        x, labels = run.train_x[chosen], run.train_y[chosen]
        losses.append(float(run.loss(layers, x, labels)) / len(chosen))
        layers, rule_state, opt_state = run.step(layers, rule_state, opt_state, x, jax.nn.one_hot(labels, 10))
    np.testing.assert_allclose(epoch.training_loss, np.mean(losses), rtol=1e-5)
    for mine, theirs in zip(jax.tree_util.tree_leaves(epoch.layers), jax.tree_util.tree_leaves(layers)):
        np.testing.assert_array_equal(mine, theirs)


def test_progress_moves_with_every_batch_and_prints_each_epoch(tmp_path, capsys, monkeypatch):
    shown = []
    update_to = Progress.update_to
    monkeypatch.setattr(Progress, "update_to", lambda self, done, note="": (shown.append(done),
                                                                              update_to(self, done, note)))
    run_protocol(ROOT / "protocols" / "dp_mnist.toml", tmp_path, overrides=TINY_MLP[1:] + ["training.epochs=2"])
    batches = 500 // 100                              # 500 training examples of 600 (100 held out), batches of 100
    assert shown[:batches] == pytest.approx([(b + 1) / batches for b in range(batches)])
    err = capsys.readouterr().err
    epoch_lines = [line.split("\r")[-1] for line in err.splitlines() if "epoch " in line and "loss" in line]
    assert [line.split(":")[0] for line in epoch_lines] == ["epoch 1/2", "epoch 2/2"]
    assert "training loss" in epoch_lines[0] and "validation loss" in epoch_lines[0] and "test accuracy" in err
