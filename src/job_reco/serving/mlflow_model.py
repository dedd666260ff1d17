"""The served model's code, as MLflow's "models from code" reads it: this file is the model's `python_model`.

MLflow runs this file when it loads the model (`mlflow.pyfunc.load_model`, `mlflow models serve`);
`job_reco.serving.registry.log_recommender_model` logs it. Nothing else imports it.
"""

from mlflow.models import set_model

from job_reco.serving.model import RecommenderModel

set_model(RecommenderModel())
