"""Typed errors of the brainbody core, each with a stable numeric code.

The codes are the same numbers as the ``ERROR_*`` constants declared in
``brainbody_interfaces/action/ExecutePrimitive.action`` (``ExecuteIntent`` results use the same codes)
(a unit test checks they agree). Adapters turn an exception into
``error_code`` + ``message``; nothing in the core fails silently.

Ranges follow nav2's convention of saying *whose* fault a failure is:
  1xx  request errors: the intent or primitive was refused before any motion
  2xx  run-time errors: the motion started and then failed
  3xx  system errors: something below the request is broken
"""
from __future__ import annotations

import enum


class ErrorCode(enum.IntEnum):
    NONE = 0
    # -- request errors: refused before motion, nothing moved
    UNKNOWN_INTENT = 101
    INVALID_PRIMITIVE = 102
    OUT_OF_RANGE = 103
    UNKNOWN_OBJECT = 104
    UNREACHABLE = 105
    FORCE_LIMIT = 106
    UNSUPPORTED = 107
    BUSY = 108
    ESTOP_ACTIVE = 109
    PRECONDITION_FAILED = 110
    UNSAFE_REQUEST = 111
    # -- run-time errors: motion started, then failed; the body holds safely
    TIMEOUT = 201
    GRASP_FAILED = 202
    OBJECT_DROPPED = 203
    CANCELED = 204
    TRACKING_ERROR = 205
    OVER_TEMPERATURE = 206
    OBJECT_SLIPPING = 207       # held object slips and more force would crush it: set down
    POSTCONDITION_FAILED = 208  # the body reported success, the world shows otherwise
    COMMANDER_LOST = 209        # the goal's commander (brain) went silent: the arm holds, nothing latches
    # runtime monitor (body/runtime_monitor.py): the fallback brakes to a hold and latches
    COLLISION = 220             # external force estimate above its threshold
    JOINT_LIMIT = 221           # a joint would have stopped within its limit margin
    WORKSPACE_LIMIT = 222       # the tool would have stopped outside the workspace box
    JOINT_SPEED = 223           # a joint faster than its velocity limit
    TOOL_SPEED = 224            # the tool faster than the monitor's limit
    TORQUE_SATURATED = 225      # a joint commanded at its torque limit for too long
    GRIP_FORCE_EXCEEDED = 226   # the measured grip force above the object's limit
    # -- system errors
    BODY_UNAVAILABLE = 301
    HARDWARE_MISMATCH = 302     # the backend cannot deliver the command mode or sensors configured
    HARDWARE_STATE_INVALID = 303  # a state sample was refused (missing joints, sizes, NaN, stamp)
    HARDWARE_STATE_STALE = 304  # no fresh state within the deadline: the arm holds
    INTERNAL = 399


class BrainBodyError(Exception):
    """Base of every error the core raises; carries a stable :class:`ErrorCode`."""

    code: ErrorCode = ErrorCode.INTERNAL

    def __init__(self, message: str, *, code: ErrorCode | None = None):
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self)


class RequestError(BrainBodyError):
    """The request was refused before any motion (1xx codes)."""

    code = ErrorCode.INVALID_PRIMITIVE


class UnknownIntentError(RequestError):
    """The intent text matches nothing in the skill catalogue."""

    code = ErrorCode.UNKNOWN_INTENT


class UnsafeRequestError(RequestError):
    """The intent asks for something outside the safety contracts (crush, throw, excess force)."""

    code = ErrorCode.UNSAFE_REQUEST


class InvalidPrimitiveError(RequestError):
    """A primitive field is missing, malformed, NaN or of the wrong kind."""

    code = ErrorCode.INVALID_PRIMITIVE


class OutOfRangeError(RequestError):
    """A primitive field is finite but outside the body's envelope."""

    code = ErrorCode.OUT_OF_RANGE


class UnknownObjectError(RequestError):
    """The primitive names an object or place the world model does not know."""

    code = ErrorCode.UNKNOWN_OBJECT


class UnreachableError(RequestError):
    """No joint configuration inside the limits reaches the requested pose."""

    code = ErrorCode.UNREACHABLE


class ForceLimitError(RequestError):
    """The requested grip force exceeds the object's or the gripper's limit."""

    code = ErrorCode.FORCE_LIMIT


class UnsupportedError(RequestError):
    """The primitive kind is declared in the interface but this body cannot execute it."""

    code = ErrorCode.UNSUPPORTED


class BusyError(RequestError):
    """The body is already executing a primitive."""

    code = ErrorCode.BUSY


class EstopActiveError(RequestError):
    """The latched emergency stop is active; reset it before commanding motion."""

    code = ErrorCode.ESTOP_ACTIVE


class PreconditionError(RequestError):
    """The world state does not allow the primitive (e.g. grasp with a full gripper)."""

    code = ErrorCode.PRECONDITION_FAILED


class ExecutionError(BrainBodyError):
    """The motion started and failed (2xx codes)."""

    code = ErrorCode.INTERNAL


class PostconditionError(ExecutionError):
    """A primitive the body reported done did not have its effect on the world (e.g. the
    placed object is not within tolerance of its target)."""

    code = ErrorCode.POSTCONDITION_FAILED


class CommanderLostError(ExecutionError):
    """The client that commands the running primitive stopped heartbeating (killed, network
    gone): the primitive fails and the arm holds with its object; the next goal may run."""

    code = ErrorCode.COMMANDER_LOST


class OverTemperatureError(ExecutionError):
    """A joint motor is, or would become, too hot (its winding near the insulation class limit
    or its magnets near their grade's): a primitive is refused before it starts, or the
    runtime monitor trips."""

    code = ErrorCode.OVER_TEMPERATURE


class MonitorTripError(ExecutionError):
    """The runtime monitor found the state leaving the safe set (codes 220-226): the fallback
    brakes to a hold, keeps a held object gripped, and the fault latches until ``/body/reset``."""

    code = ErrorCode.COLLISION


class HardwareError(BrainBodyError):
    """The hardware below the body is missing, mismatched or misbehaving (3xx codes)."""

    code = ErrorCode.BODY_UNAVAILABLE


class HardwareMismatchError(HardwareError):
    """The backend does not offer the command mode or a sensor the configuration needs."""

    code = ErrorCode.HARDWARE_MISMATCH


class InvalidStateError(HardwareError):
    """A state sample is malformed: missing joints, wrong sizes, non-finite values or a stamp
    that went backwards. It is refused and nothing moves on it."""

    code = ErrorCode.HARDWARE_STATE_INVALID


class StaleStateError(HardwareError):
    """No fresh state arrived within the deadline."""

    code = ErrorCode.HARDWARE_STATE_STALE
