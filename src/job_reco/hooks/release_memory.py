"""The hook that hands the driver's freed heap back to the OS after every node."""

from __future__ import annotations

from kedro.framework.hooks import hook_impl

from job_reco.spark_udf import trim_heap


class ReleaseMemoryHook:
    """After every node, hand the driver's freed heap back to the OS (`spark_udf.trim_heap`).

    Generation builds impressions-scale pandas frames on the driver; once a node is done with them
    glibc keeps the freed heap, and on `xlarge` the driver held 3.3 GB through the modeling nodes
    that followed while the Python workers needed every gigabyte. No garbage collection
    here: with TensorFlow imported one takes about 0.2 s, 25 s over a run's nodes, and the frames a
    node drops are freed when their last reference goes, except a Series whose `.str` accessor was
    used (pandas caches the accessor on it, a reference cycle): generation keeps its large text
    columns out of `.str` for that reason (docs/data_generation.md).
    """

    @hook_impl
    def after_node_run(self) -> None:
        """Free what the node left."""
        trim_heap()
