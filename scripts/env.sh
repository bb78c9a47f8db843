# Source me: the environment every make target runs in. Needs scripts/bootstrap.sh first
# (same ROS_DISTRO). Sets up that distribution's venv of ROS 2 wheels, its colcon-built
# interfaces, the source tree on PYTHONPATH, and keeps DDS traffic on this machine.
_bb_root="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)"
. "$_bb_root/scripts/distro.sh" || return 2
. "$_bb_root/.venv/$BB_DISTRO/bin/activate"
export AMENT_PREFIX_PATH="$_bb_root/.venv/$BB_DISTRO${AMENT_PREFIX_PATH:+:$AMENT_PREFIX_PATH}"
export CMAKE_PREFIX_PATH="$_bb_root/.venv/$BB_DISTRO${CMAKE_PREFIX_PATH:+:$CMAKE_PREFIX_PATH}"
COLCON_CURRENT_PREFIX="$_bb_root/install/$BB_DISTRO" . "$_bb_root/install/$BB_DISTRO/setup.sh"
export PYTHONPATH="$_bb_root/src/brainbody${PYTHONPATH:+:$PYTHONPATH}"
# The console scripts (brainbody, body_node, intent_node, sim_node) where colcon puts them for `ros2 run`.
export PATH="$_bb_root/install/$BB_DISTRO/brainbody/lib/brainbody:$PATH"
export BRAINBODY_CONFIG_DIR="${BRAINBODY_CONFIG_DIR:-$_bb_root/config}"
export ROS_AUTOMATIC_DISCOVERY_RANGE="${ROS_AUTOMATIC_DISCOVERY_RANGE:-LOCALHOST}"
export RMW_IMPLEMENTATION="${RMW_IMPLEMENTATION:-rmw_fastrtps_cpp}"
export MUJOCO_GL="${MUJOCO_GL:-osmesa}" PYOPENGL_PLATFORM="${PYOPENGL_PLATFORM:-osmesa}"
unset _bb_root
