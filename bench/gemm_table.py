"""Prints Loupe's SgemmBench results (JMH JSON) next to OpenBLAS sgemm (numpy float32 matmul) at the
same shapes and layouts, in GFLOP/s (run-gemm.sh drives it). OpenBLAS is timed twice: as it configures itself, and, on AVX-512
machines, forced to its AVX-512 kernels (OPENBLAS_CORETYPE=SkylakeX), since OpenBLAS releases that do
not recognise a CPU fall back to AVX2 ones. Both sides report their best sustained rate (best
~0.5 s window, best of the rounds), so that other load on the machine disturbs the comparison as
little as possible.
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


def openblas_gflops(m, k, n, trans_b, windows=8, window_s=0.5):
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


def jmh_cases(path):
    """(m, k, n, trans_b) and best-iteration Loupe GFLOP/s of each benchmark in a JMH JSON file."""
    results = json.load(open(path))
    if not results:
        sys.exit("no JMH results in %s (did the benchmark fail?)" % path)
    out = []
    for r in results:
        p = r["params"]
        m, k, n = map(int, p["shape"].split("x"))
        best_ms = min(x for fork in r["primaryMetric"]["rawData"] for x in fork)
        out.append(((m, k, n, p["transB"] == "true"), 2.0 * m * k * n / (best_ms * 1e-3) / 1e9))
    return out


def measure(out_path, jmh_path):
    """Times OpenBLAS at the cases of a JMH run: as configured, and with AVX-512 kernels if it did not pick them."""
    cases = [c for c, _ in jmh_cases(jmh_path)]
    columns = {"OpenBLAS": time_openblas(cases)}
    with open("/proc/cpuinfo") as f:
        avx512 = " avx512f " in f.read()
    if avx512 and columns["OpenBLAS"]["lib"][2] != "SkylakeX":
        columns["OpenBLAS-AVX512"] = time_openblas(cases, "SkylakeX")
    json.dump(columns, open(out_path, "w"))


def table(paths):
    """Best-of-rounds table from alternating JMH and OpenBLAS result files."""
    loupe, columns = {}, {}
    for jmh_path, ob_path in zip(paths[0::2], paths[1::2]):
        cases = jmh_cases(jmh_path)
        for case, gflops in cases:
            loupe[tuple(case)] = max(loupe.get(tuple(case), 0.0), gflops)
        for name, res in json.load(open(ob_path)).items():
            col = columns.setdefault(name, {"lib": res["lib"], "gflops": {}})
            for (case, _), g in zip(cases, res["gflops"]):
                col["gflops"][tuple(case)] = max(col["gflops"].get(tuple(case), 0.0), g)
    print(f"\nbest of {len(paths) // 2} round(s); OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}")
    for name, col in columns.items():
        path, config, core = col["lib"]
        print(f"{name}: {path} ({config}; kernels: {core})")
    header = f"{'shape (MxKxN)':<15} {'op(B)':<5} {'Loupe':>7}"
    for name in columns:
        header += f" {name:>15} {'ratio':>6}"
    print(header + "   (GFLOP/s; ratio = Loupe / OpenBLAS)")
    for case, g in loupe.items():
        m, k, n, trans_b = case
        line = f"{f'{m}x{k}x{n}':<15} {'B^T' if trans_b else 'B':<5} {g:>7.1f}"
        for col in columns.values():
            ob = col["gflops"][case]
            line += f" {ob:>15.1f} {g / ob:>6.2f}"
        print(line)


def main():
    if sys.argv[1] == "--openblas":
        cases = json.loads(sys.argv[2])
        print(json.dumps({"lib": openblas_library(), "gflops": [openblas_gflops(*c) for c in cases]}))
    elif sys.argv[1] == "measure":
        measure(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "table":
        table(sys.argv[2:])
    else:
        sys.exit("usage: gemm_table.py measure OUT.json JMH.json | table JMH1.json OB1.json [JMH2.json OB2.json ...]")


if __name__ == "__main__":
    main()
