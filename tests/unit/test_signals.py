import logging

from django_resque import signals


def test_a_receiver_that_raises_is_logged_by_the_signal_name_and_the_others_still_run(caplog):
    seen = []

    def broken(**kwargs):
        raise RuntimeError("receiver bug")

    def fine(**kwargs):
        seen.append(kwargs["queue"])

    signals.job_started.connect(broken)
    signals.job_started.connect(fine)
    try:
        with caplog.at_level(logging.ERROR, logger="django_resque.signals"):
            signals.send(signals.job_started, None, queue="q")
    finally:
        signals.job_started.disconnect(broken)
        signals.job_started.disconnect(fine)
    assert seen == ["q"]
    assert "job_started receiver" in caplog.text and "receiver bug" in caplog.text
