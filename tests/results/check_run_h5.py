#!/usr/bin/env python3
"""Checks a run.h5 against the attnlab results schema (docs/results-schema.md) with h5py only.

usage: check_run_h5.py RUN_H5 [--status S] [--min-rows TABLE=N] [--rows TABLE=N]
                              [--expect ATTR=VALUE | TABLE/COLUMN[INDEX]=VALUE ...] [--synthetic N]

Exit 0 when every check passes, 1 with one line per failure, 77 when h5py is missing (CTest skip).
--synthetic N: the first N /train rows follow the pattern written by attnlab_results_writer.
"""
import argparse
import math
import re
import sys

try:
    import h5py
    import numpy as np
except ImportError:
    print("skip: h5py is not installed for", sys.executable)
    sys.exit(77)

SCHEMA_VERSION = 2
ROOT_ATTRIBUTES = {
    "attnlab_version": str, "schema_version": int, "status": str, "error": str, "config_yaml": str,
    "overrides": str, "git_sha": str, "torch_version": str, "threads": str, "started_at": str,
    "finished_at": str, "seed": int, "n_params": int,
}
TABLES = {
    "train": {"step": "i", "tokens": "i", "loss": "f", "lr": "f", "grad_norm": "f", "tokens_per_s": "f", "wall_s": "f"},
    "eval": {"step": "i", "split": "O", "loss": "f", "ppl": "f", "bpc": "f", "accuracy": "f", "answer_loss": "f",
             "ar_hit_loss": "f", "other_loss": "f", "ar_hit_share": "f"},
}

failures = []


def fail(message):
    failures.append(message)


def as_python(value):
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def table_rows(f, table):
    """Rows of a table as readers see them (RunReader::rows): its shortest column. A kill inside a
    flush may leave a running file's columns at different lengths (docs/results-schema.md)."""
    lengths = [d.shape[0] for d in f[table].values() if isinstance(d, h5py.Dataset)]
    return min(lengths) if lengths else 0


def column(f, table, name):
    dataset = f[table][name]
    values = dataset.asstr()[:] if dataset.dtype.kind == "O" else dataset[:]
    return values[:table_rows(f, table)]


def check_schema(f):
    for name, kind in ROOT_ATTRIBUTES.items():
        if name not in f.attrs:
            fail(f"root attribute '{name}' missing")
        elif not isinstance(as_python(f.attrs[name]), kind):
            fail(f"root attribute '{name}' is {type(f.attrs[name]).__name__}, expected {kind.__name__}")
    if as_python(f.attrs.get("schema_version")) != SCHEMA_VERSION:
        fail(f"schema_version {f.attrs.get('schema_version')}, expected {SCHEMA_VERSION}")
    if as_python(f.attrs.get("status")) not in ("running", "completed", "failed"):
        fail(f"status '{f.attrs.get('status')}' is not running|completed|failed")
    for table, columns in TABLES.items():
        if table not in f:
            fail(f"table /{table} missing")
            continue
        listed = [as_python(c) for c in f[table].attrs.get("columns", [])]
        if listed != list(columns):
            fail(f"/{table} columns attribute {listed}, expected {list(columns)}")
        lengths = set()
        for name, kind in columns.items():
            dataset = f[table].get(name)
            if dataset is None:
                fail(f"/{table}/{name} missing")
                continue
            if dataset.dtype.kind != kind:
                fail(f"/{table}/{name} dtype {dataset.dtype}, expected kind '{kind}'")
            if kind == "O" and h5py.check_string_dtype(dataset.dtype) is None:
                fail(f"/{table}/{name} is not a string dataset")
            if dataset.chunks is None or dataset.maxshape != (None,):
                fail(f"/{table}/{name} is not chunked and extendable")
            lengths.add(dataset.shape[0])
        # only a killed run (status still `running`) may have stopped inside a flush
        if len(lengths) > 1 and as_python(f.attrs.get("status")) != "running":
            fail(f"/{table} columns have different lengths {sorted(lengths)}")
    steps = column(f, "train", "step") if "train" in f else []
    if len(steps) > 1 and not np.all(np.diff(steps) > 0):
        fail("/train/step is not strictly increasing")
    if "eval" in f:
        splits = column(f, "eval", "split")
        eval_steps = column(f, "eval", "step")
        for split in set(splits):
            s = eval_steps[splits == split]
            if len(s) > 1 and not np.all(np.diff(s) >= 0):
                fail(f"/eval/step of split '{split}' decreases")


