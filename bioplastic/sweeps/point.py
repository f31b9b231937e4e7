"""One point of a sweep (or one batch of its seeds): its folder, its process's XLA threads, and its run.

Example
-------
>>> point_dir("runs/x-sweep", 7).as_posix()
'runs/x-sweep/points/00007'
"""

from __future__ import annotations

import json
import pathlib
import shutil

from bioplastic._checks import BadInput
from bioplastic.experiments import run_protocol, run_seeds_batched
from bioplastic.runs import RunError, RunInterrupted
from bioplastic.runs.checkpoint import FILE as CHECKPOINT

POINTS = "points"
BATCHES = "batches"


def point_dir(sweep_dir, index: int) -> pathlib.Path:
    """The folder that holds point ``index``'s run folder."""
    return pathlib.Path(sweep_dir) / POINTS / f"{index:05d}"


def xla_flags(threads: int) -> str:
    """XLA's CPU flags for a process given ``threads`` threads.

    Example
    -------
    >>> xla_flags(1)
    '--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1'
    """
    return " ".join(filter(None, ["--xla_cpu_multi_thread_eigen=false" if threads == 1 else "",
                                  f"intra_op_parallelism_threads={threads}"]))


def run_point(protocol_file: str, folder: str, overrides: list, data_dir=None) -> dict:
    """Run one point into ``folder`` (its :func:`point_dir`; or finish the run folder there); its status and run folder.

    A completed run folder is kept as it is; a stopped one with a checkpoint is resumed; one
    without is started again.
    """
    folder = pathlib.Path(folder)
    existing = sorted(folder.iterdir()) if folder.is_dir() else []
    resume = None
    for run_dir in existing:
        manifest = json.loads((run_dir / "manifest.json").read_text()) if (run_dir / "manifest.json").is_file() else {}
        if manifest.get("status") == "completed":
            return {"status": "completed", "run_dir": str(run_dir)}
        if (run_dir / CHECKPOINT).is_file() and resume is None:
            resume = run_dir
        else:
            shutil.rmtree(run_dir)
    try:
        run_dir = run_protocol(protocol_file, folder, overrides, resume=resume, progress=False, data_dir=data_dir)
        return {"status": "completed", "run_dir": str(run_dir)}
    except RunInterrupted:                              # Ctrl-C stops the sweep, not only this point
        raise
    except (RunError, BadInput) as error:
        found = sorted(folder.iterdir()) if folder.is_dir() else []
        return {"status": f"failed: {error}", "run_dir": str(found[-1]) if found else None}


def batch_dir(sweep_dir, first_index: int) -> pathlib.Path:
    """The folder of the batch of seeds whose first point is ``first_index`` (``--batch-seeds``)."""
    return pathlib.Path(sweep_dir) / BATCHES / f"{first_index:05d}"


def run_batch(protocol_file: str, folder: str, point_folders: list, overrides: list, seeds: list,
              data_dir=None) -> list:
    """Run the seeds of one grid point together into ``folder`` (:func:`batch_dir`); each point's status and run folder.

    ``point_folders[i]`` receives seed ``seeds[i]``'s run folder. A completed batch is kept
    as it is; a stopped one with a checkpoint is resumed; one without is started again,
    its points' folders emptied.
    """
    folder = pathlib.Path(folder)
    resume = None
    for existing in sorted(folder.iterdir()) if folder.is_dir() else []:
        manifest = json.loads((existing / "manifest.json").read_text()) if (existing / "manifest.json").is_file() else {}
        if manifest.get("status") == "completed" and "batch" in manifest:
            return [{"status": "completed", "run_dir": run_dir} for run_dir in manifest["batch"]["run_dirs"]]
        if (existing / CHECKPOINT).is_file() and "batch" in manifest and resume is None:
            resume = existing
        else:
            shutil.rmtree(existing)
    if resume is None:
        for point_folder in map(pathlib.Path, point_folders):
            shutil.rmtree(point_folder, ignore_errors=True)
    try:
        run_dirs = run_seeds_batched(protocol_file, seeds, point_folders, folder, overrides, resume=resume,
                                     progress=False, data_dir=data_dir)
        return [{"status": "completed", "run_dir": str(run_dir)} for run_dir in run_dirs]
    except RunInterrupted:                              # Ctrl-C stops the sweep, not only this batch
        raise
    except (RunError, BadInput) as error:
        return [{"status": f"failed: {error}", "run_dir": None} for _ in seeds]
