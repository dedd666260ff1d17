"""Project pipelines."""

from __future__ import annotations

import importlib

from kedro.pipeline import Pipeline

# Pipelines that learn from logs, in order; data_generation only fabricates those logs.
FROM_LOGS = ("data_integration", "embeddings", "clustering", "modeling", "reporting")
# Run on request only (`kedro run --pipelines recommend`): it needs resumes to recommend for, which
# a run does not make, and reads the artifacts the pipelines above wrote.
ON_REQUEST = ("recommend",)
PIPELINES = ("data_generation", *FROM_LOGS, *ON_REQUEST)


def project_pipelines() -> dict[str, Pipeline]:
    """Every pipeline of the project, by name, whatever `kedro run --pipelines` asked for.

    Kedro 1.x's `find_pipelines` loads only the pipelines named on the command line, and fails on
    a name that is no folder (`--pipelines from_logs`); the registry names its pipelines instead.
    """
    return {name: importlib.import_module(f"job_reco.pipelines.{name}").create_pipeline() for name in PIPELINES}


def register_pipelines() -> dict[str, Pipeline]:
    """Register the project's pipelines.

    `__default__` generates a synthetic network and runs everything on it; `from_logs` is
    everything but the generator, for a network's own logs. Neither runs `recommend`.
    """
    pipelines = project_pipelines()
    pipelines["from_logs"] = sum((pipelines[name] for name in FROM_LOGS), Pipeline([]))
    pipelines["__default__"] = sum(
        (pipe for name, pipe in pipelines.items() if name not in ("from_logs", *ON_REQUEST)), Pipeline([])
    )
    return pipelines
