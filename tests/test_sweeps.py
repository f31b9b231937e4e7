"""Sweeps: seeds x grid of a protocol, local processes, resume after Ctrl-C, the summary against hand statistics."""

import json
import pathlib
import os
import signal
import statistics
import subprocess
import sys
import time

import numpy as np
import pytest
from scipy import stats

from bioplastic._checks import BadInput
from bioplastic.cli import main

from toy_protocols import ROOT

LIF_SINGLE = (ROOT / "protocols" / "lif_single.toml").read_text()
# The same neuron with a random start (so seeds differ) over 120 ms, the step from 20 to 110 ms.
NOISY = LIF_SINGLE.replace("duration_ms = 400.0", "duration_ms = 120.0").replace(
    "start_ms = 50.0", "start_ms = 20.0").replace("stop_ms = 350.0", "stop_ms = 110.0").replace(
    'params = { tau_ms = 20.0', 'initial = { v_mv = { distribution = "uniform", low = -65.0, high = -50.5 } }\n'
    'params = { tau_ms = 20.0')


def _sweep_dir(out):
    (sweep_dir,) = (out / "runs").iterdir()
    return sweep_dir


def test_a_sweep_in_two_processes_summarizes_what_its_run_folders_hold(tmp_path, capsys):
    (tmp_path / "p.toml").write_text(NOISY)
    code = main(["sweep", str(tmp_path / "p.toml"), "--seeds", "0-2", "--grid", "inputs.step.current_mv=18,30",
                 "--jobs", "2", "--out", str(tmp_path / "runs"), "--quiet"])
    assert code == 0, capsys.readouterr().err
    sweep_dir = _sweep_dir(tmp_path)
    state = json.loads((sweep_dir / "sweep.json").read_text())
    assert state["status"] == "completed" and len(state["points"]) == 6
    assert [(p["settings"]["inputs.step.current_mv"], p["seed"]) for p in state["points"]] == [
        ("18", 0), ("18", 1), ("18", 2), ("30", 0), ("30", 1), ("30", 2)]
    # Recompute the statistics from the run folders: mean, sample sd and Student's 95% interval.
    rates = {"18": [], "30": []}
    for point in state["points"]:
        protocol = (sweep_dir / point["run_dir"] / "protocol.toml").read_text()
        assert f"seed = {point['seed']}" in protocol and f"current_mv = {point['settings']['inputs.step.current_mv']}" in protocol
        metrics = json.loads((sweep_dir / point["run_dir"] / "metrics.json").read_text())
        rates[point["settings"]["inputs.step.current_mv"]].append(metrics["mean_rate_hz_all"])
    assert len(set(rates["30"])) > 1 and min(rates["30"]) > max(rates["18"])    # seeds differ; more current, more spikes
    summary = {(row["inputs.step.current_mv"], row["metric"]): row
               for row in json.loads((sweep_dir / "summary.json").read_text())["rows"]}
    for current, values in rates.items():
        row = summary[current, "mean_rate_hz_all"]
        half = stats.t.ppf(0.975, len(values) - 1) * statistics.stdev(values) / np.sqrt(len(values))
        low, high = statistics.mean(values) - half, statistics.mean(values) + half
        assert row["n"] == 3
        np.testing.assert_allclose([row["mean"], row["sd"], row["ci_low"], row["ci_high"]],
                                   [statistics.mean(values), statistics.stdev(values), low, high], rtol=1e-12)
    lines = (sweep_dir / "summary.csv").read_text().splitlines()
    assert lines[0] == "inputs.step.current_mv,metric,n,mean,sd,ci_low,ci_high"
    assert len(lines) == 1 + 2 * 3              # 2 currents x (simulated_ms, mean_rate_hz_cell, mean_rate_hz_all)
    assert sorted(path.name for path in sweep_dir.glob("summary_*.png")) == [
        "summary_mean_rate_hz_all.png", "summary_mean_rate_hz_cell.png", "summary_simulated_ms.png"]


