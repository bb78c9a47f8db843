"""Compiled per-tick kernels: :func:`kernel` marks a function of scalars, records and small
arrays that runs every control or physics period.

On 7-element arrays a numpy call costs about a microsecond whatever it computes, so a tick
written as vectorised numpy spends most of its time calling into numpy (about 600 us per tick
of the coffee task on the 2-core CI machine). A kernel is a plain loop over the joints
compiled by numba; it costs about one call. Kernels call each other (the servo calls the
backlash, friction and compliance kernels per joint), so each concept keeps its own module.

Kernels compile on their first call and are cached on disk, so later processes load them in
well under a second. numba checks a cached kernel only against its own file, not against the
kernels it calls in other files; the cache therefore lives in a directory named after a hash
of the whole package's source, and any edit starts a fresh one. Kernels take no Python
objects, only floats, bools, numpy arrays and structured-array records; they keep NaN
semantics (no fast-math), so the finiteness guards behave as in numpy.

A call from Python pays numba's type dispatch for every argument (measured on the CI machine:
about 0.02 us for a float or an int, 0.05 us for a bool, 0.06 us for an array, 0.15 us for a
structured array). A per-tick kernel therefore takes one record per joint holding its
parameters, state and outputs together, and its switches as one int of flags, rather than
many small arguments (the servo's tick took 23 arguments, 1.9 of its 2.9 us in dispatch).
``BRAINBODY_JIT=0`` runs them as plain Python (slow: for debugging and coverage only).
"""
from __future__ import annotations

import hashlib
import math
import os
from pathlib import Path
from typing import Callable, Optional, TypeVar

import numpy as np

F = TypeVar("F", bound=Callable)

JIT_ENABLED = os.environ.get("BRAINBODY_JIT", "1") != "0"
_PACKAGE = Path(__file__).resolve().parent


def _cache_dir() -> Optional[Path]:
    """A writable directory for this source's kernels: beside the package, else (a read-only
    install) under the user's cache; None when neither can be written (compile every start)."""
    digest = hashlib.sha256()
    for path in sorted(_PACKAGE.rglob("*.py")):
        digest.update(path.relative_to(_PACKAGE).as_posix().encode())
        digest.update(path.read_bytes())
    name = f"kernels-{digest.hexdigest()[:16]}"
    bases = [_PACKAGE / "__pycache__"]
    try:
        bases.append(Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "brainbody")
    except RuntimeError:     # no home directory
        pass
    for base in bases:
        try:
            (base / name).mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(base / name, os.W_OK):
            return base / name
    return None


_CACHE = _cache_dir() if JIT_ENABLED else None

# Every compiled kernel, for the check that a warmed-up process compiles nothing more.
KERNELS: list = []

if JIT_ENABLED:
    if _CACHE is not None:
        os.environ.setdefault("NUMBA_CACHE_DIR", str(_CACHE))
    import numba

    def kernel(function: Optional[F] = None, *, signature: Optional[str] = None):
        """``@kernel``, or ``@kernel(signature="...")`` for a kernel whose array arguments are
        views that change layout with their length: a one-row slice of a strided array is
        C-contiguous, a longer one is not, and numba compiles a new specialisation for each,
        on the calling thread, in the middle of a run (300 ms with the GIL held, the simulator
        stalled). With a signature (``int32[:, :]`` is any layout) it compiles once and every
        layout converts to it."""
        def compile_(f: F) -> F:
            compiled = (numba.njit(signature, cache=_CACHE is not None, nogil=True)(f) if signature
                        else numba.njit(cache=_CACHE is not None, nogil=True)(f))
            KERNELS.append(compiled)
            return compiled
        return compile_ if function is None else compile_(function)
else:
    def kernel(function: Optional[F] = None, *, signature: Optional[str] = None):
        return (lambda f: f) if function is None else function


@kernel
def all_finite(values) -> bool:
    """Every value of a 1-D array finite (the guard kernels share: NaN must never reach a command)."""
    for v in values:
        if not math.isfinite(v):
            return False
    return True


@kernel
def max_abs_difference(a, b) -> float:
    """max |a - b| over two 1-D float arrays of one length (NaN if any difference is NaN, as
    numpy's), one call instead of numpy's three per tick."""
    worst = 0.0
    for i in range(a.shape[0]):
        d = abs(a[i] - b[i])
        if math.isnan(d):
            return d
        worst = max(worst, d)
    return worst


@kernel
def sign(x: float) -> float:
    """numpy's sign of one float: -1, 0 or 1, NaN for NaN."""
    return 1.0 if x > 0.0 else (-1.0 if x < 0.0 else (0.0 if x == 0.0 else math.nan))


@kernel
def max_abs(values) -> float:
    """max |v| over a 1-D float array (NaN if any value is NaN, as numpy's)."""
    worst = 0.0
    for v in values:
        if math.isnan(v):
            return v
        worst = max(worst, abs(v))
    return worst


def records(count: int, dtype: np.dtype) -> np.ndarray:
    """``count`` zeroed records of ``dtype`` whose fields read and write as attributes
    (``params[i].kp``) in a kernel, compiled or plain Python. Compiled kernels get a plain
    structured array (numba takes a recarray too, but checks its type about 3 us slower per call)."""
    values = np.zeros(count, dtype)
    return values if JIT_ENABLED else values.view(np.recarray)
