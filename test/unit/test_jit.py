"""Where compiled kernels are cached: beside the package, in a directory named after a hash of
its source (numba alone would not notice an edit to a kernel that another file's kernel calls),
else under the user's cache when the package is read-only (an installed robot)."""
from __future__ import annotations

import os
import subprocess
import sys

import brainbody.jit as jit


def test_the_cache_is_keyed_by_the_package_source():
    cache = jit._cache_dir()
    assert cache is not None and cache.parent == jit._PACKAGE / "__pycache__"
    assert cache.name.startswith("kernels-") and len(cache.name) == len("kernels-") + 16
    assert jit._cache_dir() == cache                  # same source, same directory


_READ_ONLY = r"""
import os, pathlib, sys
real_mkdir = pathlib.Path.mkdir
package = pathlib.Path(sys.argv[1])
def mkdir(self, *args, **kwargs):
    if package in self.parents or self == package:
        raise OSError(30, "Read-only file system")
    return real_mkdir(self, *args, **kwargs)
pathlib.Path.mkdir = mkdir
import numpy as np
import brainbody.jit as jit
from brainbody.body.compliance import _deflection
params = jit.records(1, np.dtype([("c1", "f8"), ("drop1", "f8"), ("drop2", "f8"), ("t1", "f8"), ("t2", "f8")]))
params["c1"] = 0.5
print(jit._CACHE, _deflection(params, np.array([-2.0]))[0], len(os.listdir(jit._CACHE)))
"""


def test_a_read_only_package_caches_under_the_user_cache(tmp_path):
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path))
    env.pop("NUMBA_CACHE_DIR", None)
    proc = subprocess.run([sys.executable, "-c", _READ_ONLY, str(jit._PACKAGE)], capture_output=True, text=True,
                          env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    cache, value, entries = proc.stdout.split()
    assert cache.startswith(str(tmp_path / "brainbody" / "kernels-"))
    assert float(value) == -1.0 and int(entries) >= 1       # the kernel ran and was cached there


def test_a_kernel_over_contact_views_compiles_once_for_one_contact_and_for_many():
    """A one-row slice of MuJoCo's contact structs is C-contiguous, a longer one strided: an
    untyped kernel compiled a second specialisation mid-run, on the simulator's stepping thread,
    when a step first had a single contact (300 ms with the GIL held, the body saw the state stale)."""
    import numpy as np
    from brainbody.runtime.sim_session import SimSession
    from brainbody.sim.ground_truth import _cup_contacts

    data = SimSession(seed=0).sim.data
    model = data.model
    assert data.ncon >= 2
    geom_body = np.asarray(model.geom_bodyid, dtype=np.int64)
    jaw_of_body = np.zeros(model.nbody, dtype=np.int64)
    cup = model.geom("cup_wall").id
    for n in (1, data.ncon):
        assert data.contact.geom[:n].flags["C_CONTIGUOUS"] == (n == 1)
        touching, _, _ = _cup_contacts(data.contact.geom[:n], data.contact.efc_address[:n], data.efc_force,
                                       geom_body, cup, jaw_of_body)
        assert isinstance(touching, bool)
    if jit.JIT_ENABLED:
        assert len(_cup_contacts.signatures) == 1
