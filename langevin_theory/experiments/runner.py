"""The resumable, parallel, deterministic sweep runner.

* Each finished cell is written to ``cache_dir/<key>.pkl`` atomically (temporary file, then
  ``os.replace``); a rerun skips cells whose file exists. A SIGKILL loses only the cells in
  flight.
* Cells run in worker processes (``spawn`` context, one numba/BLAS thread each); each cell's
  seed comes from its index in the spec (:mod:`.spec`), so the table does not depend on the
  number of workers or on the order of completion.
* Progress: a tqdm bar (``progress=False`` turns it off).
* Stale cells: a record stores the fingerprint of the code that computes cells
  (:func:`code_fingerprint`); a cached record made by other code is recomputed, with the same
  seed, instead of being reused. Cache keys (and hence seeds) do not depend on the code.
"""
from __future__ import annotations

import functools
import hashlib
import multiprocessing as mp
import os
import pickle
import tempfile
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path

import pandas as pd

from .spec import Cell, SweepSpec, load_spec

__all__ = ["run_sweep", "run_cell", "atomic_write_bytes", "atomic_write_text", "load_cell",
           "code_fingerprint"]

#: package files that cannot change a cell's numbers (analysis, figures, the command line, the
#: runner itself) and subpackages no cell uses; every other module enters the fingerprint
_NOT_IN_CELLS = {"experiments/central.py", "experiments/fits.py", "experiments/runner.py",
                 "plotting.py", "cli.py", "__main__.py"}
_NOT_IN_CELLS_DIRS = {"diffusion", "theory"}


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Hash of the package sources that determine a cell's result (see ``_NOT_IN_CELLS``)."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha1()
    for f in sorted(root.rglob("*.py")):
        rel = f.relative_to(root).as_posix()
        if rel in _NOT_IN_CELLS or rel.split("/")[0] in _NOT_IN_CELLS_DIRS:
            continue
        h.update(rel.encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def atomic_write_bytes(path, data: bytes):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_text(path, text: str):
    atomic_write_bytes(path, text.encode())


def _worker_init():
    try:
        import numba
        numba.set_num_threads(1)
    except Exception:  # pragma: no cover
        pass


def run_cell(cell: Cell) -> dict:
    """Run one cell in this process; returns its record (params, results, timing)."""
    from .cells import CELL_KINDS
    t0 = time.perf_counter()
    result = CELL_KINDS[cell.kind](dict(cell.params), cell.seed)
    return {"index": cell.index, "key": cell.key, "kind": cell.kind, "block": cell.block,
            "params": cell.params, "result": result, "code": code_fingerprint(),
            "seconds": time.perf_counter() - t0}


def _run_and_store(cell: Cell, cache_dir: str) -> dict:
    rec = run_cell(cell)
    atomic_write_bytes(Path(cache_dir) / f"{cell.key}.pkl", pickle.dumps(rec, protocol=4))
    return rec


def load_cell(cache_dir, cell: Cell, *, current_code_only: bool = True):
    """The cached record of ``cell``, or None when there is none.

    With ``current_code_only`` (the runner's default) a record made by other code (another
    :func:`code_fingerprint`) counts as missing, so it is recomputed rather than reused; the
    ``plot`` command passes False to re-draw a directory from the records it was made from.
    """
    p = Path(cache_dir) / f"{cell.key}.pkl"
    if not p.exists():
        return None
    with open(p, "rb") as fh:
        rec = pickle.load(fh)
    if current_code_only and rec.get("code") != code_fingerprint():
        return None
    return rec


def _row(rec: dict) -> dict:
    row = {"cell": rec["index"], "kind": rec["kind"], "key": rec["key"]}
    for k, v in rec["params"].items():
        row[k] = v if not isinstance(v, list) else str(v)
    for k, v in rec["result"].items():
        if k.startswith("_"):
            continue                      # arrays and other bulky payloads stay in the cache
        row[k] = v
    row["seconds"] = rec["seconds"]
    return row


def run_sweep(spec, cache_dir, *, n_workers: int | None = None, progress: bool = True,
              only=None, return_records: bool = False):
    """Run (or resume) every cell of ``spec``; return a tidy DataFrame, one row per cell.

    Parameters
    ----------
    spec : SweepSpec or path
    cache_dir : path
        Where finished cells live (``<key>.pkl``); reused across runs.
    n_workers : int, optional
        Worker processes (default ``os.cpu_count()``); 1 runs in this process.
    progress : bool
        Show a tqdm progress bar.
    only : callable(Cell) -> bool, optional
        Run only the cells it selects.
    return_records : bool
        Also return ``{cell.index: record}`` (records hold the arrays, e.g. grid laws).
    """
    if not isinstance(spec, SweepSpec):
        spec = load_spec(spec)
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    cells = [c for c in spec.cells() if only is None or only(c)]
    records = {}
    todo = []
    for c in cells:
        rec = load_cell(cache_dir, c)
        if rec is None:
            todo.append(c)
        else:
            records[c.index] = rec
    if n_workers is None:
        n_workers = os.cpu_count() or 1
    n_workers = max(1, int(n_workers))
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=len(cells), initial=len(cells) - len(todo), desc=spec.name,
                   unit="cell", dynamic_ncols=True)
    try:
        if todo and n_workers == 1:
            for c in todo:
                records[c.index] = _run_and_store(c, str(cache_dir))
                if bar is not None:
                    bar.update(1)
        elif todo:
            env_keys = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                        "NUMBA_NUM_THREADS")
            saved = {k: os.environ.get(k) for k in env_keys}
            for k in env_keys:
                os.environ[k] = "1"
            try:
                ex = ProcessPoolExecutor(max_workers=min(n_workers, len(todo)),
                                         mp_context=mp.get_context("spawn"),
                                         initializer=_worker_init)
            finally:
                for k, v in saved.items():
                    if v is None:
                        os.environ.pop(k, None)
                    else:
                        os.environ[k] = v
            with ex:
                # expensive cells first would be nicer; file order keeps it predictable
                pending = {ex.submit(_run_and_store, c, str(cache_dir)): c for c in todo}
                while pending:
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for f in done:
                        c = pending.pop(f)
                        try:
                            records[c.index] = f.result()
                        except Exception as err:
                            for g in pending:
                                g.cancel()
                            raise RuntimeError(
                                f"cell {c.index} ({c.kind}, {c.params}) failed: {err}\n"
                                + "".join(traceback.format_exception(err))) from err
                        if bar is not None:
                            bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    df = pd.DataFrame([_row(records[c.index]) for c in cells])
    if len(df):
        df = df.sort_values("cell").reset_index(drop=True)
    if return_records:
        # in spec order, not completion order: tables built from the records are then the same
        # row for row whatever the worker count or the state of the cache
        return df, {c.index: records[c.index] for c in cells}
    return df
