"""Plotting: the drawn artists hold exactly the data, the rate and ISI helpers match closed forms."""

import ast
import os
import pathlib
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import jax.numpy as jnp  # noqa: E402
import matplotlib.colors as mcolors  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from bioplastic._checks import BadInput  # noqa: E402
from bioplastic.plotting import (  # noqa: E402
    COLORS,
    STYLE,
    bioplastic_style,
    interspike_intervals_ms,
    isi_histogram,
    learning_curves,
    new_axes,
    population_color,
    population_kind,
    population_rate,
    population_rate_hz,
    save_figure,
    spike_raster,
    spike_raster_populations,
    voltage_traces,
    weight_matrix,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PLOTTING_DIR = pathlib.Path(__file__).resolve().parents[1] / "bioplastic" / "plotting"


def regular_train(n_steps, n_neurons, period_steps, phases=None):
    """Each neuron spikes every ``period_steps`` steps, neuron i first at step ``phases[i]``."""
    spikes = np.zeros((n_steps, n_neurons))
    phases = np.arange(n_neurons) * 37 % period_steps if phases is None else phases
    for neuron, phase in enumerate(phases):
        spikes[phase::period_steps, neuron] = 1.0
    return spikes


def random_spikes(shape, p=0.05, seed=0):
    return (np.random.default_rng(seed).random(shape) < p).astype(float)


# ----------------------------------------------------------------------------- raster


def test_raster_dots_are_exactly_the_spikes_at_step_end_times():
    spikes = random_spikes((300, 12))
    dt, t0 = 0.25, 10.0
    ax = spike_raster(spikes, dt_ms=dt, t0_ms=t0)
    steps, neurons = np.nonzero(spikes)
    expected = np.column_stack([t0 + (steps + 1) * dt, neurons])
    offsets = np.asarray(ax.collections[0].get_offsets())
    assert len(offsets) == spikes.sum() > 0
    np.testing.assert_array_equal(offsets, expected)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("time (ms)", "neuron (index)")


def test_raster_flattens_population_axes_in_c_order_and_accepts_jax_and_bool():
    spikes = np.zeros((5, 2, 3), dtype=bool)
    spikes[1, 1, 2] = spikes[4, 0, 1] = True
    ax = spike_raster(jnp.asarray(spikes), dt_ms=1.0)
    assert np.asarray(ax.collections[0].get_offsets()).tolist() == [[2.0, 5.0], [5.0, 1.0]]


def test_raster_neuron_subset_keeps_indices_and_empty_raster_spans_the_recording():
    spikes = np.eye(6)
    ax = spike_raster(spikes, dt_ms=2.0, neurons=[4, 1])
    assert sorted(map(tuple, np.asarray(ax.collections[0].get_offsets()).tolist())) == [(4.0, 1.0), (10.0, 4.0)]

    ax = spike_raster(np.zeros((100, 3)), dt_ms=0.5, t0_ms=20.0)
    assert len(ax.collections[0].get_offsets()) == 0
    x_lo, x_hi = ax.get_xlim()
    assert x_lo <= 20.0 and x_hi >= 70.0


def test_raster_color_and_label():
    ax = spike_raster(np.eye(3), dt_ms=1.0, color="tab:green", label="E")
    collection = ax.collections[0]
    assert mcolors.same_color(collection.get_facecolor()[0], "tab:green")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["E"]


def test_populations_stack_in_order_with_kind_colours_and_a_legend():
    e = random_spikes((200, 8), seed=1)
    i = random_spikes((200, 3), seed=2)
    ax = spike_raster_populations([("E", e), ("I", i)], dt_ms=0.1)
    e_dots, i_dots = (np.asarray(c.get_offsets()) for c in ax.collections)
    steps, neurons = np.nonzero(e)
    np.testing.assert_array_equal(e_dots, np.column_stack([(steps + 1) * 0.1, neurons]))
    steps, neurons = np.nonzero(i)
    np.testing.assert_array_equal(i_dots, np.column_stack([(steps + 1) * 0.1, neurons + 8]))
    assert mcolors.same_color(ax.collections[0].get_facecolor()[0], COLORS["excitatory"])
    assert mcolors.same_color(ax.collections[1].get_facecolor()[0], COLORS["inhibitory"])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["E", "I"]


def test_populations_other_kinds_get_distinct_colours_and_explicit_colours_win():
    spikes = np.eye(4)
    ax = spike_raster_populations({"input": spikes, "hidden": spikes, "E": spikes}, dt_ms=1.0, colors={"E": "k"})
    colours = [c.get_facecolor()[0] for c in ax.collections]
    assert not mcolors.same_color(colours[0], colours[1])
    assert mcolors.same_color(colours[2], "k")


# ----------------------------------------------------------------------------- traces


def test_traces_one_line_per_neuron_with_strided_times_and_exact_values():
    values = np.random.default_rng(3).normal(-60.0, 5.0, size=(50, 4))
    ax = voltage_traces(values, dt_ms=0.1, stride=10, t0_ms=5.0)
    assert len(ax.lines) == 4
    expected_t = 5.0 + (np.arange(50) + 1) * 10 * 0.1
    for index, line in enumerate(ax.lines):
        np.testing.assert_allclose(line.get_xdata(), expected_t, rtol=0, atol=1e-12)
        np.testing.assert_array_equal(line.get_ydata(), values[:, index])
        assert line.get_label() == f"neuron {index}"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("time (ms)", "v (mV)")


def test_traces_subset_in_given_order_and_rate_label():
    values = np.arange(30.0).reshape(10, 3)
    ax = voltage_traces(values, dt_ms=1.0, neurons=[2, 0], ylabel="rate (Hz)", legend=True)
    assert [line.get_label() for line in ax.lines] == ["neuron 2", "neuron 0"]
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), values[:, 2])
    assert ax.get_ylabel() == "rate (Hz)"
    assert ax.get_legend() is not None


