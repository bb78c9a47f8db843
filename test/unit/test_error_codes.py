"""The core's ErrorCode numbers are the ERROR_* constants of the ExecutePrimitive action."""

from brainbody.exceptions import BrainBodyError, ErrorCode, RequestError
import brainbody.exceptions as exceptions
from brainbody.primitives import PrimitiveKind

# The project's own interface package: built by the set-up step, so missing is a failure.
import brainbody_interfaces.action as action
import brainbody_interfaces.msg as msg

PREFIX = "ERROR_"


def interface_constants(cls, prefix):
    return {name[len(prefix):]: getattr(cls, name) for name in dir(cls)
            if name.startswith(prefix) and isinstance(getattr(cls, name), int)}


def test_every_interface_constant_has_an_error_code_of_the_same_value():
    constants = interface_constants(action.ExecutePrimitive.Result, PREFIX)
    assert constants, "ExecutePrimitive.Result declares no ERROR_* constants"
    for name, value in constants.items():
        assert name in ErrorCode.__members__, f"ERROR_{name} has no ErrorCode member"
        assert ErrorCode[name] == value, f"ErrorCode.{name} = {int(ErrorCode[name])}, interface says {value}"


def test_every_error_code_is_declared_in_the_interface():
    constants = interface_constants(action.ExecutePrimitive.Result, PREFIX)
    missing = [code.name for code in ErrorCode if code.name not in constants]
    assert not missing, f"ErrorCode members missing from ExecutePrimitive.action: {missing}"


def test_error_codes_fit_the_uint16_field_and_are_unique():
    values = [int(code) for code in ErrorCode]
    assert len(set(values)) == len(values)
    assert all(0 <= v < 2 ** 16 for v in values)


def test_request_errors_are_1xx_and_every_exception_carries_a_declared_code():
    for name in dir(exceptions):
        cls = getattr(exceptions, name)
        if isinstance(cls, type) and issubclass(cls, BrainBodyError):
            assert isinstance(cls.code, ErrorCode), name
            if issubclass(cls, RequestError):
                assert 100 <= cls.code < 200, f"{name} is a request error with code {int(cls.code)}"


def test_primitive_kinds_equal_the_message_constants():
    constants = interface_constants(msg.TaskPrimitive, "KIND_")
    assert constants == {kind.name: int(kind) for kind in PrimitiveKind}
