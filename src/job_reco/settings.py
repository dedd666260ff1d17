"""Project settings: hooks and where configuration is looked for."""

from kedro.config import OmegaConfigLoader

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
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    "config_patterns": {
        "spark": ["spark*", "spark*/**"],
        "parameters": ["parameters*", "parameters*/**", "**/parameters*"],
        "mlflow": ["mlflow*", "mlflow*/**"],
        "tracking": ["tracking*", "tracking*/**"],
    },
    # An env (local, test, cluster) overrides single keys of base rather than whole blocks.
    "merge_strategy": {"parameters": "soft", "spark": "soft", "mlflow": "soft"},
}