# ----------------------------------------------------------------------------- population rate


def test_rate_of_regular_50hz_train_is_exactly_50hz_wherever_the_window_is_whole():
    dt, period = 0.1, 200  # 20 ms period: 50 Hz
    spikes = regular_train(5000, 7, period)
    for window_ms in (20.0, 40.0):
        t, rate = population_rate_hz(spikes, dt, window_ms=window_ms)
        half = int(window_ms / dt) // 2
        np.testing.assert_allclose(rate[half:-half], 50.0, rtol=1e-12)
    t, rate = population_rate_hz(spikes, dt, window_ms=5.0)
    assert rate.mean() == pytest.approx(50.0, rel=0.01)
    np.testing.assert_allclose(t, (np.arange(5000) + 1) * dt, rtol=0, atol=1e-9)


def test_rate_with_one_step_window_integrates_back_to_the_spike_count():
    spikes = random_spikes((1000, 20), p=0.02, seed=4)
    dt = 0.1
    _, rate = population_rate_hz(spikes, dt, window_ms=dt)
    assert rate.sum() * dt / 1000.0 * 20 == pytest.approx(spikes.sum(), rel=1e-12)
    np.testing.assert_allclose(rate, spikes.mean(axis=1) * 1000.0 / dt, rtol=1e-12)


def test_rate_window_is_centred_and_cut_at_the_ends():
    spikes = np.zeros((7, 1))
    spikes[3, 0] = 1.0  # one spike; window of 3 steps of 1 ms
    t, rate = population_rate_hz(spikes, dt_ms=1.0, window_ms=3.0, t0_ms=100.0)
    np.testing.assert_allclose(rate, [0, 0, 1000 / 3, 1000 / 3, 1000 / 3, 0, 0], rtol=1e-12)
    np.testing.assert_array_equal(t, 100.0 + np.arange(1, 8))
    spikes = np.ones((4, 2))  # cut windows at the ends still read the true rate
    _, rate = population_rate_hz(spikes, dt_ms=1.0, window_ms=3.0)
    np.testing.assert_allclose(rate, 1000.0)


