"""Polling helper shared by the graph tests (DDS delivers asynchronously)."""
import subprocess
import time


def wait_for(predicate, timeout_s: float) -> bool:
    """True as soon as ``predicate()`` is, False after ``timeout_s`` of wall time."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def stop_processes(procs, timeout_s: float = 10.0) -> None:
    """SIGTERM every process, then wait for each; one that does not end in ``timeout_s`` is killed."""
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def stop_spinning(executor, thread, timeout_s: float = 5.0) -> None:
    """Shut ``executor`` down and wait for ``thread`` (spinning it) to end. Only then may the
    context be shut down: a spin thread still between two waits would build its next wait set
    on an invalid context and die with RCLError."""
    executor.shutdown(timeout_sec=timeout_s)
    thread.join(timeout=timeout_s)
