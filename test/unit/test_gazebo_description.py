"""The Gazebo files: the generated URDF variants, world and bridge YAML, and controllers.yaml.

Gazebo, ros_gz and gz_ros2_control are not installable here; these checks read the files.
They assert that the checked-in files are what ``scripts/gz_description.py`` generates (so
they cannot drift from ``urdf/panda.urdf`` and ``sim/scene.py``), that every variant is the
same robot as ``urdf/panda.urdf`` with the plugins its backend needs, and that the bridge
and the controllers carry exactly the topics and joint orders the body resolves
(``brainbody.topic_layout``, ``node_params`` defaults).
"""
import importlib.util
import pathlib
import xml.etree.ElementTree as ET

import pytest
import yaml

from brainbody.body.body_config import BodyConfig
from brainbody.body.robot_model import ARM_JOINTS, FINGER_JOINTS
from brainbody.node_params import BodyNodeConfig

ROOT = pathlib.Path(__file__).resolve().parents[2]
GZ_URDFS = {"effort": "urdf/panda_gz.urdf", "position": "urdf/panda_gz_position.urdf"}
ROS2_CONTROL_URDF = "urdf/panda_gz_ros2_control.urdf"
WORLD = "worlds/brainbody_coffee.sdf"
# ros_gz_bridge's README (Jazzy and Kilted branches), the pairs used here.
SUPPORTED_PAIRS = {("rosgraph_msgs/msg/Clock", "gz.msgs.Clock"), ("sensor_msgs/msg/JointState", "gz.msgs.Model"),
                   ("std_msgs/msg/Float64", "gz.msgs.Double"), ("geometry_msgs/msg/WrenchStamped", "gz.msgs.Wrench")}
DIRECTIONS = {"GZ_TO_ROS", "ROS_TO_GZ", "BIDIRECTIONAL"}


