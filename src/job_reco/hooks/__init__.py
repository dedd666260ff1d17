"""The project's Kedro hooks, one module each; `settings.HOOKS` registers them."""

from job_reco.hooks.complete_inputs import CompleteInputsHook
from job_reco.hooks.input_locations import InputLocationsHook
from job_reco.hooks.raw_tables import RawTablesHook
from job_reco.hooks.release_memory import ReleaseMemoryHook
from job_reco.hooks.run_record import RunRecordHook
from job_reco.hooks.serving_model import ServingModelHook
from job_reco.hooks.spark_progress import SparkProgressHook
from job_reco.hooks.spark_session import SparkHooks

__all__ = [
    "CompleteInputsHook", "InputLocationsHook", "RawTablesHook", "ReleaseMemoryHook", "RunRecordHook",
    "ServingModelHook", "SparkHooks", "SparkProgressHook",
]