def test_population_rate_draws_the_computed_rate():
    spikes = regular_train(2000, 5, 200)
    ax = population_rate(spikes, dt_ms=0.1, window_ms=10.0, label="E")
    t, rate = population_rate_hz(spikes, 0.1, 10.0)
    np.testing.assert_array_equal(ax.lines[-1].get_xdata(), t)
    np.testing.assert_array_equal(ax.lines[-1].get_ydata(), rate)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("time (ms)", "population rate (Hz, boxcar 10 ms)")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["E"]


# ----------------------------------------------------------------------------- ISI


def test_isis_of_a_20ms_periodic_train_are_all_20ms():
    spikes = regular_train(4000, 6, 200)  # dt 0.1 ms: period 20 ms
    intervals = interspike_intervals_ms(spikes, dt_ms=0.1)
    assert intervals.size == int(spikes.sum()) - 6
    np.testing.assert_allclose(intervals, 20.0, rtol=1e-12)


def test_isis_never_span_two_neurons_and_come_neuron_by_neuron():
    spikes = np.zeros((12, 3))
    spikes[[0, 5, 11], 0] = 1.0
    spikes[[2], 1] = 1.0  # one spike: no interval
    spikes[[1, 3], 2] = 1.0
    assert interspike_intervals_ms(spikes, dt_ms=2.0).tolist() == [10.0, 12.0, 4.0]


def test_isi_histogram_counts_every_interval_in_the_right_bin():
    spikes = regular_train(4000, 6, 200)
    ax = isi_histogram(spikes, dt_ms=0.1, bins=np.arange(0.0, 41.0, 5.0))
    heights = [bar.get_height() for bar in ax.patches]
    assert sum(heights) == spikes.sum() - 6
    assert heights[4] == sum(heights)  # the [20, 25) bin
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("inter-spike interval (ms)", "intervals (count)")
    ax = isi_histogram(np.zeros((10, 2)), dt_ms=1.0, bins=5)
    assert sum(bar.get_height() for bar in ax.patches) == 0
    assert [text.get_text() for text in ax.texts] == ["no neuron spiked twice"]


# ----------------------------------------------------------------------------- weights


def test_weight_matrix_symmetric_limits_image_data_and_colourbar():
    weights = np.array([[0.2, -0.5, 1.5], [0.0, 0.7, -0.1]])
    ax = weight_matrix(weights)
    image = ax.images[0]
    assert image.get_clim() == (-1.5, 1.5)
    np.testing.assert_array_equal(image.get_array(), weights)
    assert image.get_cmap().name == "RdBu_r"
    assert len(ax.figure.axes) == 2  # the colour bar
    assert ax.figure.axes[1].get_ylabel() == "weight (model units)"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("postsynaptic neuron (index)", "presynaptic neuron (index)")
    assert weight_matrix(weights, symmetric=False, cmap="viridis").images[0].get_clim() == (-0.5, 1.5)
    assert weight_matrix(np.zeros((2, 2))).images[0].get_clim() == (-1.0, 1.0)
    assert len(weight_matrix(weights, colorbar=False).figure.axes) == 1


# ----------------------------------------------------------------------------- learning curves


def test_learning_curves_one_line_per_curve_with_its_data_and_legend():
    curves = {"dual propagation": [0.5, 0.8, 0.9, 0.95], "backprop": ([0, 5, 10], np.array([0.1, 0.9, 0.97]))}
    ax = learning_curves(curves)
    assert [line.get_label() for line in ax.lines] == ["dual propagation", "backprop"]
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), [1, 2, 3, 4])
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), [0.5, 0.8, 0.9, 0.95])
    np.testing.assert_array_equal(ax.lines[1].get_xdata(), [0, 5, 10])
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), [0.1, 0.9, 0.97])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["dual propagation", "backprop"]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("epoch", "accuracy")
    ax = learning_curves({"short": [1.0, 2.0]}, xlabel="step", ylabel="loss", legend=False)
    assert ax.lines[0].get_ydata().tolist() == [1.0, 2.0]  # two values, not an (x, y) pair
    assert ax.get_legend() is None and ax.get_xlabel() == "step"


# ----------------------------------------------------------------------------- saving


