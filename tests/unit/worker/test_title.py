import setproctitle

from django_resque.worker import title


def test_titles_match_ruby_resques_form():
    title.waiting(["a", "b"])
    assert setproctitle.getproctitle().startswith("resque-")
    assert setproctitle.getproctitle().endswith(": Waiting for a,b")
    title.processing("q", "Job")
    assert " Processing q since " in setproctitle.getproctitle()


def test_control_characters_from_redis_never_reach_setproctitle():
    title.processing("evil\x00queue\n", "Job\x7f")
    assert setproctitle.getproctitle().endswith("[Job?]")
    assert " Processing evil?queue? since " in setproctitle.getproctitle()
