"""The figures of a theta protocol."""

from __future__ import annotations

from matplotlib.figure import Figure

from bioplastic.analysis.theta import smoothed_loss
from bioplastic.experiments.theta.summary import sorted_recurrent, stage_file
from bioplastic.plotting import save_figure
from bioplastic.plotting.names import readable_name
from bioplastic.plotting.style import bioplastic_style
from bioplastic.plotting.theta import autocorrelations, decoded_path, error_curves, loss_curves, ring_weights
from bioplastic.runs.folder import read_npz


def draw_theta_plots(run_dir, experiment, metrics: dict) -> list:
    """Draw the plots of a theta protocol from the run folder's stage files (first repeat).

    ``theta_losses``: each layer's mismatch smoothed over ``smoothing_s``;
    ``theta_autocorrelation``: generated activity and latents; ``theta_decoding``: one
    test episode; ``theta_ring_weights``: the recurrent weights sorted by place-field peak
    with their mean profile; ``theta_path_integration``: error curves of every model.

    Parameters
    ----------
    run_dir : pathlib.Path
        The run folder: holds ``train_seed<seed>.npz`` and ``test_seed<seed>.npz`` (``transfer_seed<seed>.npz``
        where there is a transfer) of the first repeat; each plot goes to ``run_dir/NAME.png``.
    experiment : ThetaExperiment
        The built theta protocol (from :func:`~bioplastic.experiments.theta.build.build_theta`).
    metrics : dict
        The run's metrics; ``metrics["ring_correlation"]`` is shown in the title of ``theta_ring_weights``.

    Returns
    -------
    list of pathlib.Path
        The written paths.

    Example
    -------
    Stage files of a latents protocol written by hand (a loss falling over 2 minutes of
    25-ms steps; two autocorrelation curves):

    >>> import pathlib, tempfile
    >>> import numpy as np
    >>> from bioplastic import runs
    >>> from bioplastic.experiments.theta.schema import ThetaProtocol
    >>> from bioplastic.experiments.theta.build import build_theta
    >>> experiment = build_theta(ThetaProtocol(name="latents", theta={
    ...     "latents": {"n_features": 2}, "layers": {"ec": {"size": 2}},
    ...     "connections": {"c": {"pre": "features", "post": "ec"}}},
    ...     plots={"losses": {"type": "theta_losses"}, "autocorrelation": {"type": "theta_autocorrelation"}}), "l.toml")
    >>> run_dir, lags = pathlib.Path(tempfile.mkdtemp()), np.arange(41)
    >>> runs.write_npz(run_dir / "train_seed0.npz", {"mismatch/ec": np.linspace(0.4, 0.1, 4800)})
    >>> runs.write_npz(run_dir / "test_seed0.npz", {"generated_autocorrelation": np.exp(-lags / 8.0),
    ...                                                "latent_autocorrelation": np.exp(-lags / 16.0)})
    >>> sorted(path.name for path in draw_theta_plots(run_dir, experiment, metrics={}))
    ['autocorrelation.png', 'losses.png']
    """

    spec = experiment.spec
    seed = experiment.protocol.seed
    trained = read_npz(run_dir / stage_file("train", seed))
    tested = read_npz(run_dir / stage_file("test", seed))
    removal_s = spec.test.spin_up_s
    written = []
    with bioplastic_style():
        for name, plot in experiment.protocol.plots.items():
            fig = Figure(figsize=(6.4, 4.0), layout="constrained")
            if plot.type == "theta_losses":
                losses = {key.split("/", 1)[1]: smoothed_loss(values, spec.dt_ms, spec.smoothing_s)
                          for key, values in trained.items() if key.startswith("mismatch/")}
                loss_curves(losses, spec.dt_ms, ax=fig.add_subplot())
            elif plot.type == "theta_autocorrelation":
                autocorrelations(tested["generated_autocorrelation"], tested["latent_autocorrelation"], spec.dt_ms,
                                 ax=fig.add_subplot())
            elif plot.type == "theta_decoding":
                decoded_path(tested["decoded_m"], tested["true_m"], spec.dt_ms, removal_s, ax=fig.add_subplot())
            elif plot.type == "theta_ring_weights":
                fig = Figure(figsize=(9.6, 4.0), layout="constrained")
                matrix_ax, profile_ax = fig.subplots(1, 2)
                ring_weights(sorted_recurrent(experiment, trained), ax=matrix_ax, profile_ax=profile_ax,
                             title=f"{readable_name(spec.test.recurrent)} weights, sorted "
                                   f"(ring correlation {metrics['ring_correlation']:.2f})")
            else:
                curves = {"trained": tested["trained_errors"], "untrained": tested["untrained_errors"]}
                transfer = run_dir / stage_file("transfer", seed)
                if transfer.exists():
                    curves["transferred"] = read_npz(transfer)["transferred_errors"]
                error_curves(curves, spec.dt_ms, removal_s, ax=fig.add_subplot())
            fig.suptitle(plot.title or readable_name(name))
            written.append(save_figure(fig, run_dir / f"{name}.png"))
    return written
