"""The shipped protocols at toy size, and a fingerprint of what their runs write.

``TOY`` holds, per shipped protocol, ``--set`` overrides that shrink it to a few seconds
with the same structure. Run as a script, this module runs every shipped protocol at toy
size and prints (or writes, ``--out FILE``) one JSON object per protocol: its metrics
(timings left out) and the SHA-256 of every array its run folder holds, so a refactor can
show the outputs bit-identical before and after (``--compare FILE``)::

    python tests/toy_protocols.py --out before.json
    python tests/toy_protocols.py --compare before.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pathlib
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
PROTOCOLS = sorted((ROOT / "protocols").glob("*.toml"))

# Overrides that shrink each shipped protocol to a few seconds (same structure, fewer steps / neurons).
TOY = {
    "stdp_song2000": ["simulation.duration_ms=200", "simulation.chunk_ms=100", "model.populations.afferents.size=100",
                      "inputs.group_a.neurons.stop=50", "inputs.group_b.neurons.start=50", "inputs.group_b.neurons.stop=100",
                      "recordings.weights.stride=1000"],
    "istdp_vogels2011": ["simulation.duration_ms=200", "simulation.chunk_ms=100", "recordings.inhibitory_weights.stride=500"],
    "istdp_vogels2011_network": ["simulation.duration_ms=200", "simulation.chunk_ms=100", "model.populations.exc.size=400",
                                 "model.populations.inh.size=100", "recordings.exc_spikes.neurons.stop=100",
                                 'learning.phases=[{ name = "before", duration_ms = 100.0, plasticity = false }, '
                                 '{ name = "learning", duration_ms = 100.0 }]'],
    "distal_reward_izhikevich2007": ["distal_reward.seconds=70", "distal_reward.n_exc=80", "distal_reward.n_inh=20",
                                     "distal_reward.synapses_per_neuron=20"],
    "bcm_selectivity": ["simulation.duration_ms=2000", "simulation.chunk_ms=1000", "recordings.weights.stride=100"],
    "oja_pca": ["simulation.duration_ms=3000", "simulation.chunk_ms=1500"],
    "stdp_triplet_frequency": ["simulation.dt_ms=1.0", "inputs.pre.rate_hz=50.0", "inputs.post.rate_hz=50.0",
                               "simulation.duration_ms=1205", "recordings.weight.stride=5"],
    "coba": ["simulation.duration_ms=20", "simulation.chunk_ms=10", "model.populations.exc.size=160",
             "model.populations.inh.size=40"],
    "quickstart": ["simulation.duration_ms=20", "simulation.chunk_ms=10", "model.populations.exc.size=200",
                   "model.populations.inh.size=50"],
    "izhikevich_firing_patterns": [],               # 300 ms of 7 neurons: already small; its stimuli run to 204 ms
    "adex_adaptation": [],                          # 600 ms of 3 neurons: already small
    "stdp_feedforward": ["simulation.duration_ms=200", "recordings.weights.stride=100"],
    "lif_single": ["simulation.duration_ms=60", "inputs.step.stop_ms=55"],
    "mnist_spikes": ["simulation.duration_ms=20", "simulation.chunk_ms=10", "dataset.presentation_ms=10"],
    "dp_mnist": ["training.epochs=1", "training.train_examples=500", "training.test_examples=200",
                 "training.sizes=[784, 32, 10]"],
    "dp_mnist_paper": ["training.epochs=1", "training.train_examples=600", "training.test_examples=200",
                       "training.validation_examples=100", "training.sizes=[784, 32, 32, 10]"],
    "dp_fashion_mnist": ["training.epochs=1", "training.train_examples=500", "training.test_examples=200",
                         "training.sizes=[784, 32, 10]"],
    "ccl_mnist": ["training.epochs=1", "training.train_examples=600", "training.test_examples=200",
                  "training.validation_examples=88", "training.sizes=[784, 32, 32, 10]"],
    "ccl_fashion_mnist": ["training.epochs=1", "training.train_examples=600", "training.test_examples=200",
                          "training.validation_examples=88", "training.sizes=[784, 32, 32, 10]"],
    "ccl_cnn_mnist": ["training.epochs=1", "training.train_examples=300", "training.test_examples=100",
                      "training.validation_examples=44", "training.sizes=[1, 2, 2, 2, 2, 2, 10]"],
    "hlop_pmnist": ["continual.tasks=2", "continual.train_examples=256", "continual.test_examples=100",
                    "continual.sizes=[784, 16, 16, 10]", "continual.neuron.time_steps=4",
                    "continual.hlop.rows_first=[8, 4, 4]", "continual.hlop.rows_added=[4, 2, 2]"],
    "hlop_pmnist_small": ["continual.tasks=2", "continual.train_examples=256", "continual.test_examples=100",
                          "continual.validation_examples=32", "continual.gpm.samples=64", "continual.sizes=[784, 16, 16, 10]",
                          "continual.neuron.time_steps=4", "continual.hlop.rows_first=[8, 4, 4]",
                          "continual.hlop.rows_added=[4, 2, 2]"],
    "hlop_split_mnist": ["continual.train_examples=1500", "continual.test_examples=300", "continual.validation_examples=32",
                         "continual.gpm.samples=64",
                         "continual.epochs_per_task=1", "continual.sizes=[784, 16, 16, 2]", "continual.neuron.time_steps=4",
                         "continual.hlop.rows_first=[8, 4, 4]", "continual.hlop.rows_added=[4, 2, 2]"],
    "hlop_fashion_then_mnist": ["continual.train_examples=256", "continual.test_examples=100",
                                "continual.validation_examples=32", "continual.gpm.samples=64", "continual.gpm.samples=64", "continual.sizes=[784, 16, 16, 10]",
                                "continual.neuron.time_steps=4", "continual.hlop.rows_first=[8, 4, 4]",
                                "continual.hlop.rows_added=[4, 2, 2]"],
    "three_factor_what_when": ["prediction.trials=8", "prediction.switch_trial=4", "prediction.baseline_trials=2",
                               "prediction.running_trials=2", "prediction.repeats=1", "prediction.reservoir.n_exc=40",
                               "prediction.reservoir.n_inh=10"],
    "theta_latents": ["theta.minutes=2", "theta.repeats=1", "theta.test.hold_s=20", "theta.test.max_lag_s=2"],
    "theta_path_integration": ["theta.minutes=2", "theta.repeats=1", "theta.test.decoder_minutes=1",
                               "theta.test.position_bins=20", "theta.test.episodes=2", "theta.test.spin_up_s=2",
                               "theta.test.hold_s=6", "theta.transfer.minutes=1"],
    "ccl_autoencoder_mnist": ["training.epochs=1", "training.train_examples=600", "training.test_examples=200",
                              "training.validation_examples=88", "training.sizes=[784, 16, 784]"],
    "ccl_conv_autoencoder_mnist": ["training.epochs=1", "training.batches_per_epoch=4", "training.train_examples=600",
                                   "training.test_examples=100", "training.validation_examples=88",
                                   "training.sizes=[1, 2, 4, 4, 4, 2, 1]"],
    "ccl_conv_autoencoder_fashion_mnist": ["training.epochs=1", "training.batches_per_epoch=4",
                                           "training.train_examples=600", "training.test_examples=100",
                                           "training.validation_examples=88", "training.sizes=[1, 2, 4, 4, 4, 2, 1]"],
}


def _timing(name: str) -> bool:
    return "seconds" in name


def fingerprint(run_dir: pathlib.Path) -> dict:
    """Metrics (timings left out) and the SHA-256 of every array of every ``.npz`` in ``run_dir``."""
    import numpy as np

    metrics = json.loads((run_dir / "metrics.json").read_text())
    arrays = {}
    for file in sorted(run_dir.glob("*.npz")):
        with np.load(file) as data:
            for name in sorted(data.files):
                if not _timing(name):
                    value = np.ascontiguousarray(data[name])
                    arrays[f"{file.name}:{name}"] = f"{value.dtype}{list(value.shape)}:" + hashlib.sha256(
                        value.tobytes()).hexdigest()[:16]
    return {"metrics": {k: v for k, v in metrics.items() if not _timing(k)}, "arrays": arrays}


def record(names=None) -> dict:
    """Run the shipped protocols (all, or ``names``) at toy size; their fingerprints by name."""
    from bioplastic.cli import main

    found = {}
    for path in PROTOCOLS:
        if names and path.stem not in names:
            continue
        out = pathlib.Path(tempfile.mkdtemp())
        overrides = [item for setting in TOY[path.stem] for item in ("--set", setting)]
        code = main(["run", str(path), "--out", str(out), "--quiet", *overrides])
        (run_dir,) = out.iterdir()
        found[path.stem] = {"exit": code, **fingerprint(run_dir)}
        print(f"{path.stem}: exit {code}", file=sys.stderr, flush=True)
    return found


def compare(before: dict, after: dict) -> list:
    """Lines naming every difference between two recordings."""
    lines = []
    for name in sorted(set(before) | set(after)):
        if name not in before or name not in after:
            lines.append(f"{name}: only in {'after' if name in after else 'before'}")
            continue
        for part in ("exit", "metrics", "arrays"):
            a, b = before[name][part], after[name][part]
            if a == b:
                continue
            if not isinstance(a, dict):
                lines.append(f"{name}.{part}: {a} -> {b}")
                continue
            for key in sorted(set(a) | set(b)):
                if a.get(key) != b.get(key):
                    lines.append(f"{name}.{part}.{key}: {a.get(key)} -> {b.get(key)}")
    return lines


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", help="protocols to run (default: all)")
    parser.add_argument("--out", help="write the recording to this JSON file")
    parser.add_argument("--compare", help="compare with a recording written before; exit 1 on any difference")
    args = parser.parse_args()
    recorded = record(args.names)
    if args.out:
        pathlib.Path(args.out).write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n")
    if args.compare:
        before = json.loads(pathlib.Path(args.compare).read_text())
        if args.names:
            before = {k: v for k, v in before.items() if k in args.names}
        differences = compare(before, recorded)
        print("\n".join(differences) or f"identical: {len(recorded)} protocols", flush=True)
        sys.exit(1 if differences else 0)
    if not args.out:
        print(json.dumps(recorded, indent=1, sort_keys=True))
