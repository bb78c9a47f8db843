import threading

from brainbody.runtime.realtime import make_current_thread_realtime, scheduling_label


def test_zero_leaves_the_thread_alone_and_reads_normal():
    assert make_current_thread_realtime(0) is None
    assert scheduling_label(0, None) == "normal"


def test_an_impossible_priority_is_refused_with_a_reason_not_an_exception():
    why = make_current_thread_realtime(120)
    assert why and "outside 1-99" in why
    assert scheduling_label(120, why).startswith("normal (")


def test_fifo_in_a_thread_of_its_own_or_a_reason():
    import os
    seen = {}

    def body():
        seen["why"] = make_current_thread_realtime(10)
        seen["policy"] = os.sched_getscheduler(0)

    t = threading.Thread(target=body)
    t.start()
    t.join()
    if seen["why"] is None:        # permitted here: the thread really runs FIFO
        assert seen["policy"] == os.SCHED_FIFO
        assert scheduling_label(10, None) == "SCHED_FIFO 10"
    else:                          # not permitted: said why, thread unchanged
        assert "refused" in seen["why"] and seen["policy"] != os.SCHED_FIFO
    assert os.sched_getscheduler(0) != os.SCHED_FIFO     # the calling thread is untouched


def test_the_process_hands_the_gil_over_often_and_freezes_its_start_up_heap():
    import gc
    import sys
    from brainbody.runtime.realtime import GIL_SWITCH_INTERVAL_S, prepare_process_for_control_loop
    before = sys.getswitchinterval()
    try:
        prepare_process_for_control_loop()
        assert sys.getswitchinterval() == GIL_SWITCH_INTERVAL_S
        assert gc.get_freeze_count() > 0
    finally:
        sys.setswitchinterval(before)
        gc.unfreeze()
