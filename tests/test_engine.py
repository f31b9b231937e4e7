"""The experiment engine across kinds: the import contract, Ctrl-C on a real command, the non-finite watch."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from bioplastic.cli import main
from bioplastic.runs.checkpoint import FILE as CHECKPOINT

from toy_protocols import ROOT, TOY, fingerprint

SMALL = ROOT / "tests" / "protocols" / "valid_small.toml"


def test_imports_run_one_way_and_leaves_stay_leaves():
    from importlinter.cli import lint_imports

    assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True) == 0


def test_ctrl_c_on_a_real_run_names_the_resume_command_and_the_resume_completes(tmp_path):
    overrides = ["--set", "simulation.duration_ms=4000", "--set", "simulation.chunk_ms=10"]   # 400 chunks
    command = [sys.executable, "-m", "bioplastic", "run", str(SMALL), "--out", str(tmp_path / "runs"), "--quiet",
               *overrides]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    deadline = time.monotonic() + 120
    while not list((tmp_path / "runs").glob(f"*/{CHECKPOINT}")):
        assert time.monotonic() < deadline and process.poll() is None, process.communicate()
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    (line,) = stderr.strip().splitlines()               # one line, no traceback
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert line.startswith("interrupted: valid_small stopped during chunk ")
    assert line.endswith(f"resume with: bioplastic run {SMALL} --set simulation.duration_ms=4000 "
                         f"--set simulation.chunk_ms=10 --resume {run_dir}")
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "interrupted" and 1 <= manifest["units_done"] < 400
    resume = line.split("resume with: bioplastic ")[1].split()
    assert main(resume + ["--quiet"]) == 0
    assert json.loads((run_dir / "manifest.json").read_text())["status"] == "completed"
    assert main(["run", str(SMALL), "--out", str(tmp_path / "whole"), "--quiet", *overrides]) == 0
    (whole,) = (tmp_path / "whole").iterdir()
    assert fingerprint(run_dir) == fingerprint(whole)


def test_a_ctrl_c_during_a_garbage_collection_stops_the_run_after_the_unit_without_a_traceback(tmp_path, capfd):
    import gc

    from bioplastic.experiments import run_protocol
    from bioplastic.runs import RunInterrupted

    def interrupt_in_collection(phase, info):      # as a Ctrl-C that lands in JAX's gc callback
        if phase == "start":
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(10_000):                # the handler runs at a bytecode boundary in here
                pass

    def collect(units_done, state):
        if units_done == 1:
            gc.callbacks.append(interrupt_in_collection)
            try:
                gc.collect()
            finally:
                gc.callbacks.remove(interrupt_in_collection)

    with pytest.raises(RunInterrupted, match=r"the 1 finished units of work \(of 4\)"):
        run_protocol(SMALL, tmp_path, ["simulation.duration_ms=40", "simulation.chunk_ms=10"], progress=False,
                     on_unit=collect)
    assert "Exception ignored" not in capfd.readouterr().err
    (run_dir,) = tmp_path.iterdir()
    assert json.loads((run_dir / "manifest.json").read_text())["status"] == "interrupted"


# A protocol of every kind but simulation (tests/test_runner.py has one), made to diverge.
DIVERGING = {
    "training": ("dp_mnist", TOY["dp_mnist"] + ["training.learning_rate=1e30", "training.optimizer=sgd"],
                 "training: the weights "),
    "continual": ("hlop_pmnist_small", TOY["hlop_pmnist_small"] + ["continual.train_examples=1024",
                  "continual.method=ewc", "continual.ewc.strength=1e6"],
                  "continual: the weights of layer 1 became NaN or inf while training task 2 (ewc)"),
    "prediction": ("three_factor_what_when", TOY["three_factor_what_when"] + ["prediction.learners=['three_factor']",
                   "prediction.readout.when_learning_rate=1e30", "prediction.readout.what_learning_rate=1e30"],
                   "prediction: the "),
    "theta": ("theta_latents", TOY["theta_latents"] + ["theta.learning_rate=1e30"],
              "theta: the weights of connection "),
    "distal_reward": ("distal_reward_izhikevich2007", TOY["distal_reward_izhikevich2007"]
                      + ["distal_reward.noise_amplitude=1e30"], "neurons.v became NaN or inf during minute 1 of 2"),
}


@pytest.mark.parametrize("kind", sorted(DIVERGING))
def test_a_diverging_run_of_every_kind_stops_naming_what_became_non_finite(kind, tmp_path, capsys):
    name, overrides, message = DIVERGING[kind]
    args = [part for setting in overrides for part in ("--set", setting)]
    assert main(["run", str(ROOT / "protocols" / f"{name}.toml"), "--out", str(tmp_path), "--quiet", *args]) == 1
    error = capsys.readouterr().err
    assert error.startswith(f"run stopped: {message}") and "became NaN or inf" in error, error
    (run_dir,) = tmp_path.iterdir()
    status = json.loads((run_dir / "manifest.json").read_text())["status"]
    assert status.startswith(f"failed: {message}")
    assert not (run_dir / "metrics.json").exists()


def test_the_progress_bar_counts_the_work_and_estimates_what_is_left(tmp_path, capsys):
    assert main(["run", str(SMALL), "--out", str(tmp_path), "--set", "simulation.duration_ms=40",
                 "--set", "simulation.chunk_ms=10"]) == 0
    shown = capsys.readouterr().err
    assert "40/40 ms simulated" in shown and "s left" in shown
    assert os.path.isdir(tmp_path)


STOPPED_OVERRIDES = ["--set", "simulation.duration_ms=40", "--set", "simulation.chunk_ms=10"]


def stopped_small_run(tmp_path, after_units: int):
    """The folder of the small protocol's run (4 chunks of 10 ms) interrupted after ``after_units`` chunks."""
    from bioplastic.experiments import run_protocol
    from bioplastic.runs import RunInterrupted

    def stop(units_done, state):
        if units_done == after_units:
            raise KeyboardInterrupt

    with pytest.raises(RunInterrupted):
        run_protocol(SMALL, tmp_path, STOPPED_OVERRIDES[1::2], progress=False, on_unit=stop)
    (run_dir,) = tmp_path.iterdir()
    return run_dir