def parse_value(text):
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return text


REL_TOL = 1e-9  # --rel-tol: values printed with few digits are compared with a looser tolerance
ABS_TOL = 1e-12  # --abs-tol: half the last printed digit (5e-5 for 4 decimals)


def same(actual, expected):
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        return math.isclose(actual, expected, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    return str(actual) == str(expected)


def check_expectation(f, spec):
    key, _, text = spec.partition("=")
    expected = parse_value(text)
    match = re.fullmatch(r"/?(.+)/([^/\[]+)\[(-?\d+)\]", key)
    if match:
        table, name, index = match.group(1), match.group(2), int(match.group(3))
        try:
            values = column(f, table, name)
            actual = as_python(values[index])
        except (KeyError, IndexError) as e:
            fail(f"{key}: {e}")
            return
    else:
        if key not in f.attrs:
            fail(f"attribute '{key}' missing")
            return
        actual = as_python(f.attrs[key])
    if not same(actual, expected):
        fail(f"{key} = {actual!r}, expected {expected!r}")


def check_synthetic(f, n):
    rows = table_rows(f, "train")
    if rows < n:
        fail(f"/train has {rows} rows, fewer than the {n} flushed")
        return
    step = column(f, "train", "step")[:n]
    expected = np.arange(n)
    if not np.array_equal(step, expected):
        fail(f"/train/step is not 0..{n - 1}")
    checks = {"tokens": expected * 256, "loss": 10.0 / (1.0 + expected), "grad_norm": 1.0 + expected,
              "tokens_per_s": 1000.0 + expected, "wall_s": 0.01 * expected}
    for name, values in checks.items():
        if not np.array_equal(f["train"][name][:n], values):
            fail(f"/train/{name} differs from the written values in the first {n} rows")


def main():
    global REL_TOL, ABS_TOL
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path")
    parser.add_argument("--status")
    parser.add_argument("--rows", action="append", default=[], help="TABLE=N exact row count")
    parser.add_argument("--min-rows", action="append", default=[], help="TABLE=N at least N rows")
    parser.add_argument("--expect", action="append", default=[], help="ATTR=VALUE or TABLE/COLUMN[INDEX]=VALUE")
    parser.add_argument("--rel-tol", type=float, default=REL_TOL, help="relative tolerance of numeric --expect")
    parser.add_argument("--abs-tol", type=float, default=ABS_TOL, help="absolute tolerance of numeric --expect")
    parser.add_argument("--synthetic", type=int, default=None)
    args = parser.parse_args()
    REL_TOL, ABS_TOL = args.rel_tol, args.abs_tol
    try:
        f = h5py.File(args.path, "r")
    except OSError as e:
        print(f"{args.path}: h5py cannot open it: {e}")
        return 1
    with f:
        check_schema(f)
        if args.status and as_python(f.attrs.get("status")) != args.status:
            fail(f"status '{as_python(f.attrs.get('status'))}', expected '{args.status}'")
        for spec, exact in [(s, True) for s in args.rows] + [(s, False) for s in args.min_rows]:
            table, _, n = spec.partition("=")
            rows = table_rows(f, table) if table in f else -1
            if (rows != int(n)) if exact else (rows < int(n)):
                fail(f"/{table} has {rows} rows, expected {'' if exact else 'at least '}{n}")
        for spec in args.expect:
            check_expectation(f, spec)
        if args.synthetic is not None:
            check_synthetic(f, args.synthetic)
    for message in failures:
        print(f"{args.path}: {message}")
    if not failures:
        print(f"{args.path}: ok")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
