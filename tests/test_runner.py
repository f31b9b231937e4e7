"""Running protocols: shipped protocols at toy size, run folders, resume bit-for-bit, NaN stop."""

import json
import shlex
import tomllib

import numpy as np
import pytest

from bioplastic._checks import BadInput
from bioplastic.analysis import average_accuracy, backward_transfer
from bioplastic.cli import main
from bioplastic.experiments import KINDS, kind_of, load_protocol, run_protocol, validate_protocol
from bioplastic.analysis import spike_recordings
from bioplastic.runs import RunError, RunInterrupted, read_npz
from bioplastic.runs.checkpoint import FILE as CHECKPOINT

from toy_protocols import PROTOCOLS, ROOT, TOY, fingerprint

SMALL = ROOT / "tests" / "protocols" / "valid_small.toml"


def test_every_shipped_protocol_has_toy_settings():
    assert sorted(path.stem for path in PROTOCOLS) == sorted(TOY)


@pytest.mark.parametrize("path", PROTOCOLS, ids=lambda p: p.stem)
def test_shipped_protocol_validates_and_runs_at_toy_size(path, tmp_path, capsys):
    assert main(["validate", str(path)]) == 0
    overrides = [item for setting in TOY[path.stem] for item in ("--set", setting)]
    assert main(["run", str(path), "--out", str(tmp_path), "--quiet", *overrides]) == 0
    (run_dir,) = tmp_path.iterdir()
    assert f"run folder: {run_dir}" in capsys.readouterr().out
    protocol = tomllib.loads((run_dir / "protocol.toml").read_text())
    manifest = json.loads((run_dir / "manifest.json").read_text())
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert manifest["status"] == "completed" and manifest["seed"] == protocol["seed"]
    if "continual" in protocol:
        accuracy = read_npz(run_dir / "accuracy.npz")["accuracy"]
        continual = protocol["continual"]
        n = len(continual["datasets"]) if continual.get("sequence") == "datasets" else continual["tasks"]
        assert accuracy.shape == (n, n) and np.isnan(accuracy[0, 1]) and np.all(np.isfinite(np.tril(accuracy)))
        assert metrics["acc"] == pytest.approx(average_accuracy(accuracy))
        assert metrics["bwt"] == pytest.approx(backward_transfer(accuracy))
        assert (run_dir / "subspaces.npz").exists() and (run_dir / "weights.npz").exists()
        for name in protocol.get("plots", {}):
            assert (run_dir / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        return
    if "prediction" in protocol:
        spec = protocol["prediction"]
        for learner in spec["learners"]:
            data = read_npz(run_dir / f"readouts_{learner}_seed{protocol['seed']}.npz")
            assert data["readouts"].shape == (spec["trials"], 1000, 2) and np.all(np.isfinite(data["readouts"]))
            assert -1.0 <= metrics[f"{learner}_cosine_what_when"] <= 1.0
            assert len(metrics["details"][learner]["mean_errors"]) == spec["trials"]
        for name in protocol.get("plots", {}):
            assert (run_dir / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        return
    if "theta" in protocol:
        spec = protocol["theta"]
        trained = read_npz(run_dir / f"train_seed{protocol['seed']}.npz")
        steps = int(round(spec["minutes"] * 60000 / spec["dt_ms"]))
        for layer, values in spec["layers"].items():
            if values.get("kind") != "relay":
                assert trained[f"mismatch/{layer}"].shape == (steps,) and metrics[f"{layer}_loss_trained"] > 0
        assert set(trained) >= {f"weights/{name}" for name in spec["connections"]}
        for name, connection in spec["connections"].items():
            if not connection.get("plastic", True):   # fixed weights stay as they were
                np.testing.assert_array_equal(trained[f"weights/{name}"], trained[f"initial/{name}"])
        if "transfer" in spec:                          # frozen while retraining, the rest relearned
            transferred = read_npz(run_dir / f"transfer_seed{protocol['seed']}.npz")
            for name in spec["connections"]:
                same = np.array_equal(transferred[f"weights/{name}"], trained[f"weights/{name}"])
                assert same == (name in spec["transfer"]["freeze"] or not spec["connections"][name].get("plastic", True))
        if "track" in spec:
            tested = read_npz(run_dir / f"test_seed{protocol['seed']}.npz")
            assert tested["trained_errors"].shape == (spec["test"]["episodes"], int(round(
                (spec["test"]["spin_up_s"] + spec["test"]["hold_s"]) * 1000 / spec["dt_ms"])))
            assert 0.0 <= metrics["trained_error_at_1s_m"] <= spec["track"]["length_m"] / 2
        else:
            assert metrics["latent_autocorrelation_ms"] > 0
        for name in protocol.get("plots", {}):
            assert (run_dir / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        return
    if "distal_reward" in protocol:
        history = read_npz(run_dir / "history.npz")
        assert history["time_s"].tolist() == list(range(1, protocol["distal_reward"]["seconds"] + 1))   # a row a second
        assert metrics["chosen_final_weight_mv"] == history["chosen_weight"][-1] and metrics["chosen_final_rank"] >= 1
        for name in protocol.get("plots", {}):
            assert (run_dir / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        return
    if "training" in protocol:
        curves = read_npz(run_dir / "curves.npz")
        score = "test_mse" if protocol["training"].get("network", "").endswith("autoencoder") else "test_accuracy"
        assert metrics["epochs"] == protocol["training"]["epochs"] == len(curves[score])
        assert metrics[score] == curves[score][-1] and (score == "test_mse" or 0.0 <= metrics[score] <= 1.0)
        if "validation_examples" in protocol["training"]:
            assert metrics["selected_epoch"] == 1 and metrics[f"selected_{score}"] == curves[score][0]
            assert (run_dir / "selected_layers.npz").exists()
        assert (run_dir / "layers.npz").exists()
        for name in protocol.get("plots", {}):
            assert (run_dir / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        return
    assert set(manifest["versions"]) >= {"bioplastic", "jax", "brainpy", "numpy"}
    assert metrics["simulated_ms"] == pytest.approx(protocol["simulation"]["duration_ms"])
    if "mean_rate_hz" in protocol.get("metrics", ["mean_rate_hz"]):
        assert "mean_rate_hz_all" in metrics and np.isfinite(metrics["mean_rate_hz_all"])
    if "mean_weight" in protocol.get("metrics", []):
        plastic = [name for name, spec in protocol["model"]["projections"].items() if "plasticity" in spec]
        assert all(np.isfinite(metrics[f"mean_weight_{name}"]) for name in plastic) and plastic
    recordings = spike_recordings(read_npz(run_dir / "recordings.npz"))
    assert set(recordings) - {"dataset_labels", "dataset_tasks"} == set(protocol.get("recordings", {}))
    for name in protocol.get("plots", {}):
        assert (run_dir / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (run_dir / CHECKPOINT).exists()


def test_resolved_protocol_inlines_the_model_file_and_overrides(tmp_path):
    run_dir = run_protocol(ROOT / "protocols" / "quickstart.toml", tmp_path, overrides=TOY["quickstart"], progress=False)
    protocol = tomllib.loads((run_dir / "protocol.toml").read_text())
    assert "file" not in protocol["model"]
    assert protocol["model"]["populations"]["exc"]["size"] == 200
    assert protocol["model"]["projections"]["inh_to_exc"]["weight"] == 6.7


PER_NEURON_INPUTS = """
name = "three_cells"
[simulation]
dt_ms = 0.1
duration_ms = 400.0
[model.populations.cell]
neuron = "lif"
size = 3
options = { integration = "exact", reset = "hard" }
params = { tau_ms = 20.0, v_rest_mv = -65.0, v_th_mv = -50.0, v_reset_mv = -65.0, tau_ref_ms = 2.0 }
[recordings.v]
population = "cell"
variable = "v"
[recordings.spikes]
population = "cell"
variable = "spike"
"""


def test_an_input_with_one_amplitude_per_neuron_equals_one_input_per_neuron(tmp_path):
    currents = [15.0, 20.0, 30.0]  # mV; 15 mV only reaches threshold (15 mV above rest) in infinite time
    one = PER_NEURON_INPUTS + f'[inputs.drive]\ntarget = "cell"\ntype = "constant"\ncurrent_mv = {currents}\n'
    separate = PER_NEURON_INPUTS + "".join(
        f'[inputs.drive_{i}]\ntarget = "cell"\ntype = "constant"\ncurrent_mv = {c}\nneurons = [{i}]\n'
        for i, c in enumerate(currents))
    (tmp_path / "one.toml").write_text(one)
    (tmp_path / "separate.toml").write_text(separate)
    a = spike_recordings(read_npz(run_protocol(tmp_path / "one.toml", tmp_path, progress=False) / "recordings.npz"))
    b = spike_recordings(read_npz(run_protocol(tmp_path / "separate.toml", tmp_path, progress=False) / "recordings.npz"))
    np.testing.assert_array_equal(a["v"], b["v"])
    # spike counts in 400 ms against the closed-form period tau ln(I / (I - 15)) + tau_ref
    expected = [0] + [400.0 / (20.0 * np.log(c / (c - 15.0)) + 2.0) for c in currents[1:]]
    assert np.all(np.abs(np.bincount(a["spikes"].neurons, minlength=3) - np.asarray(expected)) <= 1.0)


def test_per_neuron_amplitudes_reach_the_chosen_neurons_and_are_counted(tmp_path):
    from bioplastic.protocol.errors import ProtocolError

    poisson = PER_NEURON_INPUTS + (
        '[inputs.noise]\ntarget = "cell"\ntype = "poisson"\nrate_hz = 100.0\ncurrent_mv = [2.0, 4.0]\n'
        "neurons = [0, 2]\n")
    (tmp_path / "poisson.toml").write_text(poisson)
    (term,) = validate_protocol(tmp_path / "poisson.toml").drive.currents["cell"]
    assert term.weight.tolist() == [2.0, 0.0, 4.0] and term.rate_hz.tolist() == [100.0, 0.0, 100.0]
    with pytest.raises(ProtocolError) as error:
        validate_protocol(tmp_path / "poisson.toml", ["inputs.noise.neurons=[0, 1, 2]"])
    assert str(error.value).endswith("inputs.noise.current_mv: got 2 values; allowed: one number, or one value per "
                                     "neuron the input reaches (3 of population 'cell')")


def test_run_folders_are_never_overwritten(tmp_path):
    first = run_protocol(SMALL, tmp_path, progress=False)
    second = run_protocol(SMALL, tmp_path, progress=False)
    assert first != second and first.exists() and second.exists()
    spikes = [spike_recordings(read_npz(run / "recordings.npz"))["spikes"].to_dense() for run in (first, second)]
    np.testing.assert_array_equal(*spikes)


# One protocol of every kind, at toy size, with at least two units of work.
RESUMABLE = {
    "simulation": (SMALL, ["simulation.duration_ms=40", "simulation.chunk_ms=10"]),
    "training": (ROOT / "protocols" / "dp_mnist.toml", TOY["dp_mnist"] + ["training.epochs=3"]),
    "continual": (ROOT / "protocols" / "hlop_pmnist_small.toml", TOY["hlop_pmnist_small"] + ["continual.tasks=3"]),
    "prediction": (ROOT / "protocols" / "three_factor_what_when.toml", TOY["three_factor_what_when"]
                   + ["prediction.repeats=2"]),
    "theta": (ROOT / "protocols" / "theta_path_integration.toml", TOY["theta_path_integration"] + ["theta.repeats=2"]),
    "distal_reward": (ROOT / "protocols" / "distal_reward_izhikevich2007.toml", TOY["distal_reward_izhikevich2007"]
                      + ["distal_reward.seconds=130"]),
}


def test_every_kind_has_a_resumable_protocol():
    assert sorted(RESUMABLE) == sorted(KINDS)
    for kind, (path, overrides) in RESUMABLE.items():
        assert kind_of(load_protocol(path, overrides)[1]).table == kind


# The kinds whose toy runs take longest resume bit for bit in the long checks (pytest -m slow).
@pytest.mark.parametrize("kind", [pytest.param(kind, marks=pytest.mark.slow) if kind in ("continual", "prediction", "theta")
                                  else kind for kind in sorted(RESUMABLE)])
def test_an_interrupted_run_of_every_kind_resumes_bit_for_bit(kind, tmp_path):
    path, overrides = RESUMABLE[kind]
    whole = run_protocol(path, tmp_path / "whole", overrides=overrides, progress=False)

    def interrupt_after_two(units_done, state):
        if units_done == 2:
            raise KeyboardInterrupt

    with pytest.raises(RunInterrupted, match=r"the 2 finished units of work \(of \d+\) are kept in .*; resume with: bioplastic run "):
        run_protocol(path, tmp_path / "parts", overrides=overrides, progress=False, on_unit=interrupt_after_two)
    (stopped,) = (tmp_path / "parts").iterdir()
    manifest = json.loads((stopped / "manifest.json").read_text())
    assert manifest["status"] == "interrupted" and manifest["units_done"] == 2
    assert (stopped / CHECKPOINT).exists() and not (stopped / "metrics.json").exists()
    finished = {p.name: p.stat().st_mtime_ns for p in stopped.glob("*_seed*.npz")}    # a unit's own files
    resumed = run_protocol(path, overrides=overrides, resume=stopped, progress=False)
    assert resumed == stopped and not (resumed / CHECKPOINT).exists()
    assert {name: (resumed / name).stat().st_mtime_ns for name in finished} == finished   # not run again
    assert fingerprint(resumed) == fingerprint(whole)          # every array of every .npz, and the metrics
    for name in [p.name for p in whole.glob("*.png")] + ["protocol.toml"]:
        assert (resumed / name).read_bytes() == (whole / name).read_bytes(), name
    assert json.loads((resumed / "manifest.json").read_text())["status"] == "completed"
    assert sorted(p.name for p in resumed.iterdir()) == sorted(p.name for p in whole.iterdir())


def test_a_run_stopped_by_an_error_is_marked_failed_and_resumes(tmp_path):
    overrides = ["simulation.duration_ms=40", "simulation.chunk_ms=10"]

    def fail_after_first(units_done, state):
        if units_done == 1:
            raise OSError(28, "No space left on device")

    with pytest.raises(RunError) as stopped_by:
        run_protocol(SMALL, tmp_path, overrides=overrides, progress=False, on_unit=fail_after_first)
    (stopped,) = tmp_path.iterdir()
    assert str(stopped_by.value).startswith("valid_small stopped during chunk 2 of 4 (10-20 ms): No space left on device; the 1 "
                                            f"finished units of work (of 4) are kept in {stopped}; once that is mended, "
                                            "resume with: bioplastic run ")
    manifest = json.loads((stopped / "manifest.json").read_text())
    assert manifest["status"] == "failed: OSError: [Errno 28] No space left on device" and manifest["units_done"] == 1
    assert (stopped / CHECKPOINT).is_file()
    resumed = run_protocol(SMALL, overrides=overrides, resume=stopped, progress=False)
    assert json.loads((resumed / "manifest.json").read_text())["status"] == "completed"


def test_resume_with_a_different_protocol_is_refused(tmp_path):
    def stop(units_done, state):
        if units_done == 1:
            raise KeyboardInterrupt

    with pytest.raises(RunInterrupted):
        run_protocol(SMALL, tmp_path, progress=False, on_unit=stop)
    (stopped,) = tmp_path.iterdir()
    with pytest.raises(BadInput, match="differs from the one of that run"):
        run_protocol(SMALL, overrides=["seed=2"], resume=stopped, progress=False)


EXPLODING = """
name = "exploding"
[simulation]
dt_ms = 1.0
duration_ms = 100.0
chunk_ms = 20.0
[model.populations.x]
neuron = "rate"
size = 2
options = { activation = "linear" }
params = { tau_ms = 1.0 }
[model.projections.loop]
pre = "x"
post = "x"
weight = 20.0
connectivity = { type = "dense" }
[inputs.kick]
target = "x"
type = "constant"
current = 1.0
[recordings.u]
population = "x"
variable = "u"
"""


def test_nan_stops_the_run_naming_variable_population_and_step(tmp_path, capsys):
    path = tmp_path / "exploding.toml"
    path.write_text(EXPLODING)
    assert main(["run", str(path), "--out", str(tmp_path / "runs"), "--quiet"]) == 1
    error = capsys.readouterr().err
    assert "variable 'u' of population 'x' became NaN or inf at step" in error
    (run_dir,) = (tmp_path / "runs").iterdir()
    step = int(error.split("at step ")[1].split()[0])
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"].startswith("failed: variable 'u'")
    # Everything before the failing chunk is kept, and is finite.
    kept = read_npz(run_dir / "recordings.npz")["u"]
    assert kept.shape[0] == step // 20 * 20 and np.all(np.isfinite(kept))
    # The named step is the first with a non-finite u: growth by ~40x per step overflows float32.
    assert 15 < step < 40


def test_schema_and_list_commands(capsys):
    import jsonschema

    assert main(["schema", "--kind", "simulation"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["additionalProperties"] is False
    assert {"simulation", "model", "recordings", "plots", "learning", "signals"} <= set(schema["properties"])
    assert set(schema["required"]) == {"name", "simulation", "model"}
    assert main(["schema"]) == 0
    every_kind = json.loads(capsys.readouterr().out)
    for path in PROTOCOLS:      # every shipped protocol, of every kind, is valid against the exported schema
        protocol, resolved = load_protocol(path)
        jsonschema.validate(resolved, every_kind)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"name": "x", "training": {}, "theta": {}}, every_kind)
    assert main(["list"]) == 0
    listing = capsys.readouterr().out
    for name in ("lif", "izhikevich", "fixed_probability", "exponential_conductance", "stdp", "raster", "quickstart.toml"):
        assert name in listing
    assert "  prediction.learners                  three_factor | force | force_reset\n" in listing  # from the schema
    for name, kind in KINDS.items():
        assert f"  {name:<24} {kind.description}\n" in listing
    assert "  theta.connections.NAME.init          normal | zeros | identity | direction\n" in listing


def test_dataset_images_drive_the_target_and_labels_are_kept(tmp_path):
    from bioplastic.data.registry import load

    overrides = ["simulation.duration_ms=40", "simulation.chunk_ms=20", "dataset.presentation_ms=20",
                 "dataset.encoding=constant", "dataset.max_rate_hz=nan"]
    path = ROOT / "protocols" / "mnist_spikes.toml"
    raw = path.read_text().replace("max_rate_hz = 200.0\n", "")
    (tmp_path / "p.toml").write_text(raw)
    run_dir = run_protocol(tmp_path / "p.toml", tmp_path / "runs", overrides=overrides[:-1], progress=False)
    recordings = spike_recordings(read_npz(run_dir / "recordings.npz"))
    test_labels = load("mnist").test_labels
    np.testing.assert_array_equal(recordings["dataset_labels"], test_labels[:2])
    # Constant coding: a black pixel gets no current, so its neuron never fires.
    black = load("mnist").test_images[0].reshape(-1) == 0
    first_image = recordings["pixel_spikes"].to_dense()[:40]
    assert first_image[:, black].sum() == 0 and first_image[:, ~black].sum() > 0


def test_missing_dataset_names_the_fetch_command(tmp_path, capsys):
    empty = tmp_path / "empty-cache"
    assert main(["validate", str(ROOT / "protocols" / "mnist_spikes.toml"), "--data-dir", str(empty)]) == 2
    error = capsys.readouterr().err
    assert f"dataset.name: got 'mnist', which is not in the data cache (not fetched: no {empty}/mnist.npz)" in error
    assert f"run `bioplastic data fetch mnist --data-dir {empty}` first" in error


def test_dataset_task_sequences_and_epochs(tmp_path):
    from bioplastic.data.registry import load

    path = ROOT / "protocols" / "mnist_spikes.toml"
    (tmp_path / "p.toml").write_text(path.read_text().replace("max_rate_hz = 200.0\n", "").replace('"poisson"', '"constant"'))
    overrides = ["simulation.duration_ms=80", "simulation.chunk_ms=20", "dataset.presentation_ms=10", "dataset.n_images=2",
                 "dataset.epochs=2", "dataset.tasks.kind=permuted", "dataset.tasks.n_tasks=2"]
    run_dir = run_protocol(tmp_path / "p.toml", tmp_path / "runs", overrides=overrides, progress=False)
    recordings = spike_recordings(read_npz(run_dir / "recordings.npz"))
    mnist = load("mnist")
    np.testing.assert_array_equal(recordings["dataset_tasks"], [0, 0, 0, 0, 1, 1, 1, 1])
    np.testing.assert_array_equal(recordings["dataset_labels"], np.tile(mnist.test_labels[:2], 4))
    # Task 1 shows the same image with its pixels permuted: with constant coding, whether a
    # pixel neuron fires depends only on its intensity, so as many neurons fire, but others.
    pixel_spikes = recordings["pixel_spikes"].to_dense()
    task0 = pixel_spikes[0:20].sum(axis=0) > 0
    task1 = pixel_spikes[80:100].sum(axis=0) > 0
    assert task0.sum() == task1.sum() > 0
    assert np.any(task0 != task1)
    black = mnist.test_images[0].reshape(-1) == 0
    assert not np.any(task0 & black)


def test_diverging_continual_run_stops_with_the_task_named_and_keeps_the_previous_one(tmp_path, capsys):
    overrides = TOY["hlop_pmnist_small"] + ["continual.train_examples=1024", "continual.method=ewc",
                                            "continual.ewc.strength=1e6"]
    args = [item for setting in overrides for item in ("--set", setting)]
    assert main(["run", str(ROOT / "protocols" / "hlop_pmnist_small.toml"), "--out", str(tmp_path), "--quiet",
                 *args]) == 1
    (run_dir,) = tmp_path.iterdir()
    assert ("continual: the weights of layer 1 became NaN or inf while training task 2 (ewc); lower "
            "continual.learning_rate or continual.ewc.strength; the finished work is kept in") in capsys.readouterr().err
    assert json.loads((run_dir / "manifest.json").read_text())["status"].startswith("failed")
    kept = read_npz(run_dir / CHECKPOINT)
    assert int(kept["['tasks_done']"]) == 1 and np.all(np.isfinite(kept["['weights_0']"]))


def test_the_training_rule_is_selectable_on_the_same_network(tmp_path):
    path = ROOT / "protocols" / "dp_mnist.toml"
    base = ["training.epochs=2", "training.train_examples=1000", "training.test_examples=500",
            "training.sizes=[784, 64, 10]", "training.learning_rate=0.001"]
    accuracy = {}
    for rule, extra in (("dual_propagation", []), ("backprop", ["training.rule_params={}"]),
                        ("equilibrium_propagation", ["training.rule_params={}", "training.hidden_activation=hard_sigmoid"])):
        run_dir = run_protocol(path, tmp_path / rule, overrides=base + [f"training.rule={rule}"] + extra, progress=False)
        accuracy[rule] = json.loads((run_dir / "metrics.json").read_text())["test_accuracy"]
    assert accuracy["dual_propagation"] > 0.6 and accuracy["backprop"] > 0.6, accuracy
    assert abs(accuracy["dual_propagation"] - accuracy["backprop"]) < 0.05, accuracy
    assert accuracy["equilibrium_propagation"] > 0.2, accuracy  # learns, more slowly (chance: 0.1)


def _header_commands(path):
    """The ``bioplastic run`` commands in a protocol's comments (continuation lines joined)."""
    text = "\n".join(line.lstrip("#").strip() for line in path.read_text().splitlines() if line.startswith("#"))
    text = text.replace("\\\n", " ")
    return [shlex.split(line[line.index("bioplastic run"):].split("(")[0]) for line in text.splitlines()
            if "bioplastic run" in line]


@pytest.mark.parametrize("path", PROTOCOLS, ids=lambda p: p.stem)
def test_the_commands_in_a_protocols_comments_are_valid(path, capsys):
    """Each command's overrides validate, on the toy-size protocol (the full size validates above)."""
    for command in _header_commands(path):
        assert command[:3] == ["bioplastic", "run", f"protocols/{path.name}"]
        overrides = TOY[path.stem] + [item for flag, item in zip(command[3:], command[4:]) if flag == "--set"]
        assert main(["validate", str(path), *(part for o in overrides for part in ("--set", o))]) == 0, command


def test_a_duration_that_is_not_a_multiple_of_the_chunk_runs_to_the_end(tmp_path):
    overrides = ["simulation.duration_ms=45", "simulation.chunk_ms=20"]      # chunks of 20, 20 and 5 ms
    run_dir = run_protocol(SMALL, tmp_path, overrides=overrides, progress=False)
    whole = run_protocol(SMALL, tmp_path, overrides=["simulation.duration_ms=45", "simulation.chunk_ms=45"],
                         progress=False)
    assert json.loads((run_dir / "manifest.json").read_text())["units_done"] == 3
    assert fingerprint(run_dir) == fingerprint(whole)
    assert json.loads((run_dir / "metrics.json").read_text())["simulated_ms"] == pytest.approx(45.0)


def test_run_folder_files_are_readable_like_any_file_the_user_writes(tmp_path):
    import os

    old = os.umask(0o022)
    try:
        run_dir = run_protocol(SMALL, tmp_path, progress=False)
    finally:
        os.umask(old)
    modes = {path.name: path.stat().st_mode & 0o777 for path in run_dir.iterdir()}
    assert set(modes.values()) == {0o644}, modes


def test_a_population_name_outside_ascii_is_written_back_as_valid_toml_and_resumes(tmp_path):
    text = SMALL.read_text()
    (tmp_path / "p.toml").write_text(text.replace("[model.populations.exc]", '[model.populations."pyramidé"]')
                                     .replace('"exc"', '"pyramidé"'), encoding="utf-8")
    overrides = ["simulation.duration_ms=40", "simulation.chunk_ms=10"]

    def stop(units_done, state):
        if units_done == 1:
            raise KeyboardInterrupt

    with pytest.raises(RunInterrupted):
        run_protocol(tmp_path / "p.toml", tmp_path / "runs", overrides=overrides, progress=False, on_unit=stop)
    (stopped,) = (tmp_path / "runs").iterdir()
    assert "pyramidé" in tomllib.loads((stopped / "protocol.toml").read_text())["model"]["populations"]
    resumed = run_protocol(tmp_path / "p.toml", overrides=overrides, resume=stopped, progress=False)
    assert json.loads((resumed / "manifest.json").read_text())["status"] == "completed"
