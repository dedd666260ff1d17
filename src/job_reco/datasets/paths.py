"""Spark's paths read with fsspec: Hadoop's scheme names (s3a://, abfss://) mapped to fsspec's."""

from __future__ import annotations

from typing import Any

# fsspec's names for Hadoop's filesystem schemes.
FSSPEC_PROTOCOLS = {"s3a": "s3", "s3n": "s3", "abfss": "abfs", "wasbs": "abfs"}


def spark_path_to_fs(path: str, **storage_options: Any) -> tuple[Any, str]:
    """(fsspec filesystem, path within it) for a path as Spark writes it (local, s3a://, abfss://, ...).

    `storage_options` (a catalog entry's credentials and fs_args) go to the filesystem.
    """
    import fsspec  # noqa: PLC0415

    protocol, _, rest = str(path).partition("://")
    url = f"{FSSPEC_PROTOCOLS.get(protocol, protocol)}://{rest}" if rest else str(path)
    return fsspec.core.url_to_fs(url, **storage_options)
