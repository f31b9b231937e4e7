"""Brian2 C++ standalone side of the COBA speed benchmark, run in its own virtual environment.

Brian2 needs numpy < 2.4 and so never goes into the project's environment. This module
(imported by ``benchmarks/coba.py`` in the project's environment; it needs nothing beyond
the standard library) finds or makes a separate Python with Brian2 installed and runs
``benchmarks/brian2_coba.py`` with it in a subprocess, in a scratch build folder. The
network, the integration and what is timed are described in ``brian2_coba.py``.

Where the Brian2 Python comes from (:func:`brian2_python`), first match wins:

1. the path passed explicitly (``--brian2-python`` of ``coba.py``);
2. the environment variable ``BIOPLASTIC_BRIAN2_PYTHON``;
3. the virtual environment ``~/.cache/bioplastic/brian2-venv`` if it already works, else,
   only with ``create=True``, made there: ``python -m venv`` with the running interpreter,
   then ``pip install "brian2" "numpy<2.4"`` (needs PyPI; a few minutes once).

Each candidate must import ``brian2``; a C++ compiler (``g++``) is needed at run time.

Usage::

    python benchmarks/brian2_cpp.py                       # makes the venv if needed, n = 4000, 1 s
    BIOPLASTIC_BRIAN2_PYTHON=/path/to/python python benchmarks/brian2_cpp.py --n 16000

Example
-------
>>> import brian2_cpp
>>> python, reason = brian2_cpp.brian2_python("/nonexistent/python")
>>> python is None, reason.startswith("--brian2-python /nonexistent/python")
(True, True)
>>> python, reason = brian2_cpp.brian2_python(None, create=True)          # doctest: +SKIP
>>> brian2_cpp.run_brian2_cpp(4000, 1000.0, 0.1, 0, 3, python)            # doctest: +SKIP
{'compile_s': 5.9, 's_per_sim_s': 0.283, 'rate_hz': 22.2, ...}
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

__all__ = ["brian2_python", "run_brian2_cpp", "VENV_DIR", "ENV_VAR", "SCRIPT"]

ENV_VAR = "BIOPLASTIC_BRIAN2_PYTHON"
VENV_DIR = pathlib.Path.home() / ".cache" / "bioplastic" / "brian2-venv"
SCRIPT = pathlib.Path(__file__).resolve().with_name("brian2_coba.py")
REQUIREMENTS = ("brian2", "numpy<2.4")
_CHECK = "import brian2, numpy; print(brian2.__version__, numpy.__version__)"


def _one_line(text: str, limit: int = 300) -> str:
    """The last non-empty line of ``text`` (a traceback's error line), at most ``limit`` characters."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    line = lines[-1] if lines else "no output"
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _child_env() -> dict:
    """The environment for the Brian2 Python: ours without PYTHONPATH / PYTHONHOME (they point at the project's)."""
    env = dict(os.environ)
    for key in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"):
        env.pop(key, None)
    return env


def _venv_python(venv: pathlib.Path) -> pathlib.Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _check(python) -> tuple[bool, str]:
    """(True, "brian2 X, numpy Y") if ``python`` runs and imports brian2, else (False, one-line reason)."""
    try:
        done = subprocess.run([str(python), "-c", _CHECK], capture_output=True, text=True, timeout=120, env=_child_env())
    except (OSError, subprocess.TimeoutExpired) as error:
        return False, _one_line(str(error))
    if done.returncode != 0:
        return False, _one_line(done.stderr)
    brian2_version, numpy_version = done.stdout.split()[:2]
    return True, f"brian2 {brian2_version}, numpy {numpy_version}"


def _create_venv(venv: pathlib.Path, timeout_s: float = 1800.0) -> str | None:
    """Make ``venv`` with Brian2 installed; None on success, else a one-line reason (the half-made venv is removed)."""
    steps = [
        ("python -m venv", [sys.executable, "-m", "venv", "--clear", str(venv)]),
        ("pip install", [str(_venv_python(venv)), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                         *REQUIREMENTS]),
    ]
    for name, command in steps:
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, env=_child_env())
            failure = None if done.returncode == 0 else f"exited {done.returncode}: {_one_line(done.stderr or done.stdout)}"
        except (OSError, subprocess.TimeoutExpired) as error:
            failure = _one_line(str(error))
        if failure is not None:
            shutil.rmtree(venv, ignore_errors=True)
            return f"creating the Brian2 venv at {venv} failed: {name} {failure}"
    return None


