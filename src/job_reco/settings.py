"""Project settings: hooks and where configuration is looked for."""

from kedro.config import OmegaConfigLoader

from job_reco.config_loader import CONFIG_LOADER_ARGS  # noqa: F401 - Kedro reads it from here
from job_reco.hooks import (
    CompleteInputsHook,
    InputLocationsHook,
    RawTablesHook,
    ReleaseMemoryHook,
    RunRecordHook,
    ServingModelHook,
    SparkHooks,
    SparkProgressHook,
)

# kedro-mlflow's own hook (the plugin registers it) opens and closes the MLflow run and logs parameters;
# RunRecordHook adds metrics, reports, charts and models before the run closes (conf/base/tracking.yml), and
# ServingModelHook logs and registers the recommender as an MLflow model (docs/serving.md).
HOOKS = (SparkHooks(), SparkProgressHook(), ReleaseMemoryHook(), RawTablesHook(), CompleteInputsHook(), InputLocationsHook(), RunRecordHook(),
         ServingModelHook())

CONFIG_LOADER_CLASS = OmegaConfigLoader
