"""How the project's configuration is read: the loader and its arguments.

`settings.py` hands them to Kedro; code that reads a project's configuration without running
the project (the recommender, the CLI's Spark session) takes them from here, away from the hooks.
"""

from kedro.config import OmegaConfigLoader

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
