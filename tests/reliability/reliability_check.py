#!/usr/bin/env python3
"""Checks for the reliability tests, independent of attnlab's own readers.

usage: reliability_check.py curve REFERENCE_H5 RUN_H5
           the run's /train (step, loss) and /eval (step, split, loss) rows equal the reference's
           exactly: same steps in order, bit-identical losses.
       reliability_check.py same REFERENCE_H5 RUN_H5
           the whole files agree: the same tables, each with the same columns and rows, every value
           bit-identical, except the timing columns (tokens_per_s, wall_s: same row count, finite);
           the same root attributes, equal except the times, the start-up GEMM rate and the config
           (which names the out_dir).
       reliability_check.py checkpoints RUN_DIR
           every *.pt in RUN_DIR loads with PyTorch (torch.jit.load), has its metadata, and holds
           only finite parameters.
Exit 0 when every check passes, 1 with one line per failure, 77 when h5py or torch is missing.
"""
import glob
import os
import sys

try:
    import h5py
    import numpy as np
except ImportError:
    print("skip: h5py is not installed for", sys.executable)
    sys.exit(77)


def rows(path, table, columns):
    with h5py.File(path, "r") as f:
        out = []
        for name in columns:
            data = f[table][name][()]
            out.append([x.decode() if isinstance(x, bytes) else x for x in data])
        return list(zip(*out))


def same_bits(a, b):
    if isinstance(a, float) or isinstance(a, np.floating):
        return np.float64(a).tobytes() == np.float64(b).tobytes()
    return a == b


def check_curve(reference, run):
    failures = []
    for table, columns in (("train", ("step", "loss")), ("eval", ("step", "split", "loss"))):
        want, got = rows(reference, table, columns), rows(run, table, columns)
        if len(want) != len(got):
            failures.append(f"/{table}: {len(got)} rows, the uninterrupted run has {len(want)}")
            continue
        for i, (w, g) in enumerate(zip(want, got)):
            if not all(same_bits(x, y) for x, y in zip(w, g)):
                failures.append(f"/{table} row {i}: {g} != uninterrupted {w}")
                break
    return failures


TIMING_COLUMNS = {"tokens_per_s", "wall_s"}
UNCOMPARED_ATTRIBUTES = {"started_at", "finished_at", "config_yaml", "overrides", "gemm_gflops"}  # gemm_gflops: a timing


def tables(f):
    """Every group that holds datasets: {path: {column: array}}."""
    out = {}

    def visit(name, obj):
        if isinstance(obj, h5py.Group):
            columns = {k: v[()] for k, v in obj.items() if isinstance(v, h5py.Dataset)}
            if columns:
                out["/" + name] = columns
    f.visititems(visit)
    return out


def check_same(reference, run):
    failures = []
    with h5py.File(reference, "r") as fa, h5py.File(run, "r") as fb:
        want, got = tables(fa), tables(fb)
        if sorted(want) != sorted(got):
            failures.append(f"tables {sorted(got)} != uninterrupted {sorted(want)}")
        for table in sorted(set(want) & set(got)):
            if sorted(want[table]) != sorted(got[table]):
                failures.append(f"{table}: columns {sorted(got[table])} != {sorted(want[table])}")
                continue
            for column, a in want[table].items():
                b = got[table][column]
                if len(a) != len(b):
                    failures.append(f"{table}/{column}: {len(b)} rows, the uninterrupted run has {len(a)}")
                elif column in TIMING_COLUMNS:
                    if not np.all(np.isfinite(b)):
                        failures.append(f"{table}/{column}: non-finite timing")
                elif a.tobytes() != b.tobytes() if a.dtype.kind != "O" else list(a) != list(b):
                    i = next(i for i in range(len(a)) if not same_bits(a[i], b[i]))
                    failures.append(f"{table}/{column} row {i}: {b[i]!r} != uninterrupted {a[i]!r}")
        names_a, names_b = set(fa.attrs), set(fb.attrs)
        if names_a != names_b:
            failures.append(f"root attributes differ: {sorted(names_a ^ names_b)}")
        for name in sorted((names_a & names_b) - UNCOMPARED_ATTRIBUTES):
            if fa.attrs[name] != fb.attrs[name]:
                failures.append(f"attribute {name}: {fb.attrs[name]!r} != uninterrupted {fa.attrs[name]!r}")
    if not failures:
        print(f"{sum(len(next(iter(t.values()))) for t in want.values())} rows in {len(want)} tables identical")
    return failures


def check_checkpoints(run_dir):
    try:
        import torch
    except ImportError:
        print("skip: torch is not installed for", sys.executable)
        sys.exit(77)
    failures = []
    paths = sorted(glob.glob(os.path.join(run_dir, "*.pt")))
    for path in paths:
        try:
            state = torch.jit.load(path).state_dict()
        except Exception as e:  # any failure to load is the finding
            failures.append(f"{path}: does not load: {str(e).splitlines()[0]}")
            continue
        for key in ("meta/step", "meta/tokens", "model/tok_emb.weight"):
            if key not in state:
                failures.append(f"{path}: no {key}")
        bad = [k for k, v in state.items() if v.is_floating_point() and not torch.isfinite(v).all()]
        if bad:
            failures.append(f"{path}: non-finite {bad[0]}")
    print(f"{len(paths)} checkpoint(s) checked")
    return failures


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "curve":
        failures = check_curve(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "same":
        failures = check_same(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 3 and sys.argv[1] == "checkpoints":
        failures = check_checkpoints(sys.argv[2])
    else:
        print(__doc__)
        return 2
    for failure in failures:
        print(failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
