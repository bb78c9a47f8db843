"""The body's health report: one status per arm joint, the gripper and the control loop.

Plain data, no ROS: the body node turns each :class:`HealthStatus` into a
``diagnostic_msgs/DiagnosticStatus`` on ``/diagnostics``. Keys carry their unit.
"""
from __future__ import annotations

import dataclasses
import enum
import math
from typing import Optional

from brainbody.body.control_loop import STALL_S, LoopTiming
from brainbody.body.controller import BodyController
from brainbody.body.drivetrain_estimates import ARCMIN_RAD
from brainbody.body.robot_model import ARM_JOINTS
from brainbody.body.stop_latch import StopLatch
from brainbody.body.timing_histogram import TimingHistogram
from brainbody.body.trajectory_command import CommandLog


class Level(enum.IntEnum):
    """Same numbers as ``diagnostic_msgs/DiagnosticStatus`` levels."""

    OK = 0
    WARN = 1
    ERROR = 2
    STALE = 3


@dataclasses.dataclass(frozen=True)
class HealthStatus:
    level: Level
    name: str
    hardware_id: str
    message: str
    values: tuple[tuple[str, str], ...]


def _payload_values(body: BodyController) -> tuple[tuple[str, str], ...]:
    """The hand's identified load (body/payload_identification.py), when the body identifies it."""
    payload = body.payload_id
    if payload is None:
        return ()
    load, held = payload.mass_kg, payload.held_object_kg
    return (("payload_identified_kg", f"{load:.3f}" if math.isfinite(load) else "not observed yet (the arm has not moved)"),
            ("payload_identified_std_kg", f"{payload.mass_std_kg:.3f}"),
            ("held_object_identified_kg", f"{held:.3f}" if math.isfinite(held) else "none held or not observed yet"))


def _drive_weighing_values(body: BodyController) -> tuple[tuple[str, str], ...]:
    """The load weighed by the drives on request (body/payload_weighing.py, effort mode)."""
    weighing = body.drive_weighing
    if weighing is None:
        return ()
    weighed = math.isfinite(weighing.mass_kg)
    return (("payload_weighing", weighing.message),
            ("payload_weighed_kg", f"{weighing.mass_kg:.4f}" if weighed else "not weighed yet (/body/weigh_payload)"),
            ("payload_weighed_std_kg", f"{weighing.mass_std_kg:.4f}" if weighed else "-"),
            ("payload_weighed_object", weighing.weighed_object or ""))


def _weighing_values(body: BodyController) -> tuple[tuple[str, str], ...]:
    """The held object weighed by the pads (body/object_weighing.py), on a hand with 3-axis pads."""
    weighing = body.weighing
    if weighing is None:
        return ()
    mass = weighing.mass_kg if body.holding else math.nan
    return (("held_object_weighed_kg", f"{mass:.4f}" if math.isfinite(mass)
             else "none held, or not weighed yet (the body weighs at the end of a lift)"),)


def compensation_label(state: dict) -> str:
    """``compensated (gravity, inertia, ...)`` or ``plain PID + gravity``."""
    extra = [name for name, on in state.items() if on and name != "gravity"]
    if not extra:
        return "plain PID" + (" + gravity" if state.get("gravity") else "")
    return f"compensated ({', '.join(name for name, on in state.items() if on)})"


