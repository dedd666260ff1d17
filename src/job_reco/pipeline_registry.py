"""Project pipelines."""

from __future__ import annotations

from kedro.framework.project import find_pipelines
from kedro.framework.project import pipelines as project_pipelines
from kedro.pipeline import Pipeline

# Pipelines that learn from logs, in order; data_generation only fabricates those logs.
FROM_LOGS = ("data_integration", "embeddings", "clustering", "modeling", "reporting")


def register_pipelines() -> dict[str, Pipeline]:
    """Register the project's pipelines.

    `__default__` generates a synthetic network and runs everything on it; `from_logs` is
    everything but the generator, for a network's own logs.
    """
    # Kedro 1.7 imports only the modules that `kedro run --pipelines` names; `from_logs` names none (it
    # is assembled below), so `--pipelines from_logs` failed with an ImportError. Find them all.
    project_pipelines.set_requested(None)
    pipelines = find_pipelines(raise_errors=True)
    pipelines["from_logs"] = sum((pipelines[name] for name in FROM_LOGS if name in pipelines), Pipeline([]))
    pipelines["__default__"] = sum(
        (pipe for name, pipe in pipelines.items() if name != "from_logs"), Pipeline([])
    )
    return pipelines
