"""The layers hold: the library and `recommend/` never import a pipeline, no module imports itself back,
modules and functions stay within their size limits, and nothing but one named function uses an API that
Spark Connect lacks."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "job_reco"
# Kedro's registry is the one place outside pipelines/ whose job is to know them.
MAY_IMPORT_PIPELINES = {"job_reco.pipeline_registry"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imported_modules(path: Path) -> set[str]:
    """The job_reco modules a file imports, anywhere in it (inside functions too); `from pkg import mod` names mod."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("job_reco")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("job_reco"):
            for alias in node.names:
                child = f"{node.module}.{alias.name}"
                found.add(child if child in MODULES else node.module)
    return found


def test_a_module_name_is_what_the_scan_expects():
    assert module_name(PACKAGE / "text" / "__init__.py") == "job_reco.text"
    assert imported_modules(PACKAGE / "models" / "ranker_layout.py") >= {"job_reco.models.ranker", "job_reco.columns"}


@pytest.mark.parametrize("name", sorted(name for name in MODULES if not name.startswith("job_reco.pipelines")))
def test_nothing_outside_the_pipelines_imports_a_pipeline(name):
    if name in MAY_IMPORT_PIPELINES:
        pytest.skip("the pipeline registry")
    upward = sorted(m for m in imported_modules(MODULES[name]) if m.startswith("job_reco.pipelines"))
    assert not upward, f"{MODULES[name]} imports {upward}: move what both need into the library (docs/architecture.md)"


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        path.pop()
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_the_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": {"c"}}) is None


def test_no_module_imports_itself_back():
    graph = {name: {m for m in imported_modules(path) if m in MODULES and m != name} for name, path in MODULES.items()}
    # A package's __init__ that re-exports its modules is not a circle with them.
    for name in graph:
        graph[name] = {m for m in graph[name] if not name.startswith(m + ".")}
    assert _cycle(graph) is None, f"import circle: {' -> '.join(_cycle(graph))}"


# Size limits a reader can hold: a function on one screen, a module on one theme. The project aims at
# 50 and 400 lines; these are the hard limits.
MAX_FUNCTION_LINES = 60
MAX_MODULE_LINES = 450


def long_functions(path: Path, limit: int) -> list[str]:
    """'name (n lines)' of each function or method of a file (nested ones too) over `limit` lines, def to last line."""
    tree = ast.parse(path.read_text(), filename=str(path))
    return [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno - node.lineno + 1 > limit
    ]


def test_the_size_scan_counts_a_function_from_def_to_its_last_line(tmp_path):
    source = tmp_path / "sample.py"
    method = "    def long(self):\n" + "        x = 1\n" * 4 + "        return x\n"
    source.write_text("def short():\n    return 1\n\n\nclass A:\n" + method)
    assert long_functions(source, 5) == ["long (6 lines)"]
    assert long_functions(source, 6) == []


def test_no_module_is_longer_than_the_limit():
    lines = {str(path.relative_to(PACKAGE)): len(path.read_text().splitlines()) for path in MODULES.values()}
    long = {path: n for path, n in lines.items() if n > MAX_MODULE_LINES}
    assert not long, f"modules over {MAX_MODULE_LINES} lines: {long}; split them by theme"


def test_no_function_is_longer_than_the_limit():
    found = {str(path.relative_to(PACKAGE)): long_functions(path, MAX_FUNCTION_LINES) for path in MODULES.values()}
    long = {path: functions for path, functions in found.items() if functions}
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines: {long}; split them into named steps"


# What a Spark Connect session (Databricks shared clusters and serverless, Databricks Connect) does not have:
# a SparkContext, the JVM behind py4j, RDDs.
CLASSIC_ONLY_ATTRIBUTES = {"sparkContext", "_sc", "_jsc", "_jvm", "_jsparkSession", "rdd"}
CLASSIC_ONLY_NAMES = {"SparkContext", "RDD"}
# A classic session's task progress is known only to its SparkContext's status tracker (Spark Connect
# reports it to a progress handler instead, which a classic session refuses): the one exception.
MAY_USE_CLASSIC_ONLY = {("job_reco.spark_session", "stage_tasks")}


def classic_only_uses(path: Path) -> list[tuple[str, int, str]]:
    """(enclosing function, line, what) for each use of a SparkContext, the JVM gateway or an RDD in a file."""
    found = []

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else function
            if isinstance(child, ast.Attribute) and child.attr in CLASSIC_ONLY_ATTRIBUTES:
                found.append((inner, child.lineno, f".{child.attr}"))
            elif isinstance(child, ast.Name) and child.id in CLASSIC_ONLY_NAMES:
                found.append((inner, child.lineno, child.id))
            elif isinstance(child, ast.alias) and child.name.split(".")[-1] in CLASSIC_ONLY_NAMES:
                found.append((inner, getattr(child, "lineno", 0), f"import {child.name}"))
            visit(child, inner)

    visit(ast.parse(path.read_text(), filename=str(path)), "<module>")
    return found


def test_the_classic_only_scan_finds_each_kind_of_use(tmp_path):
    source = tmp_path / "uses.py"
    source.write_text(
        "from pyspark import SparkContext\n"
        "def f(spark, df):\n"
        "    spark.sparkContext.setLogLevel('WARN')\n"
        "    return df.rdd.getNumPartitions(), spark._jvm, SparkContext.getOrCreate()\n"
        "# a comment naming sparkContext is no use\n"
    )
    assert classic_only_uses(source) == [
        ("<module>", 1, "import SparkContext"), ("f", 3, ".sparkContext"), ("f", 4, ".rdd"), ("f", 4, "._jvm"),
        ("f", 4, "SparkContext"),
    ]


@pytest.mark.parametrize("name", sorted(MODULES))
def test_nothing_uses_what_spark_connect_lacks(name):
    uses = [(function, line, what) for function, line, what in classic_only_uses(MODULES[name])
            if (name, function) not in MAY_USE_CLASSIC_ONLY]
    assert not uses, (
        f"{MODULES[name]} uses what Spark Connect lacks: {uses}; use spark.conf, DataFrame APIs or "
        "spark_session.stage_tasks instead"
    )
