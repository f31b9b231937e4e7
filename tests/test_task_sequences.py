"""Continual task sequences besides permuted MNIST: split MNIST (each task two digits, labelled by
their place in the pair) and one task per dataset (Fashion-MNIST, then MNIST); and the errors
that name the key at fault."""

import pathlib

import numpy as np
import pytest

from bioplastic.data.registry import load
from bioplastic.experiments import validate_protocol
from bioplastic.protocol.errors import ProtocolError
from bioplastic.train.batches import pixel_statistics

ROOT = pathlib.Path(__file__).resolve().parent.parent
PROTOCOL = ROOT / "protocols" / "hlop_pmnist_small.toml"
SPLIT_PROTOCOL = ROOT / "protocols" / "hlop_split_mnist.toml"
DATASETS_PROTOCOL = ROOT / "protocols" / "hlop_fashion_then_mnist.toml"
SMALL = ["continual.train_examples=600", "continual.test_examples=200", "continual.validation_examples=50"]


def test_split_tasks_hold_two_digits_each_labelled_by_their_place_in_the_pair():
    experiment = validate_protocol(SPLIT_PROTOCOL, ["continual.train_examples=1500"] + SMALL[1:])
    mnist = load("mnist")
    mean, std = experiment.run.settings.standardize
    assert (mean, std) == pixel_statistics(mnist.train_images)
    train_labels = mnist.train_labels[:1500]          # the last 50 of each task held out
    for task, ((train_x, train_y), (test_x, test_y)) in enumerate(experiment.run.data):
        first, second = 2 * task, 2 * task + 1                           # (0, 1), (2, 3), ... in order
        picked = np.flatnonzero(np.isin(train_labels, (first, second)))[:-50]
        np.testing.assert_array_equal(train_y, (train_labels[picked] == second).astype(int))
        expected = (mnist.train_images[picked].reshape(-1, 784) / 255.0 - mean) / std
        np.testing.assert_allclose(np.asarray(train_x), expected, rtol=1e-5, atol=1e-5)
        np.testing.assert_array_equal(test_y, (mnist.test_labels[:200][np.isin(mnist.test_labels[:200], (first, second))]
                                               == second).astype(int))


def test_a_sequence_of_datasets_is_one_task_each_in_order_standardized_over_all_of_them():
    experiment = validate_protocol(DATASETS_PROTOCOL, SMALL)
    fashion, mnist = load("fashion_mnist"), load("mnist")
    assert len(experiment.run.data) == 2 and experiment.state.accuracy.shape == (2, 2)
    mean, std = experiment.run.settings.standardize
    np.testing.assert_allclose((mean, std), pixel_statistics(np.concatenate([fashion.train_images, mnist.train_images])))
    for (train_x, train_y), dataset in zip((task[0] for task in experiment.run.data), (fashion, mnist)):
        np.testing.assert_array_equal(train_y, dataset.train_labels[:550])
        np.testing.assert_allclose(np.asarray(train_x), (dataset.train_images[:550].reshape(-1, 784) / 255.0 - mean) / std,
                                   rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("overrides, message", [
    (["continual.sequence=split", "continual.tasks=3"],
     "continual.tasks: got 3; allowed: a number of tasks that splits the 10 classes of 'mnist' into equal groups of 2 "
     "or more: 1, 2, 5"),
    (["continual.sequence=split"],
     "continual.sizes: got [784, 200, 200, 10]; allowed: sizes from 784 (pixels of 'mnist') to 2 (the classes of a "
     "task), all >= 1"),
    (["continual.sequence=datasets"],
     "continual.dataset: got 'mnist'; allowed: no dataset with sequence = 'datasets' (its tasks are continual.datasets)"),
    (['continual.datasets=["fashion_mnist", "mnist"]'],
     "continual.datasets: got ['fashion_mnist', 'mnist']; allowed: no datasets unless sequence = 'datasets' (sequence "
     "'permuted' reads continual.dataset)"),
])
def test_a_sequence_with_keys_that_do_not_fit_it_is_refused(overrides, message):
    with pytest.raises(ProtocolError) as error:
        validate_protocol(PROTOCOL, overrides + SMALL)
    assert str(error.value) == f"{PROTOCOL}: {message}"


@pytest.mark.parametrize("text, message", [
    ('datasets = ["fashion_mnist"]',
     "continual.datasets: got ['fashion_mnist']; allowed: two or more datasets, one task each (sequence = 'datasets'), "
     'e.g. ["fashion_mnist", "mnist"]'),
    ('datasets = ["fashion_mnist", "mnist"]\ntasks = 3',
     "continual.tasks: got 3; allowed: 2, one task per dataset of continual.datasets (or no tasks key)"),
    ('datasets = ["fashion_mnist", "mnsit"]',
     "continual.datasets[1]: got 'mnsit'; allowed: one of the datasets (bioplastic data list): mnist, fashion_mnist, "
     "cifar10, cifar100 (did you mean 'mnist'?)"),
    ("", "continual.datasets: got nothing (the key is required); allowed: two or more datasets, one task each "
         '(sequence = \'datasets\'), e.g. ["fashion_mnist", "mnist"]'),
])
def test_a_sequence_of_datasets_needs_two_or_more_known_datasets_and_no_other_task_count(tmp_path, text, message):
    path = tmp_path / "sequence.toml"
    path.write_text(f'name = "s"\n[continual]\nsequence = "datasets"\n{text}\nsizes = [784, 10]\nlearning_rate = 0.1\n')
    with pytest.raises(ProtocolError) as error:
        validate_protocol(path)
    assert str(error.value) == f"{path}: {message}"