class BodyDiagnostics:
    """Builds the body's statuses; the figures that never change are formatted once.

    Args:
        body: the controller reported on.
        joint_tracking_warn_rad: a joint turns WARN when its link tracking error exceeds this.
    """

    def __init__(self, body: BodyController, *, joint_tracking_warn_rad: float):
        self.body = body
        self.warn_rad = float(joint_tracking_warn_rad)
        servo = body.servo
        switches = [(f"compensation_{name}", str(on).lower()) for name, on in servo.compensation_state.items()]
        self._static = []
        for i in range(len(ARM_JOINTS)):
            estimates = [(f"estimate_{key}", value if isinstance(value, str) else f"{value:.6g}")
                         for key, value in servo.estimates.summary(i).items()]
            self._static.append(tuple(switches + estimates))

    def statuses(self, timing: LoopTiming, scheduling: str = "normal") -> list[HealthStatus]:
        body = self.body
        return [*self.joint_statuses(), self.gripper_status(),
                commands_status(body.commands, body.stop_latch, invalid_state_ticks=body.invalid_state_ticks),
                monitor_status(body),
                loop_status(timing, scheduling, failed_ticks=body.failed_ticks, stale_ticks=body.stale_ticks,
                            identification_failures=body.identification_failures)]

    def joint_statuses(self) -> list[HealthStatus]:
        body = self.body
        servo, state = body.servo, body.state
        q_link_est = servo.link_estimate_rad(state.q_rad)
        link_error = body.q_cmd_rad - q_link_est
        encoder_error = None if state.q_link_rad is None else body.q_cmd_rad - state.q_link_rad
        label = compensation_label(servo.compensation_state)
        side = servo.backlash.side
        identified = body.backlash_id.width_rad if body.backlash_id is not None else None
        friction_id = body.friction_id
        if friction_id is not None:
            coulomb, viscous = friction_id.coulomb_nm, friction_id.viscous_nms_per_rad
        remaining = body.wear.remaining_life_h
        thermal = body.thermal
        if thermal is not None:
            winding, magnet, housing = thermal.winding_c, thermal.magnet_c, thermal.housing_c
            limit, derating = thermal.torque_limit_nm, thermal.derating
            resistance, implausible = thermal.winding_resistance_ohm, thermal.implausible_drive_readings
            kt = body.torque_constant
            kt_ratios, demagnetised, kt_25c = kt.ratio, kt.demagnetised, kt.constant_at_25c_nm_per_a
        out = []
        for i, name in enumerate(ARM_JOINTS):
            error = float(link_error[i])
            warn = abs(error) > self.warn_rad
            values = [("link_setpoint_rad", f"{body.q_cmd_rad[i]:.6f}"),
                      ("link_estimate_rad", f"{q_link_est[i]:.6f}"),
                      ("link_tracking_error_rad", f"{error:.9g}"),   # precise enough to compare with the threshold
                      ("motor_setpoint_rad", f"{servo.motor_setpoint_rad[i]:.6f}"),
                      ("motor_error_rad", f"{servo.motor_error_rad[i]:.6f}"),
                      ("velocity_radps", f"{state.qd_radps[i]:.4f}"),
                      ("transmitted_torque_estimate_nm", f"{servo.transmitted_torque_nm[i]:.3f}"),
                      ("backlash_side", f"{side[i]:+.2f}"),
                      ("backlash_offset_arcmin", f"{servo.backlash_offset_rad[i] / ARCMIN_RAD:.2f}"),
                      ("twist_offset_arcmin", f"{servo.twist_offset_rad[i] / ARCMIN_RAD:.2f}")]
            if encoder_error is not None:
                values.append(("link_encoder_error_rad", f"{encoder_error[i]:.6f}"))
            if identified is not None:
                values.append(("backlash_identified_arcmin", f"{identified[i] / ARCMIN_RAD:.3f}"
                               if math.isfinite(float(identified[i])) else "not observed yet (the load has not changed sign)"))
            if friction_id is not None:
                values.append(("friction_coulomb_identified_nm", f"{coulomb[i]:.3f}" if math.isfinite(float(coulomb[i]))
                               else "not observed yet (the joint has not slid both ways)"))
                values.append(("friction_viscous_identified_nms_per_rad", f"{viscous[i]:.4f}"
                               if math.isfinite(float(viscous[i])) else "not observed yet (too few speeds)"))
            if body.friction_check is not None:      # the last friction check (/body/check_friction)
                checked = body.friction_check
                values += [("friction_check", checked.message),
                           ("friction_coulomb_checked_nm", f"{checked.coulomb_nm[i]:.3f}"
                            if math.isfinite(float(checked.coulomb_nm[i])) else "not checked"),
                           ("friction_viscous_checked_nms_per_rad", f"{checked.viscous_nms_per_rad[i]:.4f}"
                            if math.isfinite(float(checked.viscous_nms_per_rad[i])) else "not checked")]
            if body.wear.checks:             # since the first drivetrain check
                ratio, life = float(body.wear.ratio[i]), float(remaining[i])
                values += [("wear_lost_motion_ratio", f"{ratio:.3f}" if math.isfinite(ratio) else "not observed"),
                           ("remaining_life_h", f"{life:.1f}" if math.isfinite(life) else
                            ("no growth seen" if life == math.inf else "not known yet (three checks needed)"))]
            if body.adaptive is not None:     # what the compensators use now, over the datasheet
                values += [("adaptive_friction_factor", f"{body.adaptive.friction_factor[i]:.3f}"),
                           ("adaptive_viscous_factor", f"{body.adaptive.viscous_factor[i]:.3f}"),
                           ("adaptive_backlash_factor", f"{body.adaptive.backlash_factor[i]:.3f}"),
                           ("adaptive_torque_share", f"{body.adaptive.torque_share[i]:.3f}")]
            message = (f"tracking error {error / ARCMIN_RAD:.1f} arcmin"
                       f"{f' above {self.warn_rad / ARCMIN_RAD:.1f}' if warn else ''}; {label}")
            if thermal is not None:
                # Estimates (body/motor_thermal.py); a joint being derated is WARN.
                values += [("winding_temperature_c", f"{winding[i]:.1f}"), ("magnet_temperature_c", f"{magnet[i]:.1f}"),
                           ("housing_temperature_c", f"{housing[i]:.1f}"),
                           ("thermal_torque_limit_nm", f"{limit[i]:.1f}"),
                           ("thermal_derating", str(bool(derating[i])).lower())]
                if derating[i]:
                    warn = True
                    message += f"; derated to {limit[i]:.1f} N m (winding {winding[i]:.0f} C, magnets {magnet[i]:.0f} C)"
                values.append(("winding_resistance_ohm", f"{resistance[i]:.4f}" if math.isfinite(float(resistance[i]))
                               else "not measured (no drive voltage, or no load held yet)"))
                if implausible[i]:
                    warn = True
                    values.append(("drive_readings_implausible", str(int(implausible[i]))))
                    message += f"; drive voltage/current implausible {int(implausible[i])} times (not used)"
                kt_ratio = float(kt_ratios[i])
                unmeasured = "not measured (no drive voltage, or the joint has not moved enough)"
                values.append(("torque_constant_ratio", f"{kt_ratio:.3f}" if math.isfinite(kt_ratio) else unmeasured))
                values.append(("torque_constant_25c_nm_per_a", f"{kt_25c[i]:.5f}" if math.isfinite(kt_25c[i])
                               else unmeasured))
                if demagnetised[i]:
                    warn = True
                    against = "its commissioning value" if kt.commissioned[i] else "its datasheet"
                    message += (f"; torque constant {100 * (1 - kt_ratio):.0f} % under {against} (from the "
                                "back-EMF): " + ("magnets demagnetised?" if kt_ratio >= 0.5 else
                                                 "more than magnets lose: is the drive's voltage reading right?"))
            if body.wear.flagged[i]:
                warn = True
                message += (f"; lost motion {body.wear.ratio[i]:.1f}x its first check: reducer due for service")
            out.append(HealthStatus(Level.WARN if warn else Level.OK, f"body/joint/{name}", name, message,
                                    tuple(values) + self._static[i]))
        return out

    def gripper_status(self) -> HealthStatus:
        body = self.body
        grip = body.grip
        return HealthStatus(
            Level.WARN if grip.hold_at_limit else Level.OK, "body/gripper", "panda_hand",
            f"{grip.mode.value}, slip {grip.slip.state.value}",
            (("mode", grip.mode.value),
             ("grip_force_n", f"{grip.measured_force_n:.3f}"),
             ("target_force_n", f"{grip.target_force_n:.3f}"),
             ("setpoint_force_n", f"{grip.setpoint_n:.3f}"),
             ("limit_force_n", f"{grip.limit_force_n:.3f}"),
             ("slip_state", grip.slip.state.value),
             ("friction_cone_utilisation", f"{grip.slip.utilisation:.3f}"),
             ("slip_reflex_active", str(grip.reflex_active).lower()),
             ("holding", body.holding or ""),
             # Which sensor the loop closes on, and how far above its reading the squeeze may be.
             ("grip_force_source", body.grip_source.source.value),
             ("grip_force_uncertainty_n", f"{body.grip_source.uncertainty_n:.3f}"),
             *_payload_values(body),
             *_weighing_values(body),
             *_drive_weighing_values(body)))