def test_save_figure_writes_a_png_atomically_and_creates_folders(tmp_path):
    fig, ax = new_axes(figsize=(2.0, 1.5))
    spike_raster(np.eye(5), dt_ms=1.0, ax=ax)
    target = tmp_path / "a" / "b" / "raster.png"
    result = save_figure(fig, target)
    assert result == target
    assert target.read_bytes()[:8] == PNG_SIGNATURE
    assert os.listdir(target.parent) == ["raster.png"]
    before = target.read_bytes()
    save_figure(ax, str(target), dpi=50)  # an Axes saves its figure; replaces the file
    assert os.listdir(target.parent) == ["raster.png"]
    assert target.read_bytes()[:8] == PNG_SIGNATURE and target.read_bytes() != before


def test_save_figure_failure_leaves_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "fig.png"
    target.write_bytes(b"old")
    fig, _ = new_axes()

    def broken_savefig(stream, **kwargs):
        stream.write(b"partial")
        raise RuntimeError("disk full")

    fig.savefig = broken_savefig
    with pytest.raises(RuntimeError, match="disk full"):
        save_figure(fig, target)
    assert os.listdir(tmp_path) == ["fig.png"]
    assert target.read_bytes() == b"old"


# ----------------------------------------------------------------------------- given Axes


@pytest.mark.parametrize(
    "draw",
    [
        lambda ax: spike_raster(np.eye(4), 1.0, ax=ax),
        lambda ax: spike_raster_populations({"E": np.eye(4)}, 1.0, ax=ax),
        lambda ax: voltage_traces(np.ones((4, 2)), 1.0, ax=ax),
        lambda ax: population_rate(np.eye(4), 1.0, ax=ax),
        lambda ax: isi_histogram(np.ones((4, 2)), 1.0, ax=ax),
        lambda ax: weight_matrix(np.eye(3), ax=ax),
        lambda ax: learning_curves({"a": [1.0, 2.0]}, ax=ax),
    ],
    ids=["raster", "populations", "traces", "rate", "isi", "weights", "curves"],
)
def test_each_function_draws_on_the_given_axes_and_returns_it(draw):
    fig = Figure()
    left, right = fig.subplots(1, 2)
    assert draw(right) is right
    assert right.has_data() and not left.has_data()


def test_new_axes_and_drawing_use_no_pyplot_figure_and_leave_rcparams_alone():
    import matplotlib.pyplot as plt

    plt.close("all")
    before = dict(matplotlib.rcParams)
    fig, ax = new_axes()
    spike_raster(np.eye(3), 1.0, ax=ax)
    weight_matrix(np.eye(3))
    assert plt.get_fignums() == []
    assert isinstance(fig, Figure) and ax.figure is fig
    assert tuple(fig.get_size_inches()) == STYLE["figure.figsize"]
    assert not ax.spines["top"].get_visible() and not ax.spines["right"].get_visible()
    assert dict(matplotlib.rcParams) == before
    assert new_axes(ax) == (fig, ax)


def test_bioplastic_style_applies_and_restores_rcparams():
    before = matplotlib.rcParams["font.size"]
    with bioplastic_style():
        assert matplotlib.rcParams["font.size"] == STYLE["font.size"]
        assert matplotlib.rcParams["axes.spines.right"] is False
    assert matplotlib.rcParams["font.size"] == before


def test_population_kinds_and_colours():
    assert [population_kind(n) for n in ("E", "e2", "exc", "Excitatory", "E_fast")] == ["excitatory"] * 5
    assert [population_kind(n) for n in ("I", "i_1", "inh", "inhibitory")] == ["inhibitory"] * 4
    assert [population_kind(n) for n in ("input", "hidden", "ex", "out")] == ["other"] * 4
    assert population_color("E") == COLORS["excitatory"] and population_color("I") == COLORS["inhibitory"]
    assert population_color("input", 0) == COLORS["other"] != population_color("hidden", 1)


