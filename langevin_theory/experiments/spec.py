"""Declarative sweep specs (TOML) -> a list of cells.

A spec file::

    name = "demo"
    seed = 12345                     # root of every cell's SeedSequence

    [[sweep]]
    kind = "grid"                    # which cell function runs it (see cells.CELL_KINDS)
    [sweep.params]                   # fixed for every cell of this block
    horizon = 2.0
    [sweep.grid]                     # swept: the cartesian product of these lists
    target = ["logcosh", "double_well"]
    step_size = [0.25, 0.125]

Cells are enumerated in file order (blocks in order, then the product in the order the grid
keys are written, last key fastest). A cell's key is the hash of (kind, params, spec seed) and
its seed is ``SeedSequence(seed, spawn_key=(int(key[:15], 16),))``, a child of the spec's root
``SeedSequence``: a cell's randomness depends on its own content and the spec seed only --
never on the number of workers, on the order of the cells, or on cells added to the spec (so
a cached cell stays valid when a spec grows).
"""
from __future__ import annotations

import hashlib
import itertools
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["Cell", "SweepSpec", "load_spec", "spec_from_dict", "cell_key"]


def _canon(obj):
    if isinstance(obj, dict):
        return {str(k): _canon(v) for k, v in sorted(obj.items())}
    if isinstance(obj, (list, tuple)):
        return [_canon(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating,)):
        return float(obj)
    return obj


def cell_key(kind: str, params: dict, seed: int = 0) -> str:
    """Stable content hash of a cell (kind, parameters, spec seed): the cache file name."""
    blob = json.dumps({"kind": kind, "params": _canon(params), "seed": int(seed)},
                      sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


@dataclass(frozen=True)
class Cell:
    index: int
    kind: str
    params: dict
    key: str
    seed_entropy: int
    block: int = 0

    @property
    def seed(self) -> np.random.SeedSequence:
        """A child of ``SeedSequence(spec seed)`` named by the cell's content hash: it does not
        depend on the worker count, on the order of the cells or on other cells."""
        return np.random.SeedSequence(self.seed_entropy, spawn_key=(int(self.key[:15], 16),))


@dataclass
class SweepSpec:
    name: str
    seed: int
    blocks: list = field(default_factory=list)
    source: str = ""

    def cells(self) -> list[Cell]:
        out = []
        seen = set()
        for b, block in enumerate(self.blocks):
            kind = block["kind"]
            fixed = dict(block.get("params", {}))
            grid = dict(block.get("grid", {}))
            keys = list(grid)
            values = [v if isinstance(v, list) else [v] for v in grid.values()]
            for combo in itertools.product(*values):
                params = dict(fixed)
                params.update(dict(zip(keys, combo)))
                if str(params.get("scheme", "")).lower() in ("lmc", "rlmc"):
                    params.pop("substeps", None)      # meaningless for these schemes:
                    params.pop("option", None)        # drop, so duplicates collapse
                key = cell_key(kind, params, self.seed)
                if key in seen:
                    continue
                seen.add(key)
                i = len(out)
                out.append(Cell(i, kind, params, key, self.seed, b))
        return out


def spec_from_dict(d: dict, source: str = "") -> SweepSpec:
    if "sweep" not in d or not isinstance(d["sweep"], list) or not d["sweep"]:
        raise ValueError("a spec needs at least one [[sweep]] block")
    seed = d.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError("seed must be a non-negative integer")
    from .cells import CELL_KINDS
    for i, b in enumerate(d["sweep"]):
        if b.get("kind") not in CELL_KINDS:
            raise ValueError(f"sweep block {i}: unknown kind {b.get('kind')!r}; available: "
                             f"{sorted(CELL_KINDS)}")
        extra = set(b) - {"kind", "params", "grid", "name"}
        if extra:
            raise ValueError(f"sweep block {i}: unknown keys {sorted(extra)}")
    return SweepSpec(name=str(d.get("name", "sweep")), seed=seed, blocks=list(d["sweep"]),
                     source=source)


def load_spec(path) -> SweepSpec:
    """Read a TOML spec (``tomllib``)."""
    p = Path(path)
    if not p.exists():
        builtin = Path(__file__).with_name("specs") / (p.name if p.suffix else p.name + ".toml")
        if builtin.exists():
            p = builtin
        else:
            raise FileNotFoundError(f"no spec file {path!r} (built-ins: "
                                    f"{sorted(q.stem for q in builtin.parent.glob('*.toml'))})")
    with open(p, "rb") as fh:
        d = tomllib.load(fh)
    return spec_from_dict(d, source=str(p))