def commands_status(commands: CommandLog, latch: StopLatch, *, invalid_state_ticks: int = 0) -> HealthStatus:
    """``body/commands``: the latched stop, and what became of ``/body/joint_trajectory``
    commands, which have no reply channel of their own. ERROR while a fault is latched, WARN
    while the e-stop is latched or when the latest trajectory was refused or its stream timed
    out (until the next one is accepted), else OK."""
    if latch.fault is not None:
        level = Level.ERROR
    elif latch.estop or commands.last_refused:
        level = Level.WARN
    else:
        level = Level.OK
    parts = [f"latched: {latch.describe()}, /body/reset to clear" if latch.active else "no stop latched"]
    if commands.last_refused:
        parts.append(f"last trajectory refused [{commands.last_code}]: {commands.last_message}")
    return HealthStatus(level, "body/commands", "body", "; ".join(parts), (
        ("estop_latched", str(latch.estop).lower()),
        ("fault_latched_code", str(int(latch.fault.code)) if latch.fault is not None else "0"),
        ("fault_latched_message", latch.fault.message if latch.fault is not None else ""),
        ("trajectories_accepted", str(commands.accepted)),
        ("trajectories_refused", str(commands.refused)),
        ("stream_timeouts", str(commands.stream_timeouts)),
        ("last_refusal_code", str(commands.last_code)),
        ("last_refusal_message", commands.last_message),
        ("last_refusal_time_s", f"{commands.last_time_s:.3f}"),
        ("invalid_state_ticks", str(invalid_state_ticks))))