def brian2_python(explicit: str | None = None, create: bool = False,
                  venv: str | os.PathLike | None = None) -> tuple[str | None, str]:
    """The path of a Python with Brian2 installed, and why that one (or why none).

    Parameters
    ----------
    explicit : str or None
        A Python to use (e.g. ``--brian2-python``); if given, it is the only candidate.
    create : bool
        Make the cached venv (``python -m venv`` + ``pip install "brian2" "numpy<2.4"``,
        needs PyPI, minutes) if neither ``explicit`` nor ``$BIOPLASTIC_BRIAN2_PYTHON`` is
        set and it does not work yet. Without it an existing working venv is still used.
    venv : path or None
        Where the cached venv lives; default ``~/.cache/bioplastic/brian2-venv``.

    Returns
    -------
    (str or None, str)
        The Python's path and a one-line note of where it came from and the brian2 and
        numpy versions, or ``None`` and a one-line reason.

    Example
    -------
    >>> python, reason = brian2_python("/nonexistent/python")
    >>> python, reason.split(":")[0]
    (None, '--brian2-python /nonexistent/python does not import brian2')
    """
    if explicit:
        ok, note = _check(explicit)
        return (explicit, f"--brian2-python: {note}") if ok else (None, f"--brian2-python {explicit} does not import brian2: {note}")
    from_env = os.environ.get(ENV_VAR)
    if from_env:
        ok, note = _check(from_env)
        return (from_env, f"${ENV_VAR}: {note}") if ok else (None, f"${ENV_VAR}={from_env} does not import brian2: {note}")
    venv = pathlib.Path(venv) if venv is not None else VENV_DIR
    python = _venv_python(venv)
    if python.exists():
        ok, note = _check(python)
        if ok:
            return str(python), f"cached venv {venv}: {note}"
        if not create:
            return None, f"cached venv {venv} does not import brian2 ({note}); pass create=True to rebuild it"
    elif not create:
        return None, f"no Brian2 python: pass one explicitly, set ${ENV_VAR}, or create=True to make {venv}"
    failure = _create_venv(venv)
    if failure is not None:
        return None, failure
    ok, note = _check(python)
    return (str(python), f"created venv {venv}: {note}") if ok else (None, f"created venv {venv} does not import brian2: {note}")


def run_brian2_cpp(n_neurons: int = 4000, duration_ms: float = 1000.0, dt_ms: float = 0.1, seed: int = 0,
                   repeats: int = 1, python: str | None = None, timeout_s: float | None = 3600.0) -> dict:
    """Build, compile and time the COBA network in Brian2's C++ standalone mode (subprocess).

    Parameters
    ----------
    n_neurons : int
        Network size (80 % excitatory, p = 80 / n).
    duration_ms, dt_ms : float
        Simulated time and step (ms).
    seed : int
        Brian2's seed (connectivity and initial voltages, drawn by the compiled binary).
    repeats : int
        Runs of the compiled binary; the best is reported.
    python : str or None
        A Python with Brian2 (see :func:`brian2_python`); None looks one up without creating.
    timeout_s : float or None
        Limit on the whole subprocess (s).

    Returns
    -------
    dict
        ``compile_s`` (s: code generation + C++ compilation), ``s_per_sim_s`` (s of wall time
        per simulated s: best of ``repeats`` of the simulation loop alone), ``rate_hz`` (mean
        rate, Hz), plus the extras of ``brian2_coba.py`` (``binary_s_per_sim_s``,
        ``n_synapses``, ``brian2_version``, ...).

    Raises
    ------
    RuntimeError
        One line naming the failure (no Brian2 python, compile or run error, bad output).

    Example
    -------
    >>> python, _ = brian2_python(None)                                      # doctest: +SKIP
    >>> run_brian2_cpp(4000, 1000.0, 0.1, 0, 3, python)["rate_hz"]           # doctest: +SKIP
    20.1
    """
    if python is None:
        python, reason = brian2_python(None)
        if python is None:
            raise RuntimeError(reason)
    with tempfile.TemporaryDirectory(prefix="bioplastic-brian2-") as scratch:
        command = [str(python), str(SCRIPT), "--n", str(int(n_neurons)), "--duration-ms", repr(float(duration_ms)),
                   "--dt-ms", repr(float(dt_ms)), "--seed", str(int(seed)), "--repeats", str(int(repeats)),
                   "--build-dir", os.path.join(scratch, "build")]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, env=_child_env(),
                                  cwd=scratch)
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"Brian2 C++ standalone COBA (n={n_neurons}) ran past {timeout_s} s") from None
        except OSError as error:
            raise RuntimeError(f"Brian2 C++ standalone COBA could not start {python}: {_one_line(str(error))}") from None
    if done.returncode != 0:
        raise RuntimeError(f"Brian2 C++ standalone COBA (n={n_neurons}) exited {done.returncode}: "
                           f"{_one_line(done.stderr or done.stdout)}")
    for line in reversed(done.stdout.splitlines()):
        if line.startswith("{"):
            try:
                figures = json.loads(line)
            except json.JSONDecodeError:
                continue
            missing = {"compile_s", "s_per_sim_s", "rate_hz"} - set(figures)
            if missing:
                raise RuntimeError(f"Brian2 C++ standalone COBA output lacks {sorted(missing)}: {_one_line(line)}")
            return figures
    raise RuntimeError(f"Brian2 C++ standalone COBA printed no JSON object: {_one_line(done.stdout or done.stderr)}")


def network_arguments(description: str) -> argparse.ArgumentParser:
    """The command-line options this module and ``brian2_coba.py`` share: network size, time, seed, repeats."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--n", type=int, default=4000, help="number of neurons")
    parser.add_argument("--duration-ms", type=float, default=1000.0, help="simulated time (ms)")
    parser.add_argument("--dt-ms", type=float, default=0.1, help="step (ms)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3, help="runs of the compiled binary (best is reported)")
    return parser


def main(argv=None):
    parser = network_arguments(__doc__.split("\n")[0])
    parser.add_argument("--brian2-python", help=f"a python with Brian2 (default: ${ENV_VAR}, else {VENV_DIR}, made if missing)")
    args = parser.parse_args(argv)
    python, reason = brian2_python(args.brian2_python, create=True)
    print(reason, file=sys.stderr)
    if python is None:
        return 1
    print(json.dumps(run_brian2_cpp(args.n, args.duration_ms, args.dt_ms, args.seed, args.repeats, python)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