def test_plotting_never_imports_pyplot_or_the_simulating_rooms():
    forbidden = ("matplotlib.pyplot", "bioplastic.simulation", "bioplastic.networks", "bioplastic.neurons", "bioplastic.protocol")
    for path in PLOTTING_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                continue
            for name in names:
                assert not name.startswith(forbidden), f"{path.name} imports {name}"
    code = "import sys, bioplastic.plotting; print('matplotlib.pyplot' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: spike_raster(np.eye(3), -0.1), "dt_ms: got -0.1; allowed: a finite number > 0 (milliseconds)"),
        (
            lambda: spike_raster(np.array([0.0, 1.0, 0.0]), 0.1),
            "spikes: got array of shape (3,); allowed: a (time, neurons) array with at least one step and one neuron",
        ),
        (
            lambda: spike_raster(np.zeros((0, 4)), 0.1),
            "spikes: got array of shape (0, 4); allowed: a (time, neurons) array with at least one step and one neuron",
        ),
        (
            lambda: spike_raster(np.array([[0.0, 1.0], [0.5, 0.0]]), 0.1),
            "spikes: got 0.5 at step 1, neuron 0; allowed: 0 or 1 (no spike or one spike in a step)",
        ),
        (
            lambda: spike_raster(np.array([["a", "b"]]), 0.1),
            "spikes: got array of shape (1, 2) and dtype <U1; allowed: a (time, neurons) array with at least one step and one neuron",
        ),
        (lambda: spike_raster(np.eye(3), 0.1, neurons=[0, 3]), "neurons: got 3; allowed: whole-number indices in [0, 3)"),
        (lambda: spike_raster(np.eye(3), 0.1, neurons=[-1]), "neurons: got -1; allowed: whole-number indices in [0, 3)"),
        (lambda: spike_raster(np.eye(3), 0.1, neurons=[0.5]), "neurons: got 0.5; allowed: whole-number indices in [0, 3)"),
        (lambda: spike_raster(np.eye(3), 0.1, neurons=[[0, 1]]), "neurons: got array of shape (1, 2); allowed: whole-number indices in [0, 3)"),
        (lambda: spike_raster(np.eye(3), 0.1, neurons=[]), "neurons: got []; allowed: at least one of the whole-number indices in [0, 3)"),
        (lambda: spike_raster(np.eye(3), 0.1, t0_ms=float("nan")), "t0_ms: got nan; allowed: a finite number (milliseconds)"),
        (lambda: spike_raster(np.eye(3), 0.1, ax="left"), "ax: got 'left'; allowed: a matplotlib Axes or None"),
        (
            lambda: spike_raster_populations({"E": np.eye(4), "I": np.eye(3)}, 0.1),
            "populations['I']: got 3 time steps; allowed: the same number as populations['E'] (4)",
        ),
        (
            lambda: spike_raster_populations({}, 0.1),
            "populations: got {}; allowed: a mapping of population name -> spikes, or (name, spikes) pairs, "
            "with at least one population",
        ),
        (
            lambda: spike_raster_populations({"E": np.ones(3)}, 0.1),
            "populations['E']: got array of shape (3,); allowed: a (time, neurons) array with at least one step and one neuron",
        ),
        (lambda: voltage_traces(np.ones((5, 2)), 0.1, stride=0), "stride: got 0; allowed: a whole number >= 1"),
        (
            lambda: voltage_traces(np.ones(5), 0.1),
            "values: got array of shape (5,); allowed: a (time, neurons) array with at least one step and one neuron",
        ),
        (lambda: population_rate_hz(np.eye(3), 0.1, window_ms=-5.0), "window_ms: got -5.0; allowed: a finite number > 0 (ms)"),
        (lambda: population_rate_hz(np.eye(3), 0.1, window_ms="5 ms"), "window_ms: got '5 ms'; allowed: a finite number > 0 (ms)"),
        (lambda: population_rate(np.eye(3), 0.0), "dt_ms: got 0.0; allowed: a finite number > 0 (milliseconds)"),
        (lambda: interspike_intervals_ms(np.eye(3), float("inf")), "dt_ms: got inf; allowed: a finite number > 0 (milliseconds)"),
        (lambda: isi_histogram(np.eye(3), 0.1, bins=0), "bins: got 0; allowed: a whole number >= 1"),
        (
            lambda: isi_histogram(np.eye(3), 0.1, bins=[5.0, 1.0]),
            "bins: got [5.0, 1.0]; allowed: a whole number >= 1, or at least two increasing finite bin edges (ms)",
        ),
        (
            lambda: weight_matrix(np.ones(4)),
            "weights: got array of shape (4,); allowed: a 2-D (n_pre, n_post) array with at least one row and one column",
        ),
        (
            lambda: weight_matrix(np.zeros((3, 0))),
            "weights: got array of shape (3, 0); allowed: a 2-D (n_pre, n_post) array with at least one row and one column",
        ),
        (
            lambda: weight_matrix(np.array([[1.0, np.nan]])),
            "weights: got array of shape (1, 2) containing NaN or inf; allowed: finite numbers",
        ),
        (
            lambda: learning_curves({"a": ([1, 2, 3], [0.1, 0.2])}),
            "curves['a']: got x of length 3 and y of length 2; allowed: a 1-D array of values, "
            "or an (x, y) pair of 1-D arrays of equal length, with at least one value",
        ),
        (
            lambda: learning_curves({"a": []}),
            "curves['a']: got an empty curve; allowed: a 1-D array of values, "
            "or an (x, y) pair of 1-D arrays of equal length, with at least one value",
        ),
        (
            lambda: learning_curves({"a": np.ones((3, 3))}),
            "curves['a']: got array of shape (3, 3); allowed: a 1-D array of values, "
            "or an (x, y) pair of 1-D arrays of equal length, with at least one value",
        ),
        (lambda: learning_curves({}), "curves: got {}; allowed: a mapping of curve name -> values, with at least one curve"),
        (lambda: new_axes(figsize=(3.0, -1.0)), "figsize: got (3.0, -1.0); allowed: (width, height) in inches, two finite numbers > 0"),
        (lambda: save_figure("figure", "out.png"), "fig: got 'figure'; allowed: a matplotlib Figure or Axes"),
        (lambda: save_figure(Figure(), "out.png", dpi=-1), "dpi: got -1.0; allowed: a finite number > 0 (dots per inch)"),
    ],
)
def test_bad_input_messages(call, message):
    with pytest.raises(BadInput) as error:
        call()
    assert str(error.value) == message


