"""The work directory of a scoring run (``SCORING_WORK_DIR/run-<id>``): what the
prepare step hands to the parts and to the finish.

Prepare writes every input frame to a file of its own (strings with few distinct values
as categoricals: their codes pickle as one buffer, 10M string references do not), the
engagement graph (``vetting.scoring.graph.ScoringGraph`` with its hashtag table) built
once, and the parameters with the parts. A reader loads a file the first time it is
used (``StoredInputs``): a graph part reads the graph alone, the finish the accounts
alone, the activity part what its scorers touch. Every file is written under a
temporary name and renamed, so a reader never sees half of one.
"""

from __future__ import annotations

import pickle
from dataclasses import fields
from pathlib import Path
from typing import Any

from vetting.scoring.frames import ScoringInputs

FRAMES = tuple(f.name for f in fields(ScoringInputs))
# string columns with few distinct values: categoricals on disk, objects in memory
PACKED = {"accounts": ("platform", "specialty", "classification"), "edges": ("kind",)}
GRAPH = "graph"
RUN = "run"


def _dump(path: Path, value: Any) -> None:
    tmp = path.with_suffix(".part")
    with tmp.open("wb") as handle:
        pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)


def _load(path: Path) -> Any:
    with path.open("rb") as handle:
        return pickle.load(handle)  # noqa: S301 - our own file, written by prepare


def work_write(
    directory: Path, inputs: ScoringInputs, *, graph: Any, params: Any, parts: list
) -> None:
    """Write a run's inputs, graph, parameters and parts to ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in FRAMES:
        frame = getattr(inputs, name)
        packed = PACKED.get(name, ())
        if packed:
            frame = frame.copy(deep=False)
            for column in packed:
                frame[column] = frame[column].astype("category")
        _dump(directory / f"{name}.pkl", frame)
    _dump(directory / f"{GRAPH}.pkl", graph)
    _dump(directory / f"{RUN}.pkl", {"params": params, "parts": parts})


def work_run(directory: Path) -> dict:
    """``{"params", "parts"}`` of the run."""
    return _load(directory / f"{RUN}.pkl")


class StoredInputs:
    """A run's ``ScoringInputs`` read back from its work directory: the same frames
    (``accounts``, ``edges``, ... with the contract's dtypes) and ``graph``, each
    loaded on first use."""

    def __init__(self, directory: Path):
        self._directory = directory

    def __getattr__(self, name: str) -> Any:
        if name not in (*FRAMES, GRAPH):
            raise AttributeError(name)
        value = _load(self._directory / f"{name}.pkl")
        for column in PACKED.get(name, ()):
            value[column] = value[column].astype(object)
        setattr(self, name, value)  # the next access does not come here
        return value
