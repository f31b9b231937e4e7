"""EWC's strength chosen on held-out training examples: the choice never reads the test sets,
the held-out examples are never trained on, and the chosen run is the run at that strength."""

import dataclasses
import json
import pathlib

import numpy as np
import pytest

from bioplastic.experiments import run_protocol, validate_protocol
from bioplastic.experiments.continual.run import ContinualWork
from bioplastic.protocol.errors import ProtocolError
from bioplastic.runs import RunInterrupted
from bioplastic.train.selection import validation_accuracy, with_strength
from toy_protocols import fingerprint

ROOT = pathlib.Path(__file__).resolve().parent.parent
PROTOCOL = ROOT / "protocols" / "hlop_pmnist_small.toml"
TOY = ["continual.method=ewc", "continual.tasks=2", "continual.sizes=[784, 16, 16, 10]", "continual.train_examples=1200",
       "continual.test_examples=300", "continual.ewc.fisher_examples=100"]
GRID = ["continual.validation_examples=240", "continual.ewc.strength=[1.0, 30.0, 1e7]"]


class Unreadable:
    """Stands for a test set: any use of it fails the test."""

    def __getattr__(self, name):
        raise AssertionError(f"the test set was read ({name})")

    def __len__(self):
        raise AssertionError("the test set was read (len)")

    def __array__(self, *args, **kwargs):
        raise AssertionError("the test set was read (as an array)")


def test_the_strength_is_chosen_on_held_out_examples_without_reading_the_test_sets():
    experiment = validate_protocol(PROTOCOL, TOY + GRID)
    blind = dataclasses.replace(experiment, run=experiment.run._replace(
        data=[(train, (Unreadable(), Unreadable())) for train, _ in experiment.run.data]))
    work = ContinualWork(blind)
    state = work.start()
    for index in range(len(experiment.strengths)):
        state = work.run_unit(index, state, None, lambda amount: None)
    validation_acc = state[0]
    assert np.isnan(validation_acc[2])                       # 1e7 blows the weights up: never chosen
    assert 0.2 < validation_acc[0] <= 1 and 0.2 < validation_acc[1] <= 1      # above chance (0.1)
    np.testing.assert_array_equal(validation_acc[:2], [validation_accuracy(with_strength(experiment.validation_run, s),
                                                                          experiment.state) for s in (1.0, 30.0)])
    assert work.final_run(validation_acc).settings.ewc_strength == (1.0, 30.0)[int(np.argmax(validation_acc[:2]))]
    with pytest.raises(AssertionError, match="the test set was read"):     # the blindfold holds: the run itself reads them
        work.run_unit(len(experiment.strengths), state, None, lambda amount: None)


@pytest.mark.slow  # a long check: pytest -m slow (CI runs it)
def test_the_chosen_run_is_the_run_at_the_chosen_strength_and_skips_the_held_out_examples(tmp_path):
    """... and a run stopped after two strengths resumes to the same files, its held-out ACC in the checkpoint."""
    def interrupt_after_two(units_done, state):
        if units_done == 2:
            raise KeyboardInterrupt

    with pytest.raises(RunInterrupted):
        run_protocol(PROTOCOL, tmp_path / "parts", overrides=TOY + GRID, progress=False, on_unit=interrupt_after_two)
    (stopped,) = (tmp_path / "parts").iterdir()
    chosen = run_protocol(PROTOCOL, overrides=TOY + GRID, resume=stopped, progress=False)
    whole = run_protocol(PROTOCOL, tmp_path / "grid", overrides=TOY + GRID, progress=False)
    assert fingerprint(chosen) == fingerprint(whole)
    metrics = json.loads((chosen / "metrics.json").read_text())
    per_strength = metrics["validation_acc_per_strength"]
    assert per_strength["1e+07"] is None and metrics["validation_acc"] == max(per_strength["1"], per_strength["30"])
    strength = metrics["ewc_strength"]
    assert per_strength[f"{strength:g}"] == metrics["validation_acc"]
    # the same run with the strength given, trained on the same first 960 images of each task (one held out)
    direct = run_protocol(PROTOCOL, tmp_path / "direct", progress=False, overrides=TOY + [
        "continual.train_examples=961", "continual.validation_examples=1", f"continual.ewc.strength={strength}"])
    np.testing.assert_array_equal(np.load(chosen / "accuracy.npz")["accuracy"], np.load(direct / "accuracy.npz")["accuracy"])


def test_a_grid_needs_held_out_examples_to_choose_with(tmp_path):
    path = tmp_path / "grid.toml"
    path.write_text('name = "g"\n[continual]\ndataset = "mnist"\nsizes = [784, 16, 16, 10]\nlearning_rate = 0.1\n'
                    'method = "ewc"\n[continual.ewc]\nstrength = [1.0, 10.0]\n')
    with pytest.raises(ProtocolError) as error:
        validate_protocol(path)
    assert str(error.value) == (f"{path}: continual.ewc.strength: got [1.0, 10.0]; allowed: one number, or a grid with "
                                "continual.validation_examples set (the held-out training examples that choose from it)")


@pytest.mark.parametrize("overrides, message", [
    (["continual.validation_examples=1200"],
     "continual.validation_examples: got 1200; allowed: fewer than the 1200 training examples of a task"),
    (["continual.validation_examples=1150"],
     "continual.batch_size: got 64; allowed: at most the 50 training examples of a task (1200 less the 1150 held out)"),
])
def test_held_out_examples_leave_room_to_train(overrides, message):
    with pytest.raises(ProtocolError) as error:
        validate_protocol(PROTOCOL, TOY + overrides)
    assert str(error.value) == f"{PROTOCOL}: {message}"


@pytest.mark.parametrize("value, message", [
    ('"ten"', "continual.ewc.strength: got 'ten'; allowed: a number, or a list of numbers (a grid)"),
    ("[]", "continual.ewc.strength: got a list of 0; allowed: a list of at least 1 item"),
    ("[1.0, -3.0]", "continual.ewc.strength[1]: got -3.0; allowed: greater than 0"),
])
def test_a_strength_that_is_not_a_positive_number_or_grid_is_refused(value, message):
    with pytest.raises(ProtocolError) as error:
        validate_protocol(PROTOCOL, TOY + [f"continual.ewc.strength={value}"])
    assert str(error.value) == f"{PROTOCOL}: {message}"


def test_a_grid_whose_every_strength_blows_up_stops_in_one_line_before_the_test_sets(tmp_path, capsys):
    from bioplastic.cli import main

    overrides = TOY + ["continual.validation_examples=240", "continual.ewc.strength=[1e7, 1e8]"]
    args = [item for setting in overrides for item in ("--set", setting)]
    assert main(["run", str(PROTOCOL), "--out", str(tmp_path), "--quiet", *args]) == 1
    err = capsys.readouterr().err
    assert ("continual: continual.ewc.strength: got [10000000.0, 100000000.0], every one of which made the weights NaN "
            "or inf; allowed: a grid with smaller strengths (or a lower continual.learning_rate)") in err
    assert "Traceback" not in err


def test_held_out_sets_must_be_one_per_task():
    from bioplastic._checks import BadInput
    from bioplastic.train.selection import scored_on

    experiment = validate_protocol(PROTOCOL, TOY + GRID)
    with pytest.raises(BadInput) as error:
        scored_on(experiment.run, [])
    assert str(error.value) == "held_out: got 0 sets; allowed: one per task (2)"
