"""Polling helper shared by the graph tests (DDS delivers asynchronously)."""
import subprocess
import threading
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


def spin_in_thread(executor) -> threading.Thread:
    """Spin ``executor`` on a daemon thread until :func:`stop_spinning`, one ``spin_once`` at a
    time, so the thread ends before the executor is shut down (shut down under a thread inside
    ``spin``, the executor raced it on Jazzy: an exception in the thread at teardown)."""
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            executor.spin_once(timeout_sec=0.05)

    thread = threading.Thread(target=run, daemon=True)
    thread.stop_event = stop
    thread.start()
    return thread


def stop_spinning(executor, thread, timeout_s: float = 5.0) -> None:
    """End ``thread`` (spinning ``executor``) and shut the executor down. Only then may the
    context be shut down: a spin thread still between two waits would build its next wait set
    on an invalid context and die with RCLError. A thread from :func:`spin_in_thread` ends
    first; one inside ``executor.spin`` can only end by the shutdown."""
    stop = getattr(thread, "stop_event", None)
    if stop is not None:
        stop.set()
        thread.join(timeout=timeout_s)
        executor.shutdown(timeout_sec=timeout_s)
        return
    executor.shutdown(timeout_sec=timeout_s)
    thread.join(timeout=timeout_s)