def test_bad_file_suffix_names_the_formats_matplotlib_writes(tmp_path):
    fig = Figure()
    formats = ", ".join(f".{name}" for name in sorted(fig.canvas.get_supported_filetypes()))
    with pytest.raises(BadInput) as error:
        save_figure(fig, tmp_path / "figure.bmpx")
    assert str(error.value) == f"path: got {str(tmp_path / 'figure.bmpx')!r}; allowed: a file name ending in one of {formats}"
    assert os.listdir(tmp_path) == []


def test_a_named_group_keeps_its_colour_whatever_its_position():
    from bioplastic.plotting import repeats_with_intervals

    colors = {"HLOP": "#000000", "GPM": "#00aa00"}
    first = repeats_with_intervals({"HLOP": [1.0, 2.0], "GPM": [3.0]}, colors=colors)
    second = repeats_with_intervals({"GPM": [3.0, 4.0], "other": [5.0]}, colors=colors)
    assert [line.get_color() for line in first.lines[:2]] == ["#000000", "#00aa00"]
    assert second.lines[0].get_color() == "#00aa00"
    assert second.lines[1].get_color() == repeats_with_intervals({"a": [1.0], "other": [5.0]}).lines[1].get_color()


def test_quantity_label_reads_the_unit_from_the_key_or_names_the_dimensionless_quantity():
    from bioplastic.plotting.names import quantity_label, readable_name

    assert quantity_label("mean_rate_hz_exc") == "mean rate, excitatory population (Hz)"
    assert quantity_label("force_peak_error_ms") == "FORCE peak error (ms)"
    assert quantity_label("first_time_at_w_max_s") == "first time at w max (s)"
    assert quantity_label("seconds_per_task") == "seconds per task (s)"
    assert quantity_label("test_accuracy") == "test accuracy (fraction)"
    assert quantity_label("validation_loss") == "validation loss (unitless)"
    assert quantity_label("chosen_final_rank") == "chosen final rank (1 = largest)"
    assert quantity_label("model.projections.ee.delay_ms") == "ee delay (ms)"
    swept = quantity_label("model.projections.ee.weight", fallback="as in the protocol")
    assert swept == "ee weight (as in the protocol)"
    assert [readable_name(n) for n in ("hpc", "ec_loss", "force_reset", "exc_v")] == [
        "HPC", "EC loss", "FORCE (reset)", "Excitatory population, membrane potential"]


