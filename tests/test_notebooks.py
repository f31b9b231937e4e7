"""Every notebook runs top to bottom at toy size (BIOPLASTIC_NOTEBOOK_TOY=1), so a notebook that breaks fails CI.

The notebooks check their own results as they go (closed-form gradients, learning above
chance, the recordings' shapes against the protocol), so running them tests them.
"""

import pathlib

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((pathlib.Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_there_are_the_three_notebooks():
    assert [path.stem for path in NOTEBOOKS] == ["01_tour", "02_rules_side_by_side", "03_run_folder"]


@pytest.mark.slow  # a long check: pytest -m slow (CI runs it)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_runs_top_to_bottom(path, monkeypatch):
    monkeypatch.setenv("BIOPLASTIC_NOTEBOOK_TOY", "1")
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    notebook = nbformat.read(path, as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code"), \
        f"{path.name} is committed with outputs; clear them"
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.execution_count is not None for cell in code)
    errors = [output for cell in code for output in cell.outputs if output.output_type == "error"]
    assert errors == []
