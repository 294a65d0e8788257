"""Where the user's repository is, also from inside a DVC experiment copy."""

from __future__ import annotations

import os
from pathlib import Path


def repo_root(start: str | Path | None = None) -> Path:
    """Return the user's repository root, also from inside a DVC experiment copy.

    ``dvc exp run --temp`` and queued experiments execute in a copy under
    ``<repo>/.dvc/tmp/exps/``; runs from there must land in the repository's own
    MLflow store, so the copy resolves to the repository that holds it.

    Args:
        start: where to start looking; the working directory by default.

    Returns:
        The folder holding ``dvc.yaml`` (outermost repository when nested in a DVC temp copy).
    """
    here = Path(start or os.getcwd()).resolve()
    parts = here.parts
    if ".dvc" in parts:
        idx = parts.index(".dvc")
        candidate = Path(*parts[:idx])
        if (candidate / "dvc.yaml").exists() or (candidate / ".dvc").is_dir():
            return candidate
    for folder in (here, *here.parents):
        if (folder / "dvc.yaml").exists():
            return folder
    return here
