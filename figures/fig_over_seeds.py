"""The headline comparisons over seeds: counter-current learning and HLOP, mean and 95% interval.

Each comparison is a ``bioplastic sweep`` of a shipped protocol (the same code as the
command), every seed a run folder; intervals are t-based over the seeds
(:mod:`bioplastic.sweeps.summary`), and every seed is drawn as a dot:

A. test accuracy per epoch of counter-current learning, feedback alignment and backprop on
   ``protocols/ccl_mnist.toml`` (784-256x5-10, 100 epochs), seeds 2023-2025 (2023 is the
   protocol's own, the run of ``fig_counter_current``); mean and band;
B. the test accuracy each run reports (the epoch of lowest validation loss), per seed;
C, D. ACC and BWT of HLOP, EWC, fine-tuning and multitask on ``protocols/hlop_pmnist_small.toml``
   (5 permuted-MNIST tasks, 784-200-200-10 spiking MLP), seeds 2022-2024.

Feedback alignment runs at lr 0.01, as in ``fig_counter_current`` (it diverges at lr 1).
Sweeps are cached in ``figures/cache/sweeps/`` (an interrupted sweep resumes at its first
unfinished point); ``--fresh`` reruns them. Writes ``figures/out/fig_over_seeds.png`` and
prints the headline numbers as mean +- half-width of the interval (n).

Usage::

    python figures/fig_over_seeds.py            # about 2 hours on 2 cores the first time
"""

from __future__ import annotations

import json
import pathlib

import numpy as np
from matplotlib.figure import Figure

from bioplastic.plotting import means_with_intervals, repeats_with_intervals
from bioplastic.sweeps import SweepPlan
from bioplastic.analysis.intervals import as_text

from _runs import cached_sweep, curve_band, swept_figure

HERE = pathlib.Path(__file__).resolve().parent
PROTOCOLS = HERE.parent / "protocols"
CCL_SEEDS = (2023, 2024, 2025)
HLOP_SEEDS = (2022, 2023, 2024)
CCL_RULES = {"counter_current": "CCL", "feedback_alignment": "FA", "backprop": "BP"}
HLOP_METHODS = {"hlop": "HLOP", "ewc": "EWC", "finetune": "fine-tuning", "multitask": "multitask"}
# (protocol, plan): feedback alignment has its own sweep for its learning rate
SWEEPS = {
    "ccl": [("ccl_mnist", SweepPlan(CCL_SEEDS, {"training.rule": ('"counter_current"', '"backprop"')})),
            ("ccl_mnist", SweepPlan(CCL_SEEDS, {"training.rule": ('"feedback_alignment"',),
                                                "training.learning_rate": ("0.01",)}))],
    "hlop": [("hlop_pmnist_small", SweepPlan(HLOP_SEEDS, {"continual.method": tuple(f'"{m}"' for m in HLOP_METHODS)}))],
}


def compute(fresh: bool, jobs: int = 1) -> dict:
    """Per comparison, per method: every seed's metrics and curves (plain lists)."""
    data = {}
    for comparison, sweeps in SWEEPS.items():
        key = "training.rule" if comparison == "ccl" else "continual.method"
        for protocol, plan in sweeps:
            sweep_dir = cached_sweep("fig_over_seeds", PROTOCOLS / f"{protocol}.toml", plan, fresh, jobs)
            for point in json.loads((sweep_dir / "sweep.json").read_text())["points"]:
                run_dir = pathlib.Path(point["run_dir"])
                method = json.loads(point["settings"][key])
                runs = data.setdefault(comparison, {}).setdefault(method, [])
                curves = np.load(run_dir / "curves.npz") if (run_dir / "curves.npz").is_file() else {}
                runs.append({"seed": point["seed"], "metrics": json.loads((run_dir / "metrics.json").read_text()),
                             "curves": {name: np.asarray(curves[name]).tolist() for name in getattr(curves, "files", [])}})
    return data


def draw(data: dict) -> Figure:
    fig = Figure(figsize=(16.0, 4.0), layout="constrained")
    ax_curve, ax_ccl, ax_acc, ax_bwt = fig.subplots(1, 4, width_ratios=(1.4, 1, 1.2, 1.1))
    ccl = data["ccl"]
    means_with_intervals({CCL_RULES[rule]: curve_band(ccl[rule], "test_accuracy") for rule in CCL_RULES}, ax=ax_curve,
                         xlabel="epoch (number)", ylabel="test accuracy (%)")
    ax_curve.set_ylim(88, 100)
    n = len(ccl["counter_current"])
    ax_curve.set_title(f"A. ccl_mnist, 784-256x5-10: mean, 95% interval (n = {n})")
    repeats_with_intervals({CCL_RULES[rule]: [run["metrics"]["selected_test_accuracy"] for run in ccl[rule]]
                            for rule in CCL_RULES}, ax=ax_ccl, ylabel="test accuracy at lowest validation loss (%)",
                           scale=100)
    ax_ccl.set_title("B. every seed, mean and 95% interval")
    hlop = data["hlop"]
    repeats_with_intervals({HLOP_METHODS[m]: [run["metrics"]["acc"] for run in hlop[m]] for m in HLOP_METHODS},
                           ax=ax_acc, ylabel="ACC, mean accuracy over tasks (%)", scale=100)
    ax_acc.set_title("C. hlop_pmnist_small: ACC after 5 tasks")
    with_bwt = [m for m in HLOP_METHODS if all(run["metrics"].get("bwt") is not None for run in hlop[m])]
    repeats_with_intervals({HLOP_METHODS[m]: [run["metrics"]["bwt"] for run in hlop[m]] for m in with_bwt},
                           ax=ax_bwt, ylabel="BWT, backward transfer (points)", scale=100)
    ax_bwt.axhline(0.0, color="grey", linewidth=0.8)
    ax_bwt.set_title("D. BWT (multitask has none)")
    return fig


def main(argv=None):
    path, data = swept_figure("fig_over_seeds", __doc__.split("\n")[0], compute, draw, argv)
    for rule, runs in data["ccl"].items():
        print(f"  ccl_mnist {CCL_RULES[rule]}: selected test accuracy "
              f"{as_text([run['metrics']['selected_test_accuracy'] for run in runs], 100)} %, last epoch "
              f"{as_text([run['metrics']['test_accuracy'] for run in runs], 100)} %")
    for method, runs in data["hlop"].items():
        bwt = [run["metrics"].get("bwt") for run in runs]
        print(f"  hlop_pmnist_small {HLOP_METHODS[method]}: ACC {as_text([run['metrics']['acc'] for run in runs], 100)}"
              + ("" if None in bwt else f", BWT {as_text(bwt, 100)}"))
    return path


if __name__ == "__main__":
    main()
