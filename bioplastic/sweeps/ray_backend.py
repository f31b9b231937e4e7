"""Sweep points as Ray tasks: on an existing cluster (``--address``), or on a local Ray instance.

Ray is an optional extra (``pip install -e ".[ray]"``). Each point is one task of one CPU,
with one XLA thread. The task gets the protocol text and the point's folder as it stands
(empty, or a stopped run with its checkpoint), runs the point in a scratch folder on
whichever machine Ray picks, and returns the folder's files. The submitting machine writes
them into the sweep folder, so results land there even from a cluster whose machines share
no disk. A task that raises, or whose worker dies, is recorded as a failed point, which
``--resume`` runs again.

Example
-------
>>> sorted(pack(pathlib.Path(__file__).parent, "__init__.py"))
['__init__.py']
"""

from __future__ import annotations

import pathlib
import shutil
import tempfile

from bioplastic._checks import BadInput
from bioplastic.sweeps.point import point_dir, run_point, xla_flags

INSTALL = 'pip install -e ".[ray]" (or pip install "ray>=2.9")'
LOCAL_OBJECT_STORE = 256 * 1024**2      # bytes: a local instance ships run folders, not datasets


def require_ray():
    """The ``ray`` module, or a BadInput saying how to install it.

    Example
    -------
    >>> require_ray().__name__                                  # doctest: +SKIP
    'ray'
    """
    try:
        import ray
    except ImportError:
        raise BadInput("--backend ray", "ray, which is not installed", INSTALL) from None
    return ray


def pack(folder: pathlib.Path, *names) -> dict:
    """Every file below ``folder`` (or below its entries ``names``) as relative path -> bytes."""
    folder = pathlib.Path(folder)
    roots = [folder / name for name in names] if names else [folder]
    files = {}
    for root in roots:
        for path in ([root] if root.is_file() else sorted(root.rglob("*"))):
            if path.is_file():
                files[str(path.relative_to(folder))] = path.read_bytes()
    return files


def unpack(files: dict, folder: pathlib.Path) -> None:
    """Write ``files`` (relative path -> bytes) below ``folder``."""
    for name, data in files.items():
        path = pathlib.Path(folder) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def run_shipped_point(protocol_text: str, files: dict, overrides: list, data_dir=None) -> tuple[dict, dict]:
    """Run a point in a scratch folder from its shipped files; ``(result, files after)``.

    ``result["run_dir"]`` is relative to the point's folder.
    """
    with tempfile.TemporaryDirectory(prefix="bioplastic-point-") as scratch:
        scratch = pathlib.Path(scratch)
        (scratch / "protocol.toml").write_text(protocol_text)
        unpack(files, scratch / "point")
        (scratch / "point").mkdir(exist_ok=True)
        result = run_point(str(scratch / "protocol.toml"), str(scratch / "point"), overrides, data_dir)
        if result["run_dir"] is not None:
            result["run_dir"] = str(pathlib.Path(result["run_dir"]).relative_to(scratch / "point"))
        return result, pack(scratch / "point")


def execute_on_ray(protocol_file, sweep_dir, points, jobs: int, data_dir, address):
    """``(index, {"status", "run_dir"})`` of each point as its task ends (see the module docstring)."""
    ray = require_ray()
    started_here = not ray.is_initialized()
    if started_here:
        options = {"address": address} if address else {"num_cpus": jobs, "object_store_memory": LOCAL_OBJECT_STORE}
        ray.init(include_dashboard=False, log_to_driver=False, configure_logging=False, **options)
    try:
        task = ray.remote(num_cpus=1, max_retries=0)(run_shipped_point).options(
            runtime_env={"env_vars": {"XLA_FLAGS": xla_flags(1)}})
        protocol_text = pathlib.Path(protocol_file).read_text()
        pending = {}
        for point in points:
            folder = point_dir(sweep_dir, point.index)
            shipped = pack(folder) if folder.is_dir() else {}
            pending[task.remote(protocol_text, shipped, point.overrides, data_dir)] = point.index
        while pending:
            (done,), _ = ray.wait(list(pending), num_returns=1)
            index = pending.pop(done)
            try:
                result, files = ray.get(done)
            except Exception as error:               # the task raised, or its worker died
                yield index, {"status": f"failed: {type(error).__name__}: {str(error).splitlines()[0]}",
                              "run_dir": None}
                continue
            folder = point_dir(sweep_dir, index)
            shutil.rmtree(folder, ignore_errors=True)
            unpack(files, folder)
            if result["run_dir"] is not None:
                result["run_dir"] = str(folder / result["run_dir"])
            yield index, result
    finally:
        if started_here:
            ray.shutdown()