@pytest.mark.parametrize("damage, message", [
    (lambda path: path.write_bytes(path.read_bytes()[:100]), "got a file that is not a readable checkpoint"),
    (lambda path: path.write_bytes(b"garbage"), "got a file that is not a readable checkpoint"),
    (lambda path: __import__("numpy").savez(path, __format__="bioplastic-checkpoint/1", __units_done__=1),
     "got a checkpoint without ['network']"),
])
def test_resuming_from_a_damaged_checkpoint_is_one_line_naming_the_file(damage, message, tmp_path, capsys):
    run_dir = stopped_small_run(tmp_path, after_units=1)
    damage(run_dir / CHECKPOINT)
    assert main(["run", str(SMALL), *STOPPED_OVERRIDES, "--resume", str(run_dir), "--quiet"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"error: {run_dir / CHECKPOINT}: {message}") and "start afresh without --resume" in line
    assert json.loads((run_dir / "manifest.json").read_text())["status"] == "interrupted"    # refused before it ran


@pytest.mark.parametrize("damage", [lambda path: path.unlink(), lambda path: path.write_bytes(b"garbage")])
def test_resuming_without_a_finished_chunk_of_recordings_is_one_line_naming_the_file(damage, tmp_path, capsys):
    """The checkpoint holds the network state; the recordings of finished chunks are files beside it."""
    run_dir = stopped_small_run(tmp_path, after_units=2)
    chunk = run_dir / "chunks" / "00001.npz"
    damage(chunk)
    assert main(["run", str(SMALL), *STOPPED_OVERRIDES, "--resume", str(run_dir), "--quiet"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"error: {chunk}: got a missing or unreadable chunk of recordings (")
    assert line.endswith("; allowed: the folder of a stopped run as it was left; start afresh without --resume")


def test_a_full_disk_while_writing_a_checkpoint_stops_in_one_line_and_keeps_the_last_one(tmp_path, capsys, monkeypatch):
    """The second checkpoint's write fails with ENOSPC: exit 1, one line, manifest ``failed``, checkpoint 1 intact."""
    import errno

    import bioplastic.runs.folder as folder
    from bioplastic.experiments import run_protocol
    from bioplastic.runs import read_npz

    overrides = ["simulation.duration_ms=40", "simulation.chunk_ms=10"]
    real_fsync, checkpoints = os.fsync, []

    def fsync_with_a_full_disk(descriptor):
        if os.readlink(f"/proc/self/fd/{descriptor}").split("/")[-1].startswith(f".{CHECKPOINT}."):
            checkpoints.append(descriptor)
            if len(checkpoints) == 2:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_fsync(descriptor)

    monkeypatch.setattr(folder.os, "fsync", fsync_with_a_full_disk)
    assert main(["run", str(SMALL), "--out", str(tmp_path), "--quiet", *(p for o in overrides for p in ("--set", o))]) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    (run_dir,) = tmp_path.iterdir()
    assert line.startswith("run stopped: valid_small stopped during chunk 2 of 4 (10-20 ms): No space left on device; "
                           f"the 1 finished units of work (of 4) are kept in {run_dir}; once that is mended, resume with: ")
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "failed: OSError: [Errno 28] No space left on device" and manifest["units_done"] == 1
    assert int(read_npz(run_dir / CHECKPOINT)["__units_done__"]) == 1
    assert sorted(path.name for path in run_dir.iterdir()) == [CHECKPOINT, "chunks", "manifest.json", "protocol.toml"]
    # chunk 2's recordings were written before its checkpoint failed; resuming runs chunk 2 again
    assert sorted(path.name for path in (run_dir / "chunks").iterdir()) == ["00000.npz", "00001.npz"]
    monkeypatch.undo()
    resumed = run_protocol(SMALL, overrides=overrides, resume=run_dir, progress=False)
    assert json.loads((resumed / "manifest.json").read_text())["status"] == "completed"
    assert not (resumed / "chunks").exists()


@pytest.mark.parametrize("runs_ahead", [False, True])
def test_a_work_that_runs_ahead_starts_the_next_unit_before_checking_this_one_and_stops_at_the_bad_one(runs_ahead, tmp_path):
    """Units add 1; unit 2 (of 4) makes a NaN. Running ahead, unit 3 is started before unit 2 is
    checked, but the run still stops at unit 2 with units 0-1 kept, as without running ahead."""
    import numpy as np

    from bioplastic.runs.engine import Work, run_work
    from bioplastic.runs.errors import RunError
    from bioplastic.runs.folder import new_run_folder

    events = []

    class Count(Work):
        n_units, unit = 4, "steps"

        def start(self):
            return np.zeros(())

        def run_unit(self, index, state, run_dir, advance):
            events.append(f"run {index}")
            return state + (np.nan if index == 2 else 1.0)

        def finish(self, run_dir, state):
            return {"count": float(state)}

    Count.runs_ahead = runs_ahead
    run_dir = new_run_folder(tmp_path, "count")
    with pytest.raises(RunError) as stopped:
        run_work(Count(), run_dir, {}, name="count", resume_command="", progress=False,
                 on_unit=lambda done, state: events.append(f"settled {done - 1}"))
    assert str(stopped.value) == f"the state became NaN or inf during step 3 of 4; the finished work is kept in {run_dir}"
    assert json.loads((run_dir / "manifest.json").read_text())["units_done"] == 2
    if runs_ahead:
        assert events == ["settled -1", "run 0", "run 1", "settled 0", "run 2", "settled 1", "run 3"]
    else:
        assert events == ["settled -1", "run 0", "settled 0", "run 1", "settled 1", "run 2"]
