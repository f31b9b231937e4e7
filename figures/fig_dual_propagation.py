"""Dual propagation figure: accuracy per epoch (DP, its Kolen-Pollack variant, BP, EP two ways), time per step, cosine to backprop vs gamma.

Four panels, all on one network, one dataset and one optimizer; every seed starts the five
rules from the same weights and feeds them the same batches (default: MNIST, 784-256-256-10
hard-sigmoid MLP -- a bounded activation so that EP settles -- Adam 1e-3, batch 100, 5
epochs, gamma 1):

* dual propagation, and its Kolen-Pollack variant (feedback weights of their own, started
  at ``W^T`` and learned with the transposed local update at the same rate, 1e-3; no
  weight transport after the start);
* backprop;
* equilibrium propagation with beta 0.1, every phase settled until no unit moves by more
  than 1e-4 in a sweep (at most 200 free and 100 nudged sweeps), with the one-sided
  estimate and with the symmetric one (nudged at +beta and -beta, Laborieux et al. 2021).
  The output unit is linear, so the phase at -beta sets it to ``(drive - beta y) / (1 -
  beta)``: at beta 0.5 that doubles the drive and moves away from the target, and the
  symmetric estimate did not learn (19% after 3 epochs, seed 0); at beta 0.1 both learn.

A. test accuracy per epoch: the mean over seeds (default 0, 1, 2) with its t-based 95%
   interval as a band;
B. the last epoch's test accuracy of every seed, with the mean and its 95% interval;
C. seconds per training step on that network and batch (mean over seeds);
D. cosine between the DP update and the backprop gradient, per layer, against gamma
   (first seed, initial weights): gamma at the output only (hidden gains 1, solid) and
   gamma at every layer, as the authors' code sets it (dashed).

Each seed's results are cached in ``figures/cache/`` (keyed by the settings and the seed),
so re-plotting is instant and an interrupted call resumes at the next seed; ``--fresh``
recomputes. Writes ``figures/out/fig_dual_propagation.png`` and prints the headline as
mean +- half-width of the interval (n).

Usage::

    python figures/fig_dual_propagation.py [--dataset mnist] [--epochs 5] [--seeds 0,1,2] [--fresh]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pathlib
import sys

import jax
import jax.numpy as jnp
import numpy as np
import optax
from matplotlib.figure import Figure

from bioplastic.analysis.intervals import as_text, mean_interval
from bioplastic.data.registry import load
from bioplastic.plotting import means_with_intervals, repeats_with_intervals, save_figure
from bioplastic.plotting.style import OTHER_COLORS, bioplastic_style
from bioplastic.runs import write_json
from bioplastic.rules.backprop import backprop
from bioplastic.rules.dual_propagation import dual_propagation
from bioplastic.rules.equilibrium_propagation import equilibrium_propagation, predict, settle_until
from bioplastic.layers.mlp import forward
from bioplastic.layers.mlp import init_layers
from bioplastic.train.batches import fit

HERE = pathlib.Path(__file__).resolve().parent
GAMMAS = (1e-3, 0.1, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 1.9)


EP_NAMES = ("EP one-sided", "EP symmetric")


def rules(settings):
    activation = settings["activation"]
    ep = dict(hidden_activation=activation, beta=settings["ep_beta"], free_steps=settings["ep_free"],
              nudged_steps=settings["ep_nudged"], tolerance=settings["ep_tolerance"])
    return {
        "DP": dual_propagation(gamma=settings["gamma"], hidden_activation=activation),
        "DP Kolen-Pollack": dual_propagation(gamma=settings["gamma"], hidden_activation=activation,
                                             kolen_pollack=True, feedback_learning_rate=settings["learning_rate"]),
        "backprop": backprop(hidden_activation=activation),
        "EP one-sided": equilibrium_propagation(estimate="one_sided", **ep),
        "EP symmetric": equilibrium_propagation(estimate="symmetric", **ep),
    }


def compute(settings) -> dict:
    """Train the three rules and measure cosines; returns plain lists (JSON)."""
    dataset = load(settings["dataset"])
    train = (dataset.train_images[: settings["train_examples"]], dataset.train_labels[: settings["train_examples"]])
    test = (dataset.test_images, dataset.test_labels)
    layers = init_layers(jax.random.PRNGKey(settings["seed"]), tuple(settings["sizes"]))
    out = {"accuracy": {}, "step_seconds": {}, "free_sweeps": {}}
    probe = jnp.asarray(test[0][:100].reshape(100, -1), jnp.float32) / 255.0
    for name, rule in rules(settings).items():
        print(f"training with {name} ...", file=sys.stderr, flush=True)
        prediction = None
        if name in EP_NAMES:
            prediction = lambda l, x: predict(l, x, settings["activation"], settings["ep_free"],  # noqa: E731
                                              settings["ep_tolerance"])
        history = fit(rule, layers, optax.adam(settings["learning_rate"]), train, test, epochs=settings["epochs"],
                      batch_size=100, key=jax.random.PRNGKey(settings["seed"] + 1),
                      hidden_activation=settings["activation"], predict=prediction,
                      on_epoch=lambda e, a: print(f"  epoch {e}: {a:.4f}", file=sys.stderr, flush=True))
        out["accuracy"][name] = history.test_accuracy
        out["step_seconds"][name] = history.step_seconds
        if name in EP_NAMES:  # sweeps the trained network's free phase takes to the tolerance
            start = forward(history.layers, probe, settings["activation"])
            _, sweeps = settle_until(history.layers, start, jnp.zeros_like(start[-1]), 0.0, settings["ep_free"],
                                     settings["ep_tolerance"], settings["activation"])
            out["free_sweeps"][name] = int(sweeps)
    x = jnp.asarray(train[0][:100].reshape(100, -1), jnp.float32) / 255.0
    y = jax.nn.one_hot(train[1][:100], dataset.n_classes)
    gradient, _ = backprop(hidden_activation=settings["activation"]).update((), layers, batch=(x, y))
    out["cosine"] = {"output": [], "every layer": []}
    for gamma in GAMMAS:
        for where, strengths in (("output", (1.0,) * (len(layers) - 1) + (gamma,)), ("every layer", gamma)):
            delta, _ = dual_propagation(gamma=strengths, hidden_activation=settings["activation"]).update(
                (), layers, batch=(x, y))
            out["cosine"][where].append([
                float(jnp.vdot(d.weights, g.weights) / (jnp.linalg.norm(d.weights) * jnp.linalg.norm(g.weights)))
                for d, g in zip(delta, gradient)])
    return out


def draw(settings, runs: list) -> Figure:
    """The four panels from every seed's :func:`compute` output (``runs``, the first seed first)."""
    fig = Figure(figsize=(18.0, 4.0), layout="constrained")
    ax_acc, ax_last, ax_time, ax_cos = fig.subplots(1, 4, width_ratios=(1.3, 1, 1, 1.1))
    names = list(runs[0]["accuracy"])
    bands = {}
    for name in names:
        columns = [mean_interval([run["accuracy"][name][k] * 100 for run in runs])
                   for k in range(settings["epochs"])]
        bands[name] = (list(range(1, settings["epochs"] + 1)), [c["mean"] for c in columns],
                       [c["ci_low"] for c in columns], [c["ci_high"] for c in columns])
    means_with_intervals(bands, ax=ax_acc, xlabel="epoch (number)", ylabel="test accuracy (%)")
    ax_acc.xaxis.get_major_locator().set_params(integer=True)
    ax_acc.set_title(f"A. {settings['dataset']}, {'-'.join(map(str, settings['sizes']))}: mean, 95% interval")
    repeats_with_intervals({name.replace(" ", "\n", 1): [run["accuracy"][name][-1] for run in runs] for name in names},
                           ax=ax_last, ylabel="last-epoch test accuracy (%)", scale=100)
    ax_last.set_title("B. every seed, mean and 95% interval")
    ax_time.bar(range(len(names)), [np.mean([run["step_seconds"][n] for run in runs]) * 1e3 for n in names],
                color=OTHER_COLORS[:len(names)])
    ax_time.set_xticks(range(len(names)), [n.replace(" ", "\n") for n in names])
    ax_time.set_ylabel("time per training step (ms)")
    ax_time.set_title("C. time per step (batch 100)")
    for where, style in (("output", "-o"), ("every layer", "--")):
        cosine = np.asarray(runs[0]["cosine"][where])
        for layer in range(cosine.shape[1]):
            ax_cos.plot(GAMMAS, cosine[:, layer], style, color=f"C{layer}", markersize=3,
                        label=f"layer {layer + 1}" if where == "output" else None)
    ax_cos.set_xlabel("gamma (nudging strength, unitless)")
    ax_cos.set_ylabel("cosine(DP update, -BP gradient) (unitless)")
    ax_cos.legend(title="solid: output gamma\ndashed: every layer", fontsize="small")
    ax_cos.set_title("D. DP matches BP as gamma -> 0")
    return fig


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", default="mnist")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--train-examples", type=int, default=60000)
    parser.add_argument("--sizes", default="784,256,256,10")
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated seeds (default 0,1,2)")
    parser.add_argument("--fresh", action="store_true", help="recompute instead of using the cache")
    args = parser.parse_args(argv)
    settings = dict(dataset=args.dataset, epochs=args.epochs, train_examples=args.train_examples,
                    sizes=[int(s) for s in args.sizes.split(",")], activation="hard_sigmoid", gamma=1.0,
                    learning_rate=1e-3, ep_beta=0.1, ep_free=200, ep_nudged=100, ep_tolerance=1e-4)
    runs = []
    for seed in (int(text) for text in args.seeds.split(",")):
        chosen = {**settings, "seed": seed}
        key = hashlib.sha256(json.dumps(chosen, sort_keys=True).encode()).hexdigest()[:12]
        cache = HERE / "cache" / f"fig_dual_propagation-{key}.json"
        if cache.exists() and not args.fresh:
            runs.append(json.loads(cache.read_text()))
            continue
        print(f"seed {seed}:", file=sys.stderr, flush=True)
        runs.append({"settings": chosen, **compute(chosen)})
        cache.parent.mkdir(parents=True, exist_ok=True)
        write_json(cache, runs[-1])
    with bioplastic_style():
        path = save_figure(draw(settings, runs), HERE / "out" / "fig_dual_propagation.png")
    print(f"wrote {path}")
    for name in runs[0]["accuracy"]:
        print(f"  {name}: last-epoch test accuracy {as_text([run['accuracy'][name][-1] for run in runs], 100)} %, "
              f"{np.mean([run['step_seconds'][name] for run in runs]) * 1e3:.1f} ms/step"
              + (f", free phase settles in {[run['free_sweeps'][name] for run in runs]} sweeps"
                 if name in EP_NAMES else ""))
    return path


if __name__ == "__main__":
    main()
