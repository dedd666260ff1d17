"""The weights of a saved Keras model (`.keras`), read without TensorFlow or Keras.

A `.keras` file is a zip of `config.json` (the layers, in model order), `metadata.json` and
`model.weights.h5`, in which each layer's variables sit in a group `layers/<path>/vars` that
carries the layer's name as attribute and holds its arrays as datasets "0", "1", .. in the order
of the layer's `get_weights()` (a Dense layer: kernel, bias). Scoring needs only those arrays
(`ranker.ranker_scores`, `ncf.ncf_click_probability`), so `recommend` reads them with h5py and
never imports TensorFlow; training and the modeling pipeline still save the file through Keras.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.weights.h5"


@dataclass(frozen=True)
class SavedWeights:
    """A saved Keras model's weights by layer name, its layers in model order and its inputs' shapes."""

    name: str
    layers: tuple[str, ...]
    weights: Mapping[str, list[np.ndarray]]
    input_shapes: Mapping[str, tuple]
    source: str = "?"

    def input_width(self, name: str) -> int:
        """The last dimension of the input layer `name` (the ranker's "features")."""
        if name not in self.input_shapes:
            raise ValueError(f"{self.source} has no input {name!r}; its inputs are {sorted(self.input_shapes)}")
        return int(self.input_shapes[name][-1])

    def flat(self) -> list[np.ndarray]:
        """Every array in model order, as Keras' `model.get_weights()` gives them."""
        return [array for layer in self.layers for array in self.weights.get(layer, [])]


def _layers(config: Mapping) -> tuple[tuple[str, ...], dict[str, tuple]]:
    """(layer names in model order, {input layer name: batch shape}) from config.json."""
    layers = config.get("config", {}).get("layers", [])
    names = tuple(str(layer["config"]["name"]) for layer in layers)
    inputs = {
        str(layer["config"]["name"]): tuple(layer["config"].get("batch_shape") or layer["config"].get("batch_input_shape") or ())
        for layer in layers if layer.get("class_name") == "InputLayer"
    }
    return names, inputs


def _layer_weights(h5, source: str) -> dict[str, list[np.ndarray]]:
    """{layer name: arrays "0", "1", .. of its vars group} for every layer group that holds arrays."""
    out: dict[str, list[np.ndarray]] = {}
    layers = h5.get("layers")
    if layers is None:
        raise ValueError(f"{source}: {WEIGHTS_FILE} has no 'layers' group; not a model saved by Keras 3")
    for key in layers:
        variables = layers[key].get("vars")
        if variables is None or not len(variables):
            continue
        if "name" not in variables.attrs:
            raise ValueError(f"{source}: layers/{key}/vars carries no layer name; save it again with Keras 3")
        arrays = [np.asarray(variables[index]) for index in sorted(variables, key=int)]
        out[str(variables.attrs["name"])] = arrays
    return out


def read_keras_weights(source: str | Path | bytes) -> SavedWeights:
    """The weights of a `.keras` file (a path, or its bytes), by layer name, without importing Keras."""
    import h5py  # noqa: PLC0415

    where = "<bytes>" if isinstance(source, bytes) else str(source)
    try:
        with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source) as archive:
            config = json.loads(archive.read(CONFIG_FILE))
            weights_bytes = archive.read(WEIGHTS_FILE)
    except (zipfile.BadZipFile, KeyError) as error:
        raise ValueError(f"{where} is not a saved Keras model ({CONFIG_FILE} and {WEIGHTS_FILE} in a zip): {error}") from error
    names, inputs = _layers(config)
    with h5py.File(io.BytesIO(weights_bytes), "r") as h5:
        weights = _layer_weights(h5, where)
    unknown = sorted(set(weights) - set(names))
    if unknown:
        raise ValueError(f"{where}: weights of layers {unknown} that {CONFIG_FILE} does not list ({list(names)})")
    return SavedWeights(name=str(config.get("config", {}).get("name", "?")), layers=names, weights=weights,
                        input_shapes=inputs, source=where)