def test_a_sweep_stopped_by_ctrl_c_resumes_without_running_its_finished_points_again(tmp_path):
    # points long enough (30 s simulated, about a second each once compiled) that Ctrl-C lands
    # before the sixth finishes: at 3 s the remaining points could all finish between two polls
    (tmp_path / "p.toml").write_text(NOISY.replace("duration_ms = 120.0", "duration_ms = 30000.0").replace(
        "stop_ms = 110.0", "stop_ms = 29000.0"))
    command = [sys.executable, "-m", "bioplastic", "sweep", str(tmp_path / "p.toml"), "--seeds", "0-5", "--jobs", "1",
               "--out", str(tmp_path / "runs"), "--quiet"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    deadline = time.time() + 120
    while time.time() < deadline:                 # wait until two points are done
        files = list((tmp_path / "runs").glob("*/sweep.json"))
        if files and sum(p["status"] == "completed" for p in json.loads(files[0].read_text())["points"]) >= 2:
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    sweep_dir = _sweep_dir(tmp_path)
    (line,) = err.strip().splitlines()
    assert line.startswith(f"interrupted: sweep {sweep_dir.name} stopped with ") and line.endswith(
        f"resume with: bioplastic sweep --resume {sweep_dir} --jobs 1")
    state = json.loads((sweep_dir / "sweep.json").read_text())
    finished = {p["index"]: p["run_dir"] for p in state["points"] if p["status"] == "completed"}
    assert 2 <= len(finished) < 6 and state["status"] == "interrupted"
    stamps = {i: os.stat(sweep_dir / d / "metrics.json").st_mtime_ns for i, d in finished.items()}
    assert main(["sweep", "--resume", str(sweep_dir), "--jobs", "1", "--quiet"]) == 0
    state = json.loads((sweep_dir / "sweep.json").read_text())
    assert state["status"] == "completed" and all(p["status"] == "completed" for p in state["points"])
    assert {i: os.stat(sweep_dir / finished[i] / "metrics.json").st_mtime_ns for i in finished} == stamps
    assert json.loads((sweep_dir / "summary.json").read_text())["rows"][0]["n"] == 6


@pytest.mark.parametrize("arguments, message", [
    (["--seeds", "2-1"], "error: --seeds: got '2-1'; allowed: whole numbers >= 0: a range '1-10', a list '1,2,5', or one '3'"),
    (["--grid", "seed=1,2"], "error: --grid: got 'seed=1,2'; allowed: key.path=v1,v2,... for a key other than seed "
                             "(seeds: --seeds)"),
    (["--grid", "simulation.dt_ms=0.1,-0.1"], "error: {file}: simulation.dt_ms (point simulation.dt_ms=-0.1, seed=0): "
                                               "got -0.1; allowed: greater than 0"),
])
def test_a_bad_sweep_is_refused_before_anything_runs(arguments, message, tmp_path, capsys):
    (tmp_path / "p.toml").write_text(NOISY)
    assert main(["sweep", str(tmp_path / "p.toml"), *arguments, "--out", str(tmp_path / "runs"), "--quiet"]) == 2
    assert capsys.readouterr().err.strip() == message.format(file=tmp_path / "p.toml")
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_a_sweep_table_is_the_default_plan_and_the_command_line_replaces_its_seeds(tmp_path, capsys):
    (tmp_path / "p.toml").write_text(NOISY + '\n[sweep]\nseeds = "0-1"\ngrid = { "inputs.step.current_mv" = [18.0, 30.0] }\n')
    assert main(["sweep", str(tmp_path / "p.toml"), "--seeds", "4", "--jobs", "1", "--out", str(tmp_path / "runs"),
                 "--quiet"]) == 0
    state = json.loads((_sweep_dir(tmp_path) / "sweep.json").read_text())
    assert [(p["seed"], p["settings"]) for p in state["points"]] == [
        (4, {"inputs.step.current_mv": "18.0"}), (4, {"inputs.step.current_mv": "30.0"})]
    assert "[sweep]" not in (_sweep_dir(tmp_path) / "protocol.toml").read_text()
    assert main(["run", str(tmp_path / "p.toml"), "--out", str(tmp_path / "single"), "--quiet"]) == 2
    assert capsys.readouterr().err.strip().endswith(
        "sweep: got a [sweep] table; allowed: a protocol without one (run its points with bioplastic sweep FILE)")
    assert main(["sweep", "--resume", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == (f"error: --resume {tmp_path}: got a folder without a readable sweep.json "
                                               "and protocol.toml; allowed: the folder of a sweep, as bioplastic sweep made it")


@pytest.mark.slow  # a long check: pytest -m slow (CI runs it)
def test_the_same_sweep_on_a_local_ray_instance_gives_identical_run_folders(tmp_path):
    from toy_protocols import fingerprint

    pytest.importorskip("ray")        # in the test extra; the message without it is tested below
    (tmp_path / "p.toml").write_text(NOISY)
    folders = {}
    for backend in ("local", "ray"):
        out = tmp_path / backend
        assert main(["sweep", str(tmp_path / "p.toml"), "--seeds", "0-1", "--grid", "inputs.step.current_mv=18,30",
                     "--jobs", "2", "--backend", backend, "--out", str(out / "runs"), "--quiet"]) == 0
        state = json.loads((_sweep_dir(out) / "sweep.json").read_text())
        folders[backend] = [pathlib.Path(p["run_dir"]) for p in state["points"]]
        assert all(p["status"] == "completed" and pathlib.Path(p["run_dir"]).is_relative_to(_sweep_dir(out))
                   for p in state["points"])
    for local, remote in zip(folders["local"], folders["ray"]):
        assert fingerprint(local) == fingerprint(remote)
        assert (local / "protocol.toml").read_text() == (remote / "protocol.toml").read_text()
    assert (_sweep_dir(tmp_path / "local") / "summary.csv").read_text() == (
        _sweep_dir(tmp_path / "ray") / "summary.csv").read_text()


def test_without_ray_the_ray_backend_says_how_to_install_it(tmp_path, capsys, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_ray(name, *args, **kwargs):
        if name == "ray" or name.startswith("ray."):
            raise ImportError("No module named 'ray'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    (tmp_path / "p.toml").write_text(NOISY)
    assert main(["sweep", str(tmp_path / "p.toml"), "--backend", "ray", "--out", str(tmp_path / "runs"), "--quiet"]) == 2
    assert capsys.readouterr().err.strip() == ('error: --backend ray: got ray, which is not installed; allowed: '
                                               'pip install -e ".[ray]" (or pip install "ray>=2.9")')
    assert not (tmp_path / "runs").exists()


def test_learning_curves_are_summarized_per_epoch_over_seeds(tmp_path):
    from bioplastic.runs import read_npz

    grid = ["training.epochs=2", "training.train_examples=300", "training.test_examples=100", "training.sizes=[784, 16, 10]"]
    assert main(["sweep", str(ROOT / "protocols" / "dp_mnist.toml"), "--seeds", "0-1", "--jobs", "1", "--out",
                 str(tmp_path / "runs"), "--quiet", *(part for g in grid for part in ("--grid", g))]) == 0
    sweep_dir = _sweep_dir(tmp_path)
    state = json.loads((sweep_dir / "sweep.json").read_text())
    runs = [read_npz(pathlib.Path(p["run_dir"]) / "curves.npz")["test_accuracy"] for p in state["points"]]
    (row,) = [r for r in json.loads((sweep_dir / "summary.json").read_text())["curves"] if r["curve"] == "test_accuracy"]
    assert row["n"] == 2 and len(row["mean"]) == 2
    np.testing.assert_allclose(row["mean"], np.mean(runs, axis=0), rtol=1e-12)
    np.testing.assert_allclose(row["sd"], np.std(runs, axis=0, ddof=1), rtol=1e-12)
    assert (sweep_dir / "curves_test_accuracy.png").is_file()


COBA_TOY = ["simulation.duration_ms=40", "simulation.chunk_ms=10", "model.populations.exc.size=160",
            "model.populations.inh.size=40"]


def _coba_sweep(tmp_path, name, *extra):
    """A 3-seed sweep of the toy COBA (each seed draws its own synapses); the run folders of its points."""
    out = tmp_path / name
    arguments = ["sweep", str(ROOT / "protocols" / "coba.toml"), "--seeds", "0-2", "--grid",
                 "inputs.drive_exc.current_mv=20,25", "--jobs", "1", "--out", str(out / "runs"), "--quiet", *extra]
    assert main(arguments + [part for o in COBA_TOY for part in ("--grid", o)]) == 0
    state = json.loads((_sweep_dir(out) / "sweep.json").read_text())
    assert all(p["status"] == "completed" for p in state["points"])
    return [pathlib.Path(p["run_dir"]) for p in state["points"]], _sweep_dir(out)


def _same_run(batched: pathlib.Path, alone: pathlib.Path):
    """Identical spikes, metrics and protocol; sampled voltages within float32 rounding (vectorised sums)."""
    a, b = np.load(batched / "recordings.npz"), np.load(alone / "recordings.npz")
    assert sorted(a.files) == sorted(b.files)
    for key in a.files:
        if key.endswith((".steps", ".neurons", ".shape")):
            assert np.array_equal(a[key], b[key]), key
        else:
            np.testing.assert_allclose(a[key], b[key], rtol=1e-6, err_msg=key)
    assert json.loads((batched / "metrics.json").read_text()) == json.loads((alone / "metrics.json").read_text())
    assert (batched / "protocol.toml").read_text() == (alone / "protocol.toml").read_text()
    assert json.loads((batched / "manifest.json").read_text())["status"] == "completed"


def test_seeds_batched_into_one_program_give_the_run_folders_of_seeds_run_one_by_one(tmp_path):
    alone, _ = _coba_sweep(tmp_path, "alone")
    batched, sweep_dir = _coba_sweep(tmp_path, "batched", "--batch-seeds")
    for a, b in zip(batched, alone):
        _same_run(a, b)
    assert len({np.load(d / "recordings.npz")["exc_spikes.neurons"].tobytes() for d in batched[:3]}) == 3   # seeds differ
    assert sorted(p.name for p in (sweep_dir / "batches").iterdir()) == ["00000", "00003"]    # one batch per current
    assert (sweep_dir / "summary.csv").read_text() == (_sweep_dir(tmp_path / "alone") / "summary.csv").read_text()


def test_a_batch_stopped_by_ctrl_c_resumes_from_its_checkpoint(tmp_path, monkeypatch):
    from bioplastic.experiments.simulation.batch import SeedBatchWork

    alone, _ = _coba_sweep(tmp_path, "alone")
    real, calls, interrupted = SeedBatchWork.unit_done, [], []

    def interrupted_in_chunk_3(self, index, before, after):
        calls.append(index)
        if index == 2 and not interrupted:
            interrupted.append(index)
            raise KeyboardInterrupt
        return real(self, index, before, after)

    monkeypatch.setattr(SeedBatchWork, "unit_done", interrupted_in_chunk_3)
    out = tmp_path / "stopped"
    arguments = ["sweep", str(ROOT / "protocols" / "coba.toml"), "--seeds", "0-2", "--grid",
                 "inputs.drive_exc.current_mv=20,25", "--jobs", "1", "--out", str(out / "runs"), "--quiet",
                 "--batch-seeds", *(part for o in COBA_TOY for part in ("--grid", o))]
    assert main(arguments) == 130
    sweep_dir = _sweep_dir(out)
    (batch,) = (sweep_dir / "batches" / "00000").iterdir()
    assert json.loads((batch / "manifest.json").read_text())["units_done"] == 2     # chunks 1-2 kept
    calls.clear()
    assert main(["sweep", "--resume", str(sweep_dir), "--jobs", "1", "--quiet"]) == 0      # keeps --batch-seeds
    assert calls[:2] == [2, 3]                      # the first batch went on from chunk 3
    state = json.loads((sweep_dir / "sweep.json").read_text())
    for point, a in zip(state["points"], alone):
        _same_run(pathlib.Path(point["run_dir"]), a)


def test_batching_seeds_is_refused_where_it_cannot_run(tmp_path, capsys):
    dp = str(ROOT / "protocols" / "dp_mnist.toml")
    assert main(["sweep", dp, "--batch-seeds", "--out", str(tmp_path / "runs"), "--quiet"]) == 2
    assert capsys.readouterr().err.strip() == ("error: --batch-seeds: got a training protocol; allowed: a protocol "
                                               "whose kind runs seeds batched: simulation")
    (tmp_path / "p.toml").write_text(NOISY)
    assert main(["sweep", str(tmp_path / "p.toml"), "--batch-seeds", "--backend", "ray", "--out",
                 str(tmp_path / "runs"), "--quiet"]) == 2
    assert capsys.readouterr().err.strip() == ("error: --batch-seeds: got with --backend ray; allowed: --backend local "
                                               "(each Ray task runs one point)")
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_runs_whose_shapes_differ_are_not_batched():
    from bioplastic.experiments import load_protocol
    from bioplastic.experiments.simulation.batch import batch_experiments

    protocols = [load_protocol(ROOT / "protocols" / "lif_single.toml", [f"seed={seed}", f"model.populations.cell.size={n}"])[0]
                 for seed, n in ((0, 1), (1, 2))]
    with pytest.raises(BadInput) as refused:
        batch_experiments(protocols, "lif_single.toml")
    assert str(refused.value) == ("--batch-seeds: got seeds 0 and 1 whose state['outputs']['cell'] shapes differ; "
                                  "allowed: seeds whose networks, inputs and recordings have the same shapes (run them "
                                  "without --batch-seeds)")
