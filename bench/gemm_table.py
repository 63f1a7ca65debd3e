"""Prints Loupe's SgemmBench results (JMH JSON) next to OpenBLAS sgemm (numpy float32 matmul) at the
same shapes and layouts, in GFLOP/s. OpenBLAS is timed twice: as it configures itself, and, on AVX-512
machines, forced to its AVX-512 kernels (OPENBLAS_CORETYPE=SkylakeX), since OpenBLAS releases that do
not recognise a CPU fall back to AVX2 ones. Both sides report their best sustained rate (best ~1 s
window), so that other load on the machine disturbs the comparison as little as possible.
Fails if numpy is not backed by OpenBLAS."""
import ctypes
import json
import os
import subprocess
import sys
import time

import numpy as np


def openblas_library():
    """Path, config string and kernel family of the OpenBLAS that numpy loaded."""
    np.ones((64, 64), np.float32) @ np.ones((64, 64), np.float32)
    with open("/proc/self/maps") as maps:
        libs = {line.split()[-1] for line in maps if "blas" in line.lower() and "/" in line}
    for path in sorted(libs):
        lib = ctypes.CDLL(path)
        if hasattr(lib, "openblas_get_config"):
            lib.openblas_get_config.restype = ctypes.c_char_p
            lib.openblas_get_corename.restype = ctypes.c_char_p
            return path, lib.openblas_get_config().decode(), lib.openblas_get_corename().decode()
    sys.exit("numpy is not using OpenBLAS (loaded BLAS libraries: %s)" % sorted(libs))


def openblas_gflops(m, k, n, trans_b, windows=5, window_s=0.6):
    rng = np.random.default_rng(0)
    a = rng.random((m, k), dtype=np.float32) - 0.5
    b = rng.random((n, k) if trans_b else (k, n), dtype=np.float32) - 0.5
    bop = b.T if trans_b else b  # numpy hands the transpose to sgemm as a flag, no copy
    c = np.empty((m, n), np.float32)
    for _ in range(3):
        np.matmul(a, bop, out=c)
    best = float("inf")
    for _ in range(windows):
        calls, start = 0, time.perf_counter()
        while time.perf_counter() - start < window_s:
            np.matmul(a, bop, out=c)
            calls += 1
        best = min(best, (time.perf_counter() - start) / calls)
    return 2.0 * m * k * n / best / 1e9


def time_openblas(cases, coretype=None):
    """Runs this script in a fresh process (the core type is read when OpenBLAS loads)."""
    env = dict(os.environ)
    if coretype:
        env["OPENBLAS_CORETYPE"] = coretype
    out = subprocess.run([sys.executable, __file__, "--openblas", json.dumps(cases)], env=env,
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def main():
    if sys.argv[1] == "--openblas":
        cases = json.loads(sys.argv[2])
        print(json.dumps({"lib": openblas_library(), "gflops": [openblas_gflops(*c) for c in cases]}))
        return
    cases, loupe = [], []
    results = json.load(open(sys.argv[1]))
    if not results:
        sys.exit("no JMH results (did the benchmark fail?)")
    for r in results:
        p = r["params"]
        m, k, n = map(int, p["shape"].split("x"))
        cases.append((m, k, n, p["transB"] == "true"))
        best_ms = min(x for fork in r["primaryMetric"]["rawData"] for x in fork)
        loupe.append(2.0 * m * k * n / (best_ms * 1e-3) / 1e9)
    columns = [("OpenBLAS", time_openblas(cases))]
    with open("/proc/cpuinfo") as f:
        avx512 = " avx512f " in f.read()
    if avx512 and columns[0][1]["lib"][2] != "SkylakeX":
        columns.append(("OpenBLAS-AVX512", time_openblas(cases, "SkylakeX")))
    print()
    for name, res in columns:
        path, config, core = res["lib"]
        print(f"{name}: {path} ({config}; kernels: {core}), OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}")
    header = f"{'shape (MxKxN)':<15} {'op(B)':<5} {'Loupe':>7}"
    for name, _ in columns:
        header += f" {name:>15} {'ratio':>6}"
    print(header + "   (GFLOP/s; ratio = Loupe / OpenBLAS)")
    for i, (m, k, n, trans_b) in enumerate(cases):
        line = f"{f'{m}x{k}x{n}':<15} {'B^T' if trans_b else 'B':<5} {loupe[i]:>7.1f}"
        for _, res in columns:
            ob = res["gflops"][i]
            line += f" {ob:>15.1f} {loupe[i] / ob:>6.2f}"
        print(line)


if __name__ == "__main__":
    main()
