# Source me: picks the ROS 2 distribution every script and make target works with.
# ROS_DISTRO=kilted|jazzy chooses it (kilted when unset); anything else stops with one line.
# Each distribution has its own pins (requirements/<distro>.txt, .lock), venv and build.
BB_DISTROS="kilted jazzy"
BB_DISTRO="${ROS_DISTRO:-kilted}"
case " $BB_DISTROS " in
  *" $BB_DISTRO "*) ;;
  *) echo "brainbody: unknown ROS_DISTRO '$BB_DISTRO'; known: ${BB_DISTROS// /, }" >&2
     return 2 2>/dev/null || exit 2 ;;
esac
export ROS_DISTRO="$BB_DISTRO"
