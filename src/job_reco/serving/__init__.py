"""The recommender served over HTTP as a versioned MLflow model (docs/serving.md)."""
