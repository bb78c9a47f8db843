"""Goal, result and cancel requests sent from one thread while another spins the executor all
get their answers (ros2/rclpy#1123: on rclpy 7.1.6, jazzy's newest wheel, a response taken
before its request was registered was dropped and the goal reported as unanswered)."""
from __future__ import annotations

import threading
import time
import uuid

import pytest

import rclpy
from rclpy.action import ActionClient, ActionServer, CancelResponse, GoalResponse  # noqa: E402
from rclpy.callback_groups import ReentrantCallbackGroup  # noqa: E402
from rclpy.executors import MultiThreadedExecutor  # noqa: E402

from brainbody_interfaces.action import ExecuteIntent  # noqa: E402
from brainbody.ros.action_client import SerializedActionClient  # noqa: E402

pytestmark = pytest.mark.graph

_GOALS = 20


class _PreemptedAfterSend:
    """The client's C handle, with the sending thread losing the CPU right after each goal
    request leaves (as an OS does to a busy process on a loaded machine)."""

    def __init__(self, handle):
        self._handle = handle

    def send_goal_request(self, request):
        sequence_number = self._handle.send_goal_request(request)
        time.sleep(0.05)
        return sequence_number

    def send_result_request(self, request):
        sequence_number = self._handle.send_result_request(request)
        time.sleep(0.05)
        return sequence_number

    def __getattr__(self, name):
        return getattr(self._handle, name)

    def __enter__(self):
        return self._handle.__enter__()

    def __exit__(self, *exc):
        return self._handle.__exit__(*exc)


def _answered(client_class) -> int:
    """Sends _GOALS goals one after the other from this thread; returns how many got both their
    goal response and their result."""
    context = rclpy.Context()
    rclpy.init(context=context)
    node = rclpy.create_node(f"race_{uuid.uuid4().hex[:8]}", context=context)
    name = f"/race_{uuid.uuid4().hex[:8]}"
    group = ReentrantCallbackGroup()
    ActionServer(node, ExecuteIntent, name, execute_callback=lambda handle: (handle.succeed(),
                                                                           ExecuteIntent.Result())[1],
                 goal_callback=lambda _: GoalResponse.ACCEPT, cancel_callback=lambda _: CancelResponse.ACCEPT,
                 callback_group=group)
    client = client_class(node, ExecuteIntent, name, callback_group=group)
    client._client_handle = _PreemptedAfterSend(client._client_handle)
    executor = MultiThreadedExecutor(num_threads=2, context=context)
    executor.add_node(node)
    spinner = threading.Thread(target=executor.spin, daemon=True)
    spinner.start()
    try:
        assert client.wait_for_server(timeout_sec=10.0)
        count = 0
        for _ in range(_GOALS):     # one at a time, as the brain sends primitives
            answered, finished = threading.Event(), threading.Event()
            sent = client.send_goal_async(ExecuteIntent.Goal(intent="go home", dry_run=True))
            sent.add_done_callback(lambda _: answered.set())
            if not answered.wait(timeout=2.0):
                break
            sent.result().get_result_async().add_done_callback(lambda _: finished.set())
            if not finished.wait(timeout=2.0):
                break
            count += 1
        return count
    finally:
        executor.shutdown(timeout_sec=2.0)
        node.destroy_node()
        rclpy.shutdown(context=context)


def test_every_goal_sent_from_another_thread_gets_its_response():
    assert _answered(SerializedActionClient) == _GOALS


def test_the_plain_rclpy_client_loses_responses_where_rclpy_lacks_its_own_lock():
    """What the fix is for: the same preemption loses every response on an rclpy without the
    upstream lock (jazzy 7.1.6), none on one with it (kilted 9.1)."""
    upstream_lock = "_lock" in ActionClient.__init__.__code__.co_names
    assert _answered(ActionClient) == (_GOALS if upstream_lock else 0)


class _SlowHandle:
    """A goal handle whose status update takes a while (a loaded machine between two steps)."""

    def __init__(self):
        self._value = None

    @property
    def _status(self):
        return self._value

    @_status.setter
    def _status(self, value):
        time.sleep(0.05)
        self._value = value


def _run(coroutine) -> None:
    try:
        coroutine.send(None)
    except StopIteration:
        pass


@pytest.mark.parametrize("client_class", [ActionClient, SerializedActionClient])
def test_two_threads_handling_one_goal_s_final_status_never_raise(client_class):
    """rclpy's execute is not locked: two executor threads that each take a status message
    for the same finished goal both delete it, and the second raises KeyError in the executor
    (the brain node died of it in CI). SerializedActionClient handles them one at a time."""
    from action_msgs.msg import GoalStatus, GoalStatusArray
    import weakref
    rclpy.init()
    try:
        node = rclpy.create_node("status_race")
        client = client_class(node, ExecuteIntent, "/status_race", callback_group=ReentrantCallbackGroup())
        handle, goal_id = _SlowHandle(), uuid.uuid4().bytes
        client._goal_handles[goal_id] = weakref.ref(handle)
        status = GoalStatus(status=GoalStatus.STATUS_SUCCEEDED)
        status.goal_info.goal_id.uuid = list(goal_id)
        data = {"status": GoalStatusArray(status_list=[status])}
        errors = []

        def handle_status():
            try:
                _run(client.execute(data))
            except Exception as exc:   # noqa: BLE001 - what the executor would have died of
                errors.append(exc)

        threads = [threading.Thread(target=handle_status) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert goal_id not in client._goal_handles
        if client_class is SerializedActionClient:
            assert errors == []
        else:      # the race this guards against, shown on rclpy's own client
            assert [type(e) for e in errors] == [KeyError]
        node.destroy_node()
    finally:
        rclpy.try_shutdown()


def test_a_client_made_on_a_node_an_executor_already_spins_is_whole_when_the_executor_sees_it():
    """An executor spinning the node counts a new client's entities as soon as rclpy adds the
    client to the node: here at once, inside the add. rclpy 9's ActionClient is not built yet
    at that point (no lock: AttributeError, which killed a spin thread in CI);
    SerializedActionClient is."""
    context = rclpy.Context()
    rclpy.init(context=context)
    try:
        node = rclpy.create_node(f"half_built_{uuid.uuid4().hex[:8]}", context=context)
        counted = []
        add_waitable = node.add_waitable

        def add_and_count(waitable):
            add_waitable(waitable)
            counted.append(waitable.get_num_entities())     # what the executor's next wait does

        node.add_waitable = add_and_count
        client = SerializedActionClient(node, ExecuteIntent, f"/half_built_{uuid.uuid4().hex[:8]}")
        assert len(counted) == 1 and counted[0] is not None
        assert not client.server_is_ready()
        node.destroy_node()
    finally:
        rclpy.try_shutdown(context=context)
