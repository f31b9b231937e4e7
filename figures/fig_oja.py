"""Oja's rule: one linear unit's weight vector turns to the first principal component of its input.

The run is ``protocols/oja_pca.toml`` (``bioplastic.run_protocol``, as ``bioplastic run``): a
linear rate unit reads two linear input units that show a fresh draw from N(0, C),
``C = [[3, 1.5], [1.5, 1.5]]``, for every 50 ms, through a projection learning by Oja's
(1982) rule ``dw/dt = eta y (x - y w)``.

A. ``|cos|`` between ``w`` and ``e1``, the unit eigenvector of ``C``'s largest eigenvalue
   (recorded weights every 150 ms); dotted: 0.99.
B. ``|w|`` over time; dotted: 1, Oja's fixed point, and dashed: ``sqrt(1 - 1/50)``, where it
   settles in this network: a projection takes one step, so at the first of a draw's 50 steps
   the output still answers the previous draw and the step adds only the decay ``-eta y^2 w``
   (the protocol's header has the arithmetic).
C. The inputs shown (one point per draw), the line through ``+-e1`` scaled by the standard
   deviation along it, the path of ``w`` and its final value (the arrow).
D. The same path of ``w`` at the scale of the unit circle (dot: the first recorded ``w``).

The run is cached (``figures/cache/runs/``); ``--fresh`` reruns, ``--toy`` runs a few seconds'
version that only checks the figure draws. Writes ``figures/out/fig_oja.png`` and prints the
final cosine, ``|w|`` and the angle of ``w`` and of ``e1``.

Usage::

    python figures/fig_oja.py          # about 10 s on 2 cores the first time
"""

from __future__ import annotations

import pathlib

import numpy as np
from matplotlib.figure import Figure

from bioplastic.experiments import load_protocol
from bioplastic.runs import read_npz

from _runs import protocol_figure

HERE = pathlib.Path(__file__).resolve().parent
PROTOCOL = HERE.parent / "protocols" / "oja_pca.toml"
TOY = ["simulation.duration_ms=4500", "simulation.chunk_ms=1500"]


def load(run_dir: pathlib.Path) -> dict:
    """Weights over time, the inputs shown and the covariance's principal axis (time in s)."""
    protocol, _ = load_protocol(run_dir / "protocol.toml")
    dt = protocol.simulation.dt_ms
    source = protocol.inputs["draws"]
    covariance = np.asarray(source.covariance) * source.current ** 2
    values, vectors = np.linalg.eigh(covariance)
    recordings = read_npz(run_dir / "recordings.npz")
    weights = recordings["weights"][:, :, 0]                               # (rows, n_inputs): one output unit
    stride = protocol.recordings["weights"].stride
    presentation = round(source.presentation_ms / dt)
    return {
        "weights": weights, "times_s": (np.arange(len(weights)) + 1) * stride * dt / 1000.0,
        "shown": recordings["shown"], "e1": vectors[:, -1], "eigenvalues": values[::-1],
        "presentation_steps": presentation,
    }