def test_theta_panels_state_units_and_readable_layer_names():
    from bioplastic.plotting.theta import autocorrelations, decoded_path, error_curves, loss_curves, ring_weights

    ax = loss_curves({"hpc": np.linspace(1.0, 0.1, 40), "ec": np.full(40, 0.05)}, dt_ms=25.0)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("training time (min)", "mismatch |r_B - r_A| (unitless, smoothed)")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["HPC", "EC"]
    ax = autocorrelations(np.ones(5), np.ones(5), dt_ms=25.0)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("lag (s)", "autocorrelation (unitless)")
    ax = decoded_path(np.zeros(5), np.zeros(5), dt_ms=25.0, removal_s=0.05)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("time (s)", "position (m)")
    ax = error_curves({"trained": np.zeros((2, 5))}, dt_ms=25.0, removal_s=0.05)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("time (s)", "decoding error (m)")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Trained", "input removed"]
    fig = Figure()
    matrix_ax, profile_ax = fig.subplots(1, 2)
    ring_weights(np.eye(4), ax=matrix_ax, profile_ax=profile_ax, title="Recurrent weights")
    assert (matrix_ax.get_xlabel(), matrix_ax.get_ylabel()) == ("presynaptic unit (index, sorted)",
                                                                "postsynaptic unit (index, sorted)")
    assert fig.axes[-1].get_ylabel() == "weight (unitless)"                 # the colour bar
    assert profile_ax.get_xlabel() == "offset j - i (unit indices)"
    assert profile_ax.get_ylabel() == "mean weight (unitless)"


def test_prediction_panels_state_units_and_readable_learner_names():
    from bioplastic.plotting.prediction import READOUT_LABELS, aligned_predictions, switch_errors

    for which in ("prediction", "when", "what"):
        ax = aligned_predictions(np.full((2, 10, 2), 0.5), cue=[0, 1], trials=range(2), cue_names=["A", "B"],
                                 which=which)
        assert (ax.get_xlabel(), ax.get_ylabel()) == ("time from cue onset (ms)", READOUT_LABELS[which])
    ax = switch_errors({"three_factor": np.ones(12), "force_reset": np.ones(12)}, switch_trial=6, running=3)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("trial (number)", "prediction error (unitless, mean of 3 trials)")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Three-factor", "FORCE (reset)", "switch"]


def test_distal_reward_panels_state_units_and_the_number_of_synapses():
    from bioplastic.plotting.distal_reward import distal_reward_panels

    seconds = np.arange(1, 61)
    history = {"time_s": seconds, "chosen_weight": seconds / 30.0, "chosen_rank": np.maximum(1, 100 - seconds),
               "percentiles": np.tile([0.1, 0.5, 1.0, 1.5, 2.0], (60, 1)), "exc_rate_hz": np.ones(60),
               "inh_rate_hz": np.full(60, 4.0), "earned_ms": np.array([5000]), "released_ms": np.array([7000])}
    fig = distal_reward_panels(history, np.linspace(0.0, 4.0, 1200), w_max=4.0)
    a, b, c, d, rates = fig.axes
    assert (a.get_xlabel(), a.get_ylabel()) == ("model time (min)", "weight (mV)")
    assert b.get_ylabel() == "synapse rank (of 1,200, 1 = largest)"
    assert (c.get_xlabel(), c.get_ylabel()) == ("weight (mV)", "synapses (count)")
    assert (d.get_ylabel(), rates.get_ylabel()) == ("rewards (per minute)", "firing rate (Hz, mean over each second)")
