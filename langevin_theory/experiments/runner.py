"""The resumable, parallel, deterministic sweep runner.

* Each finished cell is written to ``cache_dir/<key>.pkl`` atomically (temporary file, then
  ``os.replace``); a rerun skips cells whose file exists. A SIGKILL loses only the cells in
  flight.
* Cells run in worker processes (``spawn`` context, one numba/BLAS thread each); each cell's
  seed comes from its index in the spec (:mod:`.spec`), so the table does not depend on the
  number of workers or on the order of completion.
* Progress: a tqdm bar (``progress=False`` turns it off).
"""
from __future__ import annotations

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

__all__ = ["run_sweep", "run_cell", "atomic_write_bytes", "atomic_write_text", "load_cell"]


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
            "params": cell.params, "result": result,
            "seconds": time.perf_counter() - t0}


def _run_and_store(cell: Cell, cache_dir: str) -> dict:
    rec = run_cell(cell)
    atomic_write_bytes(Path(cache_dir) / f"{cell.key}.pkl", pickle.dumps(rec, protocol=4))
    return rec


def load_cell(cache_dir, cell: Cell):
    p = Path(cache_dir) / f"{cell.key}.pkl"
    if not p.exists():
        return None
    with open(p, "rb") as fh:
        return pickle.load(fh)


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
