import time

from django_resque.exceptions import JobTimeoutError
from django_resque.worker.limits import ProcessLimits


def test_a_job_past_its_timeout_is_overdue_once():
    limits = ProcessLimits(0.01)
    assert limits.overdue() is None and len(limits.next_due()) == 1
    time.sleep(0.02)
    assert limits.overdue() == "timeout" and limits.timed_out
    assert limits.overdue() is None
    assert isinstance(limits.timeout_error(7, "killed by SIGKILL"), JobTimeoutError)


def test_a_done_job_has_no_deadline_and_the_next_gets_its_own():
    limits = ProcessLimits(None)
    assert limits.next_due() == []
    limits.start(0.01)
    limits.stop()
    time.sleep(0.02)
    assert limits.overdue() is None


def test_the_grace_after_sigterm_ends_in_a_kill():
    limits = ProcessLimits(None)
    limits.grant_grace(0.0)
    assert limits.overdue() == "grace" and not limits.timed_out