def draw(data: dict) -> Figure:
    weights, times, e1 = data["weights"], data["times_s"], data["e1"]
    norms = np.linalg.norm(weights, axis=1)
    cosines = np.abs(weights @ e1) / np.where(norms > 0, norms, 1.0)
    fig = Figure(figsize=(15.0, 3.8), layout="constrained")
    a, b, c, d = fig.subplots(1, 4, width_ratios=(1.0, 1.0, 1.2, 0.9))

    a.plot(times, cosines)
    a.axhline(0.99, color="k", linestyle=":", linewidth=0.8)
    a.set(xlabel="time (s)", ylabel="|cos(w, e1)| (unitless)", ylim=(0, 1.02), title="A. alignment with PC1")

    b.plot(times, norms)
    b.axhline(1.0, color="k", linestyle=":", linewidth=0.8, label="1 (Oja's fixed point)")
    lagged = np.sqrt(1 - 1 / data["presentation_steps"])
    b.axhline(lagged, color="C3", linestyle="--", linewidth=0.8,
              label=f"sqrt(1 - 1/{data['presentation_steps']}) (one-step lag)")
    b.set(xlabel="time (s)", ylabel="|w| (unitless)", ylim=(0, 1.1), title="B. weight norm")
    b.legend(loc="lower right")

    shown = data["shown"]
    c.plot(shown[:, 0], shown[:, 1], ".", color="0.7", markersize=1.5, label="inputs (one per draw)")
    reach = 3 * np.sqrt(data["eigenvalues"][0])
    c.plot([-reach * e1[0], reach * e1[0]], [-reach * e1[1], reach * e1[1]], color="k", linewidth=0.8,
           label="PC1 (+-3 sd)")
    c.plot(weights[:, 0], weights[:, 1], color="C0", linewidth=0.8, label="w over time")
    c.annotate("", xy=tuple(weights[-1]), xytext=(0.0, 0.0), arrowprops={"arrowstyle": "->", "color": "C3", "lw": 1.5})
    c.plot([], [], color="C3", label="final w")
    c.set(xlabel="input x_0 (unitless)", ylabel="input x_1 (unitless)", aspect="equal", title="C. inputs, PC1 and w")
    c.legend(loc="upper left", fontsize=7)

    angle = np.linspace(0, 2 * np.pi, 200)
    d.plot(np.cos(angle), np.sin(angle), color="0.8", linewidth=0.8, label="|w| = 1")
    d.plot([-1.2 * e1[0], 1.2 * e1[0]], [-1.2 * e1[1], 1.2 * e1[1]], color="k", linewidth=0.8, label="PC1")
    d.plot(weights[:, 0], weights[:, 1], color="C0", linewidth=0.8, label="w over time")
    d.plot(weights[:1, 0], weights[:1, 1], "o", color="C0", markersize=3)
    d.annotate("", xy=tuple(weights[-1]), xytext=(0.0, 0.0), arrowprops={"arrowstyle": "->", "color": "C3", "lw": 1.5})
    d.set(xlabel="weight w_0 (unitless)", ylabel="weight w_1 (unitless)", aspect="equal",
          xlim=(-1.25, 1.25), ylim=(-1.25, 1.25),
          title="D. w (zoom): path and final w")
    d.legend(loc="upper left", fontsize=7)
    return fig


def summary(data: dict) -> list:
    weights, e1 = data["weights"], data["e1"]
    norms = np.linalg.norm(weights, axis=1)
    cosines = np.abs(weights @ e1) / norms
    half = len(weights) // 2
    sample = np.linalg.eigh(np.cov(data["shown"].T))[1][:, -1]
    above = np.flatnonzero(cosines > 0.99)
    first = f"{data['times_s'][above[0]]:g} s" if len(above) else "never"
    return [
        f"final |cos(w, e1)| = {cosines[-1]:.4f} (second half: min {cosines[half:].min():.4f}, mean "
        f"{cosines[half:].mean():.4f}); first above 0.99 at {first}",
        f"final |w| = {norms[-1]:.4f} (second half mean {norms[half:].mean():.4f}); with the one-step lag "
        f"sqrt(1 - 1/{data['presentation_steps']}) = {np.sqrt(1 - 1 / data['presentation_steps']):.4f}",
        f"final w = {np.round(weights[-1], 4).tolist()}, e1 = {np.round(e1, 4).tolist()} "
        f"(eigenvalues {np.round(data['eigenvalues'], 3).tolist()}); |cos(e1, PC1 of the inputs shown)| = "
        f"{abs(float(sample @ e1)):.4f}",
    ]


def main(argv=None):
    return protocol_figure("fig_oja", __doc__.split("\n")[0], PROTOCOL, load, draw, summary, TOY, argv)


if __name__ == "__main__":
    main()