def monitor_status(body: BodyController) -> HealthStatus:
    """``body/monitor``: the runtime monitor and the fallback. ERROR while the fallback drives the
    arm (which check tripped, with its code), OK otherwise; the values are the latest margin of
    each check (positive: inside the safe set)."""
    monitor, fallback, trip = body.monitor, body.fallback, body.monitor_trip
    if fallback.active:
        reason = fallback.reason
        code = int(reason.code) if reason is not None else 0
        what = trip.check.value if trip is not None else "tick failure"
        level, message = Level.ERROR, f"fallback holding: {what} [{code}], /body/reset to resume"
    elif monitor is None:
        level, message = Level.WARN, "runtime monitor off (runtime_monitor false)"
    else:
        level, message = Level.OK, "all checks pass"
    margins = monitor.margins if monitor is not None else {}
    return HealthStatus(level, "body/monitor", "body", message, (
        ("monitor_enabled", str(monitor is not None).lower()),
        ("fallback_active", str(fallback.active).lower()),
        ("tripped_check", trip.check.value if trip is not None and fallback.active else ""),
        ("tripped_code", str(int(fallback.reason.code)) if fallback.active and fallback.reason is not None else "0"),
        ("tripped_message", fallback.reason.message if fallback.active and fallback.reason is not None else ""),
        # Hardware (sim) time of the trip: a test compares it with the simulator's ground truth.
        ("tripped_at_s", f"{trip.time_s:.4f}" if trip is not None and fallback.active else ""),
        ("yielding", str(fallback.yielding).lower()),
        ("trips", str(body.monitor_trips)),
        *((key, f"{value:.4g}") for key, value in margins.items()),
        # Motor temperatures are estimated from the torques written: effort mode only.
        ("temperature_monitored", str(monitor is not None and body.thermal is not None).lower())))


