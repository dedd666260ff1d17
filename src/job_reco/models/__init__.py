"""The models and their arithmetic: side features, NCF, the listwise ranker, propensity, ensembles."""
