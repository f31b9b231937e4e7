"""The units of work of a training protocol: epochs.

After every epoch the engine checkpoints the layers, the rule's and the optimizer's
states and the curves so far, so ``--resume`` goes on at the next epoch with the same
batches. The progress bar moves with every batch, and each epoch ends with a line of its training
loss, validation loss (where there is a validation split) and test score. At the end come
``curves.npz`` (per epoch: the test score, the training loss -- the mean over the epoch's
batches of the cross-entropy or reconstruction error each batch meets before its update,
the same loss as the validation loss whatever the rule learns by -- training seconds, the
validation loss where there is one; for a counter-current network ``alignment``, the
forward/feedback CKA of each hidden layer before training and after every epoch, one row
each), ``layers.npz`` (and ``selected_layers.npz``: the
model of the epoch with the lowest validation loss), the metrics and the learning curves.

Example
-------
>>> TrainingWork.unit
'epochs'
"""

from __future__ import annotations

import jax
import numpy as np

from bioplastic.experiments.training.build import TrainingExperiment
from bioplastic.experiments.training.plots import draw_learning_curves
from bioplastic.train.batches import SCORES, batches_in_epoch, evaluate_test, run_epoch, validation_loss
from bioplastic.runs import Work, read_npz, write_npz


class TrainingWork(Work):
    """A training protocol's run: one unit per epoch.

    The state is ``{"layers", "rule", "optimizer", "curves", "step_seconds"}``: the learned
    layers, the rule's and the optimizer's states, the curves (one value per epoch) and the
    seconds of every training step.

    Example
    -------
    >>> from types import SimpleNamespace
    >>> work = TrainingWork(SimpleNamespace(epochs=3))
    >>> work.n_units, work.unit_name(0)
    (3, 'epoch 1 of 3')
    """

    unit = "epochs"

    def __init__(self, experiment: TrainingExperiment):
        self.experiment = experiment
        self.n_units = experiment.epochs

    def start(self):
        e = self.experiment
        curves = {SCORES[e.run.task]: np.zeros(0), "training_loss": np.zeros(0), "train_seconds": np.zeros(0)}
        if e.run.validation_x is not None:
            curves["validation_loss"] = np.zeros(0)
        if e.run.probe is not None:
            curves.update({name: np.asarray(value)[None] for name, value in e.run.probe(e.layers).items()})
        return {"layers": e.layers, "rule": e.rule.init(e.layers), "optimizer": e.optimizer.init(e.layers),
                "curves": curves, "step_seconds": np.zeros(0)}

    def run_unit(self, index, state, run_dir, advance):
        run, batches = self.experiment.run, batches_in_epoch(self.experiment.run)
        layers, rule_state, opt_state, seconds, times, training_loss = run_epoch(
            run, state["layers"], state["rule"], state["optimizer"], self.experiment.key, index,
            on_batch=lambda done: advance(done / batches))
        curves = dict(state["curves"])
        values = {SCORES[run.task]: evaluate_test(run, layers), "training_loss": training_loss, "train_seconds": seconds}
        if "validation_loss" in curves:
            values["validation_loss"] = validation_loss(run, layers)
        for name, value in values.items():
            curves[name] = np.append(curves[name], value)
        advance(1.0, note=epoch_line(index, self.n_units, values))
        if run.probe is not None:
            for name, value in run.probe(layers).items():
                curves[name] = np.concatenate([curves[name], np.asarray(value)[None]])
        if "validation_loss" in curves and int(np.argmin(curves["validation_loss"])) == index:
            write_layers(run_dir / "selected_layers.npz", layers)    # before the checkpoint that counts it
        return {"layers": layers, "rule": rule_state, "optimizer": opt_state, "curves": curves,
                "step_seconds": np.append(state["step_seconds"], times)}

    def watched(self, state):
        return state["layers"]

    def nonfinite_message(self, index, before, path):
        return (f"training: the weights {path.lstrip('.')} became NaN or inf during {self.unit_name(index)}; "
                "lower training.learning_rate (or set training.clip_norm)")

    def finish(self, run_dir, state):
        e = self.experiment
        curves, score_name = state["curves"], SCORES[e.run.task]
        scores = curves[score_name].tolist()
        write_npz(run_dir / "curves.npz", curves)
        write_layers(run_dir / "layers.npz", state["layers"])
        step_seconds = state["step_seconds"]
        metrics = {"epochs": len(scores), score_name: scores[-1], "training_loss": float(curves["training_loss"][-1]),
                   "step_seconds": float(np.median(step_seconds)) if step_seconds.size else float("nan")}
        if "validation_loss" in curves:
            selected = int(np.argmin(curves["validation_loss"]))
            metrics.update({"selected_epoch": selected + 1, f"selected_{score_name}": scores[selected],
                            "selected_validation_loss": float(curves["validation_loss"][selected])})
        draw_learning_curves(run_dir, e.protocol, curves)
        return metrics


def epoch_line(index: int, epochs: int, values: dict) -> str:
    """The line shown after an epoch: its losses and its test score.

    Example
    -------
    >>> epoch_line(2, 10, {"test_accuracy": 0.9121, "training_loss": 0.41234, "train_seconds": 3.2,
    ...                    "validation_loss": 0.455})
    'epoch 3/10: training loss 0.4123, validation loss 0.455, test accuracy 0.9121'
    """
    shown = [name for name in ("training_loss", "validation_loss") if name in values]
    shown += [name for name in values if name.startswith("test_")]
    return f"epoch {index + 1}/{epochs}: " + ", ".join(f"{name.replace('_', ' ')} {values[name]:.4g}" for name in shown)


def write_layers(file, layers) -> None:
    """Write learned layers as ``.npz``, one array per tree path (``0.weights``, ``forward.1.bias``, ...).

    Example
    -------
    >>> import pathlib, tempfile
    >>> from bioplastic.runs import read_npz
    >>> file = pathlib.Path(tempfile.mkdtemp()) / "layers.npz"
    >>> write_layers(file, [{"weights": np.eye(2), "bias": np.zeros(2)}])
    >>> sorted(read_npz(file))
    ["[0]['bias']", "[0]['weights']"]
    """
    learned = jax.tree_util.tree_flatten_with_path(layers)[0]
    write_npz(file, {jax.tree_util.keystr(path).strip("."): np.asarray(leaf) for path, leaf in learned})


def read_layers(file, like):
    """The layers :func:`write_layers` wrote to ``file``, on the structure of ``like`` (e.g. the initial layers).

    Example
    -------
    >>> import pathlib, tempfile
    >>> file = pathlib.Path(tempfile.mkdtemp()) / "layers.npz"
    >>> write_layers(file, {"w": np.full(2, 3.0), "b": np.zeros(1)})
    >>> read_layers(file, {"w": np.zeros(2), "b": np.ones(1)})["w"].tolist()
    [3.0, 3.0]
    """
    saved = read_npz(file)
    paths, treedef = jax.tree_util.tree_flatten_with_path(like)
    return jax.tree_util.tree_unflatten(treedef, [saved[jax.tree_util.keystr(path).strip(".")] for path, _ in paths])