def loop_status(timing: LoopTiming, scheduling: str = "normal", *, failed_ticks: int = 0,
                stale_ticks: int = 0, identification_failures: int = 0) -> HealthStatus:
    """The control loop since it started: tick cost and the measured period (hardware clock),
    with the period's histogram; ``scheduling``: how its thread is scheduled. WARN once a tick's
    computation has failed (the body then held), or the drivetrain identification failed (it is
    then switched off)."""
    p50, p99, top = timing.period_percentiles_s(0.5, 0.99, 1.0)
    level, message = ((Level.WARN, f"{failed_ticks} ticks failed and held") if failed_ticks
                      else (Level.WARN, "running; drivetrain identification failed and is off")
                      if identification_failures else (Level.OK, "running"))
    return HealthStatus(level, "body/control_loop", "body", message, (
        ("scheduling", scheduling),
        ("failed_ticks", str(failed_ticks)),
        ("identification_failures", str(identification_failures)),
        ("stale_ticks", str(stale_ticks)),
        ("median_step_us", f"{timing.median_tick_cost_s() * 1e6:.1f}"),
        # The tick without the hardware's step: what a real drive's cycle leaves the body to do.
        ("control_p50_us", f"{timing.control_cost.percentile_s(0.5) * 1e6:.0f}"),
        ("control_p99_us", f"{timing.control_cost.percentile_s(0.99) * 1e6:.0f}"),
        ("control_max_us", f"{timing.control_cost.max_s * 1e6:.0f}"),
        ("periods", str(timing.count)),
        ("period_p50_ms", f"{p50 * 1e3:.3f}"),
        ("period_p99_ms", f"{p99 * 1e3:.3f}"),
        ("period_max_ms", f"{top * 1e3:.3f}"),
        ("period_histogram_ms", timing.period.buckets()),
        # Wall clock: the loop's longest pause between two periods, and how many passed STALL_S.
        ("wall_gap_max_ms", f"{timing.wall_gap_max_s * 1e3:.1f}"),
        (f"wall_gaps_over_{STALL_S * 1e3:.0f}ms", str(timing.stalls))))


def hardware_status(backend: str, state_age_s: float, *, deadline_s: float, hold_s: float, refused: int,
                    last_refusal, stale_steps: int, latency: Optional[TimingHistogram] = None,
                    resent_commands: int = 0) -> HealthStatus:
    """A topic backend's state stream: WARN once the state is older than ``deadline_s``,
    ERROR once older than ``hold_s`` (the arm then holds). ``latency``: state arrival to the
    command it produced (wall), since start. ``resent_commands``: commands sent again to a
    robot that repeated its state without taking them."""
    latency = latency or TimingHistogram()
    if state_age_s > hold_s:
        level, message = Level.ERROR, f"no fresh state for {state_age_s * 1e3:.0f} ms: holding"
    elif state_age_s > deadline_s:
        level, message = Level.WARN, f"state {state_age_s * 1e3:.0f} ms old (deadline {deadline_s * 1e3:.0f} ms)"
    else:
        level, message = Level.OK, "state fresh"
    if refused:
        message += f"; {refused} state samples refused, last: {last_refusal}"
    return HealthStatus(level, "body/hardware", backend, message, (
        ("state_age_ms", f"{state_age_s * 1e3:.1f}"),
        ("state_deadline_ms", f"{deadline_s * 1e3:.1f}"),
        ("refused_states", str(refused)),
        ("last_refusal_code", str(int(last_refusal.code)) if last_refusal is not None else "0"),
        ("stale_steps", str(stale_steps)),
        ("resent_commands", str(resent_commands)),
        ("latency_p50_ms", f"{latency.percentile_s(0.5) * 1e3:.3f}"),
        ("latency_p99_ms", f"{latency.percentile_s(0.99) * 1e3:.3f}"),
        ("latency_max_ms", f"{latency.percentile_s(1.0) * 1e3:.3f}"),
        ("latency_histogram_ms", latency.buckets())))
