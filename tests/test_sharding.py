"""One network across devices: the sharded COBA gives the spikes of the unsharded one."""

import os
import subprocess
import sys

import pytest

from bioplastic.cli import main

from toy_protocols import ROOT, TOY

# Run in a process of its own: the device count is fixed when JAX starts.
TWO_DEVICES = """
import pathlib, sys, tempfile
import jax, numpy as np
from bioplastic.cli import main
from bioplastic.experiments import validate_protocol
from bioplastic.simulation import simulate

assert len(jax.devices()) == 2
coba, toy = sys.argv[1], sys.argv[2:]
folders = {}
for devices in (1, 2):
    out = pathlib.Path(tempfile.mkdtemp())
    assert main(["run", coba, "--devices", str(devices), "--out", str(out), "--quiet",
                 *(part for o in toy for part in ("--set", o))]) == 0
    (folders[devices],) = out.iterdir()
one, two = (np.load(folders[d] / "recordings.npz") for d in (1, 2))
assert sorted(one.files) == sorted(two.files) and one["exc_spikes.steps"].size > 0
for key in one.files:
    assert np.array_equal(one[key], two[key]), key
assert (folders[1] / "metrics.json").read_text() == (folders[2] / "metrics.json").read_text()
# Each device integrates half of each population, and keeps it through the loop.
e = validate_protocol(coba, toy + ["simulation.devices=2"])
final, _ = simulate(e.network.step, e.state, 50, params=e.params, drive=e.drive, dt=e.dt)
v = final["populations"]["exc"].v
assert [shard.data.shape for shard in v.addressable_shards] == [(v.shape[0] // 2,)] * 2, v.sharding
print("identical")
"""


@pytest.mark.slow  # a long check: pytest -m slow (CI runs it)
def test_the_sharded_coba_gives_the_spikes_of_the_unsharded_one(tmp_path):
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
    toy = [o for o in TOY["coba"] if not o.startswith("simulation.duration_ms")] + ["simulation.duration_ms=60"]
    done = subprocess.run([sys.executable, "-c", TWO_DEVICES, str(ROOT / "protocols" / "coba.toml"), *toy],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    assert done.returncode == 0 and done.stdout.strip().splitlines()[-1] == "identical", done.stderr[-3000:]


def test_more_devices_than_jax_sees_are_refused_before_anything_runs(tmp_path, capsys):
    import jax

    n = len(jax.devices())
    assert main(["validate", str(ROOT / "protocols" / "coba.toml"), "--devices", str(n + 1)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: {ROOT / 'protocols' / 'coba.toml'}: simulation.devices: got {n + 1}; allowed: at most {n} (the devices "
        f"JAX sees: {n} {jax.devices()[0].platform}; XLA_FLAGS=--xla_force_host_platform_device_count=N makes N of a CPU)")


@pytest.mark.slow  # a long check: pytest -m slow (CI runs it)
def test_two_processes_joined_by_jax_distributed_give_the_spikes_of_one(tmp_path):
    """Two processes stand in for two hosts: the example script's network split over them equals one process's."""
    import socket

    import numpy as np

    script = [sys.executable, str(ROOT / "examples" / "distributed_simulation.py"), str(ROOT / "protocols" / "coba.toml"),
              "--set", "simulation.duration_ms=60"]
    with socket.socket() as probe:                   # a free port for the coordinator
        probe.bind(("localhost", 0))
        port = probe.getsockname()[1]
    env = {key: value for key, value in os.environ.items() if key != "XLA_FLAGS"}       # one device per process
    joined = [f"--coordinator=localhost:{port}", "--processes=2"]
    second = subprocess.Popen(script + joined + ["--process-id=1"], env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    first = subprocess.run(script + joined + ["--process-id=0", "--out=two.npz"], env=env, cwd=tmp_path,
                           capture_output=True, text=True, timeout=600)
    second.communicate(timeout=600)
    assert first.returncode == 0 and second.returncode == 0, first.stderr[-3000:]
    assert "2 devices in 2 processes" in first.stdout
    alone = subprocess.run(script + ["--out=one.npz"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert alone.returncode == 0, alone.stderr[-3000:]
    one, two = np.load(tmp_path / "one.npz"), np.load(tmp_path / "two.npz")
    assert sorted(one.files) == sorted(two.files) and int(one["recording.exc_spikes.count"]) > 0
    for key in one.files:
        assert np.array_equal(one[key], two[key]), key
