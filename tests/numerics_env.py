"""The second numerics configuration of `make test-portable`, printed as NAME=VALUE words.

A notebook's stored outputs must come out the same on every learner's machine, but two
machines do not round alike: OpenBLAS picks its matrix kernels for the CPU it finds, and numpy
picks SIMD loops for sums, exp and tanh in the same way. `make test-portable` runs the stored
notebooks once more under numerics this machine would not choose by itself:

- OPENBLAS_CORETYPE: the oldest kernel of this CPU family (Prescott on x86-64, ARMV8 on arm64),
  so that matrix products are blocked and vectorised differently. Where the environment sets
  OPENBLAS_CORETYPE already, it is kept: some machines set it because other kernels compute
  wrong results on them.
- NPY_DISABLE_CPU_FEATURES: every SIMD extension that numpy dispatches to beyond the baseline
  it was built for, so that numpy falls back to its baseline loops.

`python tests/numerics_env.py` prints the variables; `--verify`, run in a process started with
them, checks that both took effect and exits 1 (saying why) when they did not.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys

OLDEST_KERNEL = {"x86_64": "Prescott", "amd64": "Prescott", "aarch64": "ARMV8", "arm64": "ARMV8"}


def dispatched_features() -> list[str]:
    """The SIMD extensions numpy can dispatch to on this CPU, beyond its build's baseline."""
    from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__

    return [name for name in __cpu_dispatch__ if __cpu_features__.get(name)]


def blas_kernel() -> str | None:
    """The kernel OpenBLAS runs in this process, or None when numpy uses another BLAS."""
    import numpy  # noqa: F401  (loads numpy's BLAS, so that threadpoolctl can find it)
    from threadpoolctl import threadpool_info

    for library in threadpool_info():
        if library.get("internal_api") == "openblas":
            return library.get("architecture")
    return None


def portable_env() -> dict[str, str]:
    env = {}
    if "OPENBLAS_CORETYPE" not in os.environ:
        kernel = OLDEST_KERNEL.get(platform.machine().lower())
        if kernel:
            env["OPENBLAS_CORETYPE"] = kernel
    features = dispatched_features()
    if features:
        env["NPY_DISABLE_CPU_FEATURES"] = ",".join(features)  # numpy accepts commas
    return env


def native_kernel() -> str | None:
    """The OpenBLAS kernel of a fresh process that is left to choose for itself."""
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
    code = "import numerics_env; print(numerics_env.blas_kernel())"
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "PYTHONPATH": os.path.dirname(os.path.abspath(__file__))},
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def verify() -> list[str]:
    """What is wrong with this process's numerics configuration (nothing: an empty list)."""
    problems = []
    disabled = [n for n in os.environ.get("NPY_DISABLE_CPU_FEATURES", "").split(",") if n]
    still_on = [name for name in disabled if name in dispatched_features()]
    if still_on:
        problems.append(f"numpy still dispatches to {', '.join(still_on)}")
    requested = os.environ.get("OPENBLAS_CORETYPE")
    kernel = blas_kernel()
    changed_blas = requested is not None and kernel is not None and kernel != native_kernel()
    if not disabled and not changed_blas:
        problems.append(
            "neither numpy's SIMD loops nor OpenBLAS's kernel differ from this machine's own "
            f"(OpenBLAS kernel {kernel}, requested {requested}): no second configuration"
        )
    return problems


if __name__ == "__main__":
    if sys.argv[1:] == ["--verify"]:
        problems = verify()
        for problem in problems:
            print(f"numerics_env: {problem}", file=sys.stderr)
        if not problems:
            print(
                f"numerics: OpenBLAS kernel {blas_kernel()} (this machine's own: "
                f"{native_kernel()}), numpy SIMD off: "
                f"{os.environ.get('NPY_DISABLE_CPU_FEATURES') or 'none'}"
            )
        sys.exit(1 if problems else 0)
    print(" ".join(f"{name}={value}" for name, value in portable_env().items()))