def generator():
    path = ROOT / "scripts" / "gz_description.py"
    assert path.is_file(), path
    spec = importlib.util.spec_from_file_location("gz_description", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def parse(relative) -> ET.Element:
    path = ROOT / relative
    assert path.is_file(), f"{relative} does not exist"
    return ET.parse(path).getroot()


def plugins(root, name) -> list:
    return [p for p in root.iter("plugin") if p.get("name") == f"gz::sim::systems::{name}"]


def plugin_joints(root, name) -> list:
    return [j.text for p in plugins(root, name) for j in p.findall("joint_name")]


# -- generated files ------------------------------------------------------------------------

def test_the_checked_in_files_are_what_the_generator_writes():
    outputs = generator().outputs()
    assert set(outputs) == {*GZ_URDFS.values(), ROS2_CONTROL_URDF, WORLD, "config/gz_bridge.yaml"}
    for relative, text in outputs.items():
        path = ROOT / relative
        assert path.is_file(), f"{relative} is missing: run python scripts/gz_description.py"
        assert path.read_text(encoding="utf-8") == text, f"{relative} drifted: run python scripts/gz_description.py"


def test_the_generator_check_mode_reports_a_drifted_file(tmp_path, monkeypatch, capsys):
    module = generator()
    monkeypatch.setattr(module, "ROOT", tmp_path)       # an empty tree: every file differs
    assert module.main(["--check"]) == 1
    assert "differs: urdf/panda_gz.urdf" in capsys.readouterr().out
    assert not (tmp_path / "urdf").exists(), "--check must not write"


def test_the_mujoco_urdf_carries_no_gazebo_blocks():
    root = parse("urdf/panda.urdf")
    assert root.find("gazebo") is None and root.find("ros2_control") is None
    assert "world" not in {link.get("name") for link in root.findall("link")}


# -- the URDF variants ----------------------------------------------------------------------

def _joints(root) -> dict:
    return {j.get("name"): j for j in root.findall("joint")}


@pytest.mark.parametrize("relative", [*GZ_URDFS.values(), ROS2_CONTROL_URDF])
def test_every_variant_is_the_mujoco_robot_fixed_to_the_world(relative):
    source, variant = parse("urdf/panda.urdf"), parse(relative)
    joints = _joints(variant)
    assert set(ARM_JOINTS + FINGER_JOINTS) <= set(joints), "a variant must name every arm and finger joint"
    for name, joint in _joints(source).items():       # same kinematics, limits and dynamics
        assert ET.tostring(joints[name]) == ET.tostring(joint), name
    source_links = {link.get("name") for link in source.findall("link")}
    assert {link.get("name") for link in variant.findall("link")} == source_links | {"world"}
    world = joints["world_to_base"]
    assert (world.get("type"), world.find("parent").get("link"), world.find("child").get("link")) == \
        ("fixed", "world", "panda_link0")
    assert variant.find("mujoco") is None


@pytest.mark.parametrize("relative", [*GZ_URDFS.values(), ROS2_CONTROL_URDF])
def test_every_variant_has_a_force_torque_sensor_per_pad_on_the_pad_force_topics(relative):
    root = parse(relative)
    topics = []
    for side, joint in (("left", "panda_leftpad_joint"), ("right", "panda_rightpad_joint")):
        block = root.find(f"gazebo[@reference='{joint}']")
        assert block is not None, f"no <gazebo reference='{joint}'>"
        assert block.findtext("preserveFixedJoint") == "true", "a lumped fixed joint carries no sensor"
        sensor = block.find("sensor[@type='force_torque']")
        topics.append(sensor.findtext("topic"))
        link = next(link for link in root.findall("link") if link.get("name") == f"panda_{side}pad")
        assert float(link.find("inertial/mass").get("value")) > 0, "sdformat drops a massless preserved link"
    assert tuple(topics) == BodyNodeConfig().pad_force_topics


def test_the_gz_effort_variant_forces_every_joint_and_publishes_their_states():
    root = parse(GZ_URDFS["effort"])
    assert sorted(plugin_joints(root, "ApplyJointForce")) == sorted(ARM_JOINTS + FINGER_JOINTS)
    assert all(len(p.findall("joint_name")) == 1 for p in plugins(root, "ApplyJointForce"))
    assert plugin_joints(root, "JointStatePublisher") == list(ARM_JOINTS + FINGER_JOINTS)
    assert not plugins(root, "JointPositionController"), "a position controller would fight the forces"
    assert root.find("ros2_control") is None


def test_the_gz_position_variant_positions_the_arm_and_forces_the_fingers():
    root = parse(GZ_URDFS["position"])
    assert sorted(plugin_joints(root, "ApplyJointForce")) == sorted(FINGER_JOINTS)
    assert plugin_joints(root, "JointPositionController") == list(ARM_JOINTS)
    assert plugin_joints(root, "JointStatePublisher") == list(ARM_JOINTS + FINGER_JOINTS)
    home = BodyConfig().home_q_rad
    layout = BodyNodeConfig(backend="gz").topic_layout("position")
    limits = {j.get("name"): float(j.find("limit").get("effort")) for j in root.findall("joint")
              if j.find("limit") is not None}
    for plugin, q_rad in zip(plugins(root, "JointPositionController"), home):
        joint = plugin.findtext("joint_name")
        # Its default gz topic /model/<model>/joint/<joint>/<joint_index>/cmd_pos is the bridge's target.
        assert layout.gz_joint_command_topics[joint] == \
            f"/model/panda/joint/{joint}/{plugin.findtext('joint_index')}/cmd_pos"
        assert float(plugin.findtext("p_gain")) > 0 and float(plugin.findtext("d_gain")) > 0
        assert float(plugin.findtext("cmd_max")) == limits[joint] == -float(plugin.findtext("cmd_min"))
        assert float(plugin.findtext("initial_position")) == pytest.approx(q_rad)


def test_the_ros2_control_variant_offers_what_the_controllers_claim():
    root = parse(ROS2_CONTROL_URDF)
    system = root.find("ros2_control")
    assert system.get("type") == "system"
    assert system.findtext("hardware/plugin") == "gz_ros2_control/GazeboSimSystem"
    joints = {j.get("name"): j for j in system.findall("joint")}
    assert list(joints) == list(ARM_JOINTS + FINGER_JOINTS)
    for name, joint in joints.items():
        states = [s.get("name") for s in joint.findall("state_interface")]
        assert states == ["position", "velocity", "effort"], name
    claimed = _controllers()
    for controller in ("effort_controller", "position_controller", "gripper_controller"):
        params = claimed[controller]["ros__parameters"]
        for joint in params["joints"]:
            offered = {c.get("name") for c in joints[joint].findall("command_interface")}
            assert params["interface_name"] in offered, f"{controller}: {joint} offers no {params['interface_name']}"
    plugin = root.find("gazebo/plugin[@name='gz_ros2_control::GazeboSimROS2ControlPlugin']")
    assert plugin is not None and plugin.get("filename") == "gz_ros2_control-system"
    assert plugin.findtext("parameters") == "$(find brainbody)/config/controllers.yaml"
    assert not plugins(root, "ApplyJointForce") and not plugins(root, "JointStatePublisher")
    home = dict(zip(ARM_JOINTS, BodyConfig().home_q_rad))
    for name in ARM_JOINTS:
        initial = joints[name].find("state_interface[@name='position']/param[@name='initial_value']")
        assert float(initial.text) == pytest.approx(home[name])


# -- the bridge YAML and the controllers ------------------------------------------------------

def test_the_bridge_yaml_carries_the_gz_backend_topics_with_supported_types():
    path = ROOT / "config" / "gz_bridge.yaml"
    assert path.is_file()
    entries = yaml.safe_load(path.read_text())
    keys = {"ros_topic_name", "gz_topic_name", "ros_type_name", "gz_type_name", "direction"}
    assert all(set(e) == keys for e in entries)
    assert all((e["ros_type_name"], e["gz_type_name"]) in SUPPORTED_PAIRS for e in entries)
    assert all(e["direction"] in DIRECTIONS for e in entries)
    by_topic = {e["ros_topic_name"]: e for e in entries}
    assert len(by_topic) == len(entries), "a topic is bridged twice"
    config = BodyNodeConfig(backend="gz")
    expected = {"/clock": ("/clock", "GZ_TO_ROS"), **{t: (t, "GZ_TO_ROS") for t in config.pad_force_topics}}
    for mode in ("effort", "position"):
        layout = config.topic_layout(mode)
        expected[layout.state_topic] = (layout.state_topic, "GZ_TO_ROS")
        expected.update({t: (layout.gz_joint_command_topics[j], "ROS_TO_GZ")
                         for j, t in layout.joint_command_topics.items()})
    assert {t: (e["gz_topic_name"], e["direction"]) for t, e in by_topic.items()} == expected
    # The JointPositionController's own topic (joint_index 0) on the Gazebo side.
    assert by_topic["/model/panda/joint/panda_joint1/cmd_pos"]["gz_topic_name"] == \
        "/model/panda/joint/panda_joint1/0/cmd_pos"
    assert by_topic["/world/default/model/panda/joint_state"]["ros_type_name"] == "sensor_msgs/msg/JointState"


def _controllers() -> dict:
    path = ROOT / "config" / "controllers.yaml"
    assert path.is_file()
    return yaml.safe_load(path.read_text())


def test_the_controllers_are_the_ones_the_body_commands_in_its_joint_order():
    document = _controllers()
    manager = document["controller_manager"]["ros__parameters"]
    assert manager["joint_state_broadcaster"]["type"] == "joint_state_broadcaster/JointStateBroadcaster"
    assert 0 < manager["update_rate"] <= 1000
    config = BodyNodeConfig(backend="ros2_control")
    effort, position = config.topic_layout("effort"), config.topic_layout("position")
    expected = {effort.arm_command_topic: ("effort", effort.arm_command_joints),
                position.arm_command_topic: ("position", position.arm_command_joints),
                position.gripper_command_topic: ("effort", position.gripper_command_joints)}
    assert effort.arm_command_joints == BodyNodeConfig().command_joints
    found = {}
    for name, block in document.items():
        if name == "controller_manager":
            continue
        assert manager[name]["type"] == "forward_command_controller/ForwardCommandController", name
        params = block["ros__parameters"]
        found[f"/{name}/commands"] = (params["interface_name"], tuple(params["joints"]))
    assert found == expected


# -- the world --------------------------------------------------------------------------------

def test_the_coffee_world_is_named_as_the_body_expects_and_holds_the_scene():
    from brainbody.sim.scene import SceneConfig
    root = parse(WORLD)
    world = root.find("world")
    assert world.get("name") == BodyNodeConfig().gz_world
    systems = {p.get("name") for p in world.findall("plugin")}
    assert {"gz::sim::systems::Physics", "gz::sim::systems::SceneBroadcaster", "gz::sim::systems::UserCommands",
            "gz::sim::systems::ForceTorque"} <= systems
    models = {m.get("name"): m for m in world.findall("model")}
    objects = yaml.safe_load((ROOT / "config" / "objects.yaml").read_text())["objects"]
    assert set(objects) <= set(models), "every object of config/objects.yaml is in the world"
    scene = SceneConfig()
    cup = [float(v) for v in models["cup"].findtext("pose").split()]
    assert cup[:2] == pytest.approx(list(scene.cup_start_position()[:2]), abs=1e-4)
    assert float(models["cup"].findtext("link/inertial/mass")) == pytest.approx(scene.cup_empty_mass_kg)
    assert models["cup"].findtext("static") is None, "the cup must move"
    tray = [float(v) for v in models["tray"].findtext("pose").split()]
    assert tray[:2] == pytest.approx(list(scene.tray_center_xy_m))
    assert float(world.findtext("physics/max_step_size")) == scene.timestep_s
