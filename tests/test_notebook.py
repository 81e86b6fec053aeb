"""notebooks/evaluation.ipynb runs, on a small part of the dev set, so it never rots."""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEV = Path("/work/shared/data/partnerships_dev.jsonl")


@pytest.mark.skipif(not DEV.exists(), reason="the dev set is not on this machine")
def test_evaluation_notebook_runs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    monkeypatch.setenv("MATCH_NOTEBOOK_RECORDS", "80")
    monkeypatch.setenv("MATCH_NOTEBOOK_FOLDS", "3")
    monkeypatch.setenv("MATCH_REPO", str(ROOT))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    notebook = nbformat.read(ROOT / "notebooks" / "evaluation.ipynb", as_version=4)
    from jupyter_client.manager import KernelManager

    # IPC (files), not TCP: the kernel opens no port
    km = KernelManager(kernel_name="python3", transport="ipc", ip=str(tmp_path / "kernel"))
    nbclient.NotebookClient(notebook, timeout=180, km=km,
                            resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()
    outputs = "".join(o.get("text", "") for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "| enterprise->colleges | trained |" in outputs
    images = [o for c in notebook.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(images) >= 3  # comparison, recall curves, contributions
