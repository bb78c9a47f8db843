"""Parameters of the body: servo gains, motion envelope, grip loop. Declared once here;
``config/body.yaml`` sets them for the ``body_node`` and ``ros/parameters.py`` turns the
metadata into rclpy descriptors."""
from __future__ import annotations

import dataclasses
import math

from brainbody.body.hardware import CommandMode, GripForceSource
from brainbody.param_spec import param, validate

_READY = (0.0, -math.pi / 4, 0.0, -3 * math.pi / 4, 0.0, math.pi / 2, math.pi / 4)


@dataclasses.dataclass(frozen=True)
class BodyConfig:
    # -- how the body drives the hardware (checked against the backend's capabilities at start)
    command_mode: str = param("effort", "effort: the body's servo writes joint torques; position: motor-side "
                              "set-points for a vendor position loop", read_only=True)
    grip_force_source: str = param("pad_sensors", "measured grip force from pad_sensors (3-axis, slip "
                                   "detection) or finger_effort (drive effort less learned friction, no slip "
                                   "reflex); wrist_wrench is refused (it cannot see the squeeze)", read_only=True)
    # -- joint servo
    joint_stiffness_nm_per_rad: tuple = param((1500.0, 1500.0, 1500.0, 1500.0, 500.0, 400.0, 250.0),
                                              "PD stiffness per arm joint", lo=0.0, hi=5000.0)
    joint_damping_nms_per_rad: tuple = param((80.0, 80.0, 80.0, 80.0, 20.0, 15.0, 10.0),
                                             "PD damping per arm joint", lo=0.0, hi=500.0)
    joint_integral_gain_nm_per_rad_s: tuple = param((7500.0, 7500.0, 7500.0, 7500.0, 2500.0, 2000.0, 1250.0),
                                                    "PID integral gain per arm joint", lo=0.0, hi=50000.0)
    joint_integral_limit_nm: tuple = param((5.0, 5.0, 5.0, 5.0, 2.0, 2.0, 1.0),
                                           "anti-windup clamp of the integral torque per joint", lo=0.0, hi=100.0)
    joint_integral_zone_rad: float = param(0.005, "integrate only while a joint's error is within this "
                                           "(no windup while braking or blocked)", lo=0.0, hi=1.0)
    joint_integral_deadband_rad: float = param(1e-4, "stop integrating once a joint is this close (a held "
                                               "joint does not hunt through stiction)", lo=0.0, hi=0.01)
    gravity_feedforward: bool = param(True, "add model gravity torques (URDF) to the servo")
    inertia_feedforward: bool = param(True, "add link inertia/Coriolis (Newton-Euler on the desired motion) "
                                      "and the estimated rotor inertia to the servo")
    friction_compensation: bool = param(True, "feed forward the estimated motor and output-bearing friction")
    backlash_compensation: bool = param(True, "shift the motor set-point across the estimated backlash gap")
    compliance_compensation: bool = param(True, "add the estimated gear twist under load to the motor set-point")
    drivetrain_estimates: tuple = param(("harmonic",) * 7, "per joint: the set of drivetrain estimates in "
                                        "config/drivetrain_estimates.yaml the compensators use")
    friction_smoothing_velocity_radps: float = param(0.001, "speed over which the friction feed-forward "
                                                     "changes sign (smooth, no chatter)", lo=1e-5, hi=1.0)
    backlash_reversal_torque_nm: float = param(0.02, "while moving, transmitted torque that sets the backlash "
                                               "side", lo=0.0, hi=10.0)
    backlash_static_torque_nm: float = param(1.0, "at rest, static load (gravity) that sets the backlash side",
                                             lo=0.0, hi=50.0)
    backlash_min_speed_radps: float = param(0.002, "below this desired speed a joint counts as at rest",
                                            lo=0.0, hi=1.0)
    backlash_takeup_s: float = param(0.1, "time to take up the backlash gap at a reversal", lo=0.002, hi=0.5)
    backlash_identification: bool = param(True, "identify each joint's lost motion online from its motor and link "
                                          "encoders (joints with a link encoder, where the load changes sign); "
                                          "reported on /diagnostics and, with adaptive_compensation, used by the "
                                          "backlash compensator")
    backlash_id_time_constant_s: float = param(60.0, "memory of the online lost-motion estimate (how fast it "
                                               "follows wear)", lo=1.0, hi=1e6)
    friction_identification: bool = param(True, "effort mode: identify each joint's Coulomb and viscous friction "
                                           "online from the commanded torque and the motor encoder (where the joint "
                                           "slides both ways); reported on /diagnostics and, with adaptive_compensation, "
                                           "its Coulomb level used by the friction compensator")
    friction_id_time_constant_s: float = param(300.0, "memory of the online friction estimate (how fast it follows "
                                               "the lubricant's temperature and wear)", lo=1.0, hi=1e6)
    friction_id_min_speed_radps: float = param(0.03, "a joint's torque counts for friction and payload "
                                               "identification only above this speed (at the edge of the Stribeck "
                                               "region)", lo=0.001, hi=1.0)
    adaptive_compensation: bool = param(False, "the friction and backlash compensators follow the online "
                                        "estimates (Coulomb level, lost motion) and the friction check's viscous "
                                        "coefficient where a joint has one, each bounded to 0.5-3x the datasheet, "
                                        "and a joint found demagnetised has its commands scaled up by the torque "
                                        "it lost (a loss over half is taken for a misreading and not used); off: "
                                        "the datasheet values throughout")
    payload_identification: bool = param(True, "effort mode: identify the mass the hand carries beyond the model "
                                         "(tool, held object) from the joint torques while the arm moves; reported "
                                         "on /diagnostics")
    max_feedforward_accel_radps2: float = param(20.0, "clip on the desired acceleration used for feed-forward",
                                                lo=0.0, hi=500.0)
    tracking_error_limit_rad: float = param(0.25, "abort a motion when any joint lags its set-point by more",
                                            lo=0.01, hi=1.0)
    stop_deceleration_radps2: float = param(3.0, "joint deceleration of a controlled stop (cancel, e-stop)",
                                            lo=0.1, hi=50.0)
    # -- motion envelope
    home_q_rad: tuple = param(_READY, "home configuration of the 7 arm joints", lo=-3.1, hi=3.8)
    joint_speed_scale: float = param(0.5, "fraction of the URDF velocity limits used by planned motions",
                                     lo=0.05, hi=1.0)
    default_tool_speed_mps: float = param(0.25, "tool speed when a primitive gives none", lo=0.01, hi=1.0)
    max_tool_speed_mps: float = param(0.5, "largest tool speed a primitive may ask for", lo=0.01, hi=1.5)
    transit_height_m: float = param(0.42, "tool height for moves between places (clears the machine)",
                                    lo=0.1, hi=0.8)
    approach_height_m: float = param(0.10, "pre-grasp height of the tool above the grasp pose", lo=0.02, hi=0.3)
    grasp_below_top_m: float = param(0.03, "grasp this far below an object's top", lo=0.0, hi=0.2)
    place_clearance_m: float = param(0.003, "release an object this far above the surface", lo=0.0, hi=0.02)
    default_lift_height_m: float = param(0.10, "lift height when a primitive gives none", lo=0.01, hi=0.3)
    max_lift_height_m: float = param(0.30, "largest lift a primitive may ask for", lo=0.01, hi=0.5)
    fingertip_below_tcp_m: float = param(0.01, "fingertips reach this far below the tool centre point",
                                         lo=0.0, hi=0.1)
    press_depth_m: float = param(0.010, "how far past a button's top the fingertips push", lo=0.0, hi=0.03)
    press_dwell_s: float = param(0.3, "hold a button down this long", lo=0.0, hi=5.0)
    workspace_min_m: tuple = param((0.15, -0.70, -0.005), "lower corner of the tool workspace box",
                                   lo=-2.0, hi=2.0)
    workspace_max_m: tuple = param((0.80, 0.70, 0.70), "upper corner of the tool workspace box", lo=-2.0, hi=2.0)
    max_wait_s: float = param(120.0, "longest wait primitive accepted", lo=0.0, hi=3600.0)
    max_timeout_s: float = param(300.0, "longest primitive timeout accepted", lo=1.0, hi=3600.0)
    default_timeout_s: float = param(30.0, "primitive timeout when none is given", lo=1.0, hi=3600.0)
    max_command_age_s: float = param(0.5, "refuse joint trajectories stamped longer ago than this", lo=0.0, hi=10.0)
    max_command_lead_s: float = param(0.05, "refuse joint trajectories stamped further ahead of the body's clock "
                                      "than this (clock skew allowance; a stamp on another clock is refused)",
                                      lo=0.0, hi=1.0)
    trajectory_stream_timeout_s: float = param(0.1, "a joint trajectory ending with a non-zero velocity is a "
                                               "stream: past its last point the arm coasts this long waiting "
                                               "for the next message, then brakes to a hold", lo=0.0, hi=1.0)
    # -- latched stop (/body/estop, /body/reset)
    reset_max_joint_speed_radps: float = param(0.01, "/body/reset clears a latched stop only while every arm "
                                               "joint is slower than this (the arm is at rest)", lo=1e-4, hi=0.5)
    # -- runtime monitor and fallback (body/runtime_monitor.py, body/fallback.py)
    runtime_monitor: bool = param(True, "check every command before it is written; on a violation the fallback "
                                  "brakes to a hold, keeps the object gripped and latches the code until /body/reset")
    monitor_joint_limit_margin_rad: float = param(0.02, "the fallback takes over when a joint braked now would stop "
                                                  "closer than this to its URDF limit", lo=0.0, hi=0.5)
    monitor_joint_speed_tolerance: float = param(0.1, "trip when a joint is faster than its URDF velocity limit by "
                                                 "more than this fraction", lo=0.0, hi=1.0)
    monitor_max_tool_speed_mps: float = param(1.0, "trip when the measured tool speed exceeds this", lo=0.05, hi=3.0)
    monitor_torque_saturation_max_s: float = param(0.2, "trip when a joint is commanded at its torque limit for "
                                                   "longer than this", lo=0.0, hi=5.0)
    monitor_collision_threshold_nm: tuple = param((10.0, 10.0, 10.0, 10.0, 4.0, 4.0, 4.0),
                                                  "effort mode: trip when the momentum observer's external torque "
                                                  "estimate exceeds this on a joint", lo=0.1, hi=200.0)
    monitor_collision_confirm_s: float = param(0.01, "the collision estimate must stay above its threshold this "
                                               "long to trip (gear impacts give shorter spikes)", lo=0.0, hi=0.5)
    monitor_observer_gain_per_s: float = param(50.0, "bandwidth of the momentum observer (its estimate follows an "
                                               "external torque with time constant 1/gain)", lo=1.0, hi=1000.0)
    monitor_position_lag_limit_rad: float = param(0.05, "position mode: trip when a joint lags the set-point written "
                                                  "by more (collision estimate)", lo=0.001, hi=1.0)
    monitor_grip_force_margin_n: float = param(0.4, "trip when the measured grip force exceeds the object's limit "
                                               "by more than this", lo=0.0, hi=10.0)
    monitor_grip_force_confirm_s: float = param(0.01, "the grip force must stay above that this long to trip (a load "
                                                "step gives the pad sensors a one-tick spike)", lo=0.0, hi=0.5)
    # -- motor thermal protection (body/motor_thermal.py)
    thermal_protection: bool = param(True, "effort mode: derate joint torques so that the estimated motor "
                                     "temperatures stay under their bounds, and refuse with OVER_TEMPERATURE (206) a "
                                     "primitive predicted to pass them (the estimates are published either way)")
    motor_datasheets: tuple = param(("large",) * 4 + ("small",) * 3, "per joint: the motor's thermal datasheet in "
                                    "config/motor_datasheets.yaml")
    motor_ambient_c: float = param(25.0, "air temperature around the arm, assumed when the robot reports no motor "
                                   "housing temperature", lo=-20.0, hi=60.0)
    winding_limit_c: float = param(155.0, "insulation class limit of the motor windings (class F: 155 C)",
                                   lo=80.0, hi=240.0)
    winding_margin_c: float = param(20.0, "derating keeps the estimated winding this far below its limit (the "
                                    "estimate's error in a fast 3x overload of motors 5 % off their datasheet: "
                                    "about 2 C where the drives report their voltage, up to about 15 C from "
                                    "current and housing alone)", lo=0.0, hi=60.0)
    magnet_limit_c: float = param(150.0, "highest magnet temperature without irreversible loss (NdFeB SH grade: "
                                  "150 C)", lo=60.0, hi=240.0)
    magnet_margin_c: float = param(20.0, "derating keeps the estimated magnets this far below their limit",
                                   lo=0.0, hi=60.0)
    thermal_derating_horizon_s: float = param(2.0, "I2t: a joint may draw any current that would not take its "
                                              "motor past a bound within this time (peaks stay available until a "
                                              "bound is near)", lo=0.1, hi=60.0)
    torque_constant_warn_frac: float = param(0.08, "a motor whose torque constant, measured from its drive's "
                                             "back-EMF, is this far under its reference (torque_constant_reference_"
                                             "nm_per_a, else the datasheet) at the magnets' estimated temperature is "
                                             "reported (WARN: demagnetised); a catalogue's tolerance is about 5 %",
                                             lo=0.02, hi=0.5)
    torque_constant_reference_nm_per_a: tuple = param(
        (0.0,) * 7, "each arm motor's torque constant at 25 C as measured on this robot at commissioning (N m/A, "
        "the healthy robot's torque_constant_25c_nm_per_a on /diagnostics): the torque-constant check compares "
        "with it instead of the datasheet, so a unit's tolerance is not taken for a loss; 0: the datasheet's",
        lo=0.0, hi=10.0)
    # -- gripper and grip-force loop
    gripper_max_force_n: float = param(70.0, "largest grip force the hand can exert", lo=1.0, hi=200.0)
    finger_open_m: float = param(0.04, "opening of each finger when fully open", lo=0.0, hi=0.04)
    finger_position_gain_npm: float = param(600.0, "finger position loop stiffness", lo=0.0, hi=5000.0)
    finger_damping_nspm: float = param(15.0, "finger position loop damping", lo=0.0, hi=500.0)
    finger_position_force_limit_n: float = param(20.0, "force cap while positioning fingers (no object)",
                                                 lo=0.0, hi=100.0)
    approach_speed_mps: float = param(0.03, "finger closing speed before contact", lo=0.001, hi=0.2)
    approach_speed_gain_nspm: float = param(60.0, "proportional gain of the finger speed loop before contact",
                                            lo=0.0, hi=1000.0)
    approach_integral_gain_npm: float = param(1000.0, "integral gain of the finger speed loop before contact "
                                              "(it learns the force that moves each finger)", lo=0.0, hi=20000.0)
    approach_force_fraction: float = param(0.1, "force cap before contact beyond the learned finger force, "
                                           "as a fraction of the target", lo=0.05, hi=1.0)
    contact_threshold_n: float = param(0.25, "pad force that counts as contact", lo=0.01, hi=5.0)
    pad_tare_time_constant_s: float = param(0.1, "pad_sensors: time constant with which the pads' zero is "
                                            "learned while the fingers move in free air (positioning, or closing "
                                            "before contact) and every reading is under contact_threshold_n; the "
                                            "zero never exceeds half that threshold (0: never tare)", lo=0.0, hi=60.0)
    force_ramp_s: float = param(0.10, "time to ramp from contact to the target force", lo=0.0, hi=2.0)
    force_integral_gain_per_s: float = param(60.0, "integral gain of the grip-force loop", lo=0.0, hi=200.0)
    finger_friction_allowance_n: float = param(2.0, "how far the force command may exceed the set-point "
                                               "to overcome finger friction", lo=0.0, hi=10.0)
    force_tolerance_n: float = param(0.25, "grip force is settled within this of the target", lo=0.01, hi=5.0)
    grip_settle_s: float = param(0.15, "force must stay within tolerance this long", lo=0.0, hi=2.0)
    grip_timeout_s: float = param(3.0, "give up closing after this long", lo=0.1, hi=30.0)
    hold_lost_force_n: float = param(0.3, "below this pad force a held object is lost", lo=0.0, hi=5.0)
    finger_friction_estimate_n: float = param(1.0, "finger_effort source: each finger drive's friction before the "
                                              "body has learned it (datasheet value)", lo=0.0, hi=20.0)
    # -- slip detection and reflex (body/slip_detection.py)
    slip_reflex: bool = param(True, "raise the grip force when the pads' tangential load nears the friction cone")
    pad_friction_estimate: float = param(0.8, "friction coefficient between pads and objects assumed by the slip "
                                         "detector (keep it on the low side)", lo=0.05, hi=3.0)
    grip_safety_margin: float = param(1.3, "hold with this multiple of the force the friction cone needs",
                                      lo=1.0, hi=5.0)
    slip_force_decay_n_per_s: float = param(1.0, "a force raised by the slip reflex returns to the target "
                                            "at this rate once the load goes", lo=0.0, hi=100.0)
    slip_confirm_s: float = param(0.02, "holding needs more than the object's limit this long: set it down",
                                  lo=0.0, hi=1.0)
    slip_speed_scale: float = param(0.3, "motions slow to this fraction while the hold has no margin left",
                                    lo=0.05, hi=1.0)
    late_state_speed_scale: float = param(0.35, "position mode, object in hand: each late state halves the "
                                          "motion speed, down to this fraction", lo=0.05, hi=1.0)
    late_state_recovery_s: float = param(2.0, "position mode: punctual states bring the motion speed back "
                                         "from zero to full over this time", lo=0.1, hi=60.0)
    set_down_speed_mps: float = param(0.05, "tool speed when setting down an object that slips", lo=0.005, hi=0.5)

    def __post_init__(self):
        validate(self)      # first: types and ranges (a scalar where a list belongs is a ValueError)
        for name, enum_type in (("command_mode", CommandMode), ("grip_force_source", GripForceSource)):
            known = [m.value for m in enum_type]
            if getattr(self, name) not in known:
                raise ValueError(f"{name} must be one of {known}, got {getattr(self, name)!r}")
        for name in ("joint_stiffness_nm_per_rad", "joint_damping_nms_per_rad", "home_q_rad",
                     "joint_integral_gain_nm_per_rad_s", "joint_integral_limit_nm", "drivetrain_estimates",
                     "monitor_collision_threshold_nm", "motor_datasheets"):
            if len(getattr(self, name)) != 7:
                raise ValueError(f"{name} needs 7 values, got {len(getattr(self, name))}")
        for name in ("workspace_min_m", "workspace_max_m"):
            if len(getattr(self, name)) != 3:
                raise ValueError(f"{name} needs 3 values")
        if self.default_tool_speed_mps > self.max_tool_speed_mps:
            raise ValueError("default_tool_speed_mps exceeds max_tool_speed_mps")
