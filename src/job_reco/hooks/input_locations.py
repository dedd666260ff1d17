"""A hook that adds to a failed node's error where each of its inputs lives, from the catalog.

Node code sees DataFrames, not paths: a message such as "document_tokens is missing columns ..."
cannot say which file was meant when the frame did not come straight from files. Kedro calls
`on_node_error` with the catalog, so this hook appends a note (Python's `add_note`, printed with
the traceback) naming every input dataset of the node and the path the catalog gives it; an env
that moves data elsewhere (conf/cluster/globals.yml) gets its own paths, never a `data/...` guess.
"""

from __future__ import annotations

from kedro.framework.hooks import hook_impl

from job_reco.validation import dataset_location


def input_locations(node, catalog) -> list[str]:
    """'dataset -> path' for each input of `node` the catalog defines (parameters left out)."""
    return [
        f"{name} -> {dataset_location(catalog, name)}"
        for name in node.inputs
        if not name.startswith("params:") and name != "parameters" and name in catalog
    ]


class InputLocationsHook:
    """Name the catalog locations of a failed node's inputs in its error."""

    @hook_impl
    def on_node_error(self, error: Exception, node, catalog) -> None:
        """Add a note 'node N read: dataset -> path; ...' to the error."""
        locations = input_locations(node, catalog)
        if locations and hasattr(error, "add_note"):
            error.add_note(f"node {node.name} read: " + "; ".join(locations))
