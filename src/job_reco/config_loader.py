"""How the project's configuration is read: the arguments of Kedro's OmegaConfigLoader.

`settings.py` hands them to Kedro; `recommend` reads the same configuration with them without
importing `settings`, whose hooks import PySpark.
"""

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
