"""Helpers for handing plain Python functions to Spark's pandas UDFs (applyInPandas, mapInPandas)."""

from __future__ import annotations


def bind(function, *, with_key: bool = False, **kwargs):
    """`function` with keyword arguments bound, as a plain function of (data) or (key, data).

    Spark reads a UDF's arity and type hints; a functools.partial has neither in a form it accepts.
    What is bound travels with the task as part of the closure (no SparkContext.broadcast, which
    Spark Connect lacks).
    """
    if with_key:

        def bound_with_key(key, data):
            return function(key, data, **kwargs)

        return bound_with_key

    def bound(data):
        return function(data, **kwargs)

    return bound
