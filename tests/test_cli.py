"""The command line as a user meets it: --version, protocols by name, did-you-mean, a --help without JAX."""

import contextlib
import importlib.metadata
import io
import json
import pathlib
import subprocess
import sys

import pytest

from bioplastic.cli import PROTOCOLS_DIR, main


def _run(argv):
    """``main(argv)``'s exit code, standard output and standard error."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exit:
            code = exit.code
    return code, out.getvalue(), err.getvalue()


def test_version_is_the_installed_distributions():
    code, out, _ = _run(["--version"])
    assert code == 0
    assert out == f"bioplastic {importlib.metadata.version('bioplastic')}\n"


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["run", "--help"], ["export", "--help"]])
def test_help_and_version_do_not_import_jax(argv):
    program = ("import sys\nfrom bioplastic.cli import main\ntry:\n    main(%r)\nexcept SystemExit as exit:\n"
               "    assert exit.code == 0, exit.code\nprint(sorted(m for m in sys.modules if m.split('.')[0] in "
               "('jax', 'jaxlib', 'brainpy', 'matplotlib')))" % (argv,))
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    assert result.stdout.splitlines()[-1] == "[]"


def test_a_shipped_protocol_runs_by_name(tmp_path):
    code, out, err = _run(["run", "lif_single", "--out", str(tmp_path), "--quiet", "--set",
                           "simulation.duration_ms=20"])
    assert (code, err) == (0, "")
    run_dir = pathlib.Path(out.splitlines()[0].removeprefix("run folder: "))
    assert run_dir.parent == tmp_path
    assert json.loads((run_dir / "manifest.json").read_text())["status"] == "completed"


def test_validate_by_name_with_and_without_suffix_reads_the_shipped_file():
    by_path = _run(["validate", str(PROTOCOLS_DIR / "quickstart.toml")])
    assert _run(["validate", "quickstart"]) == by_path
    assert _run(["validate", "quickstart.toml"]) == by_path


def test_a_mistyped_name_gets_a_did_you_mean_among_shipped_protocols():
    assert _run(["validate", "quikstart"]) == (
        2, "", "error: quikstart: (file): got a path that does not exist; allowed: an existing TOML file or the "
               "name of a shipped protocol (bioplastic list shows them); did you mean 'quickstart'?\n")


def test_a_mistyped_path_gets_a_did_you_mean_among_nearby_files(tmp_path):
    (tmp_path / "my_network.toml").write_text('name = "x"\n')
    code, _, err = _run(["run", str(tmp_path / "my_netwrok.toml"), "--out", str(tmp_path)])
    assert code == 2
    assert err.endswith(f"did you mean '{tmp_path / 'my_network.toml'}'?\n")
    assert not (tmp_path / "runs").exists()


def test_a_name_with_nothing_close_says_what_is_allowed():
    assert _run(["validate", "zzzz"])[2] == (
        "error: zzzz: (file): got a path that does not exist; allowed: an existing TOML file or the name of a "
        "shipped protocol (bioplastic list shows them)\n")


def test_schema_of_an_unknown_kind_names_the_kinds():
    code, _, err = _run(["schema", "--kind", "trainig"])
    assert code == 2
    assert err == ("error: --kind: got 'trainig'; allowed: simulation | training | continual | prediction | theta | "
                   "distal_reward\n")


def test_export_without_a_format_says_which_exist(tmp_path):
    assert _run(["export", str(tmp_path)]) == (
        2, "", "error: bioplastic export: got neither --nwb nor --nir; allowed: --nwb FILE.nwb, --nir FILE.nir or both\n")
