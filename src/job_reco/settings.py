"""Project settings: hooks and where configuration is looked for."""

from job_reco import config_loader
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

# Where configuration is looked for and how envs override base (job_reco.config_loader).
CONFIG_LOADER_CLASS, CONFIG_LOADER_ARGS = config_loader.CONFIG_LOADER_CLASS, config_loader.CONFIG_LOADER_ARGS
