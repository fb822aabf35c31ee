"""The command is thin: options checked, a bad schedule reported by name, no traceback."""

import pytest
from django.core.management import CommandError, call_command


@pytest.mark.parametrize(
    ("option", "message"), [("--interval=0", "--interval"), ("--lock-timeout=-1", "--lock-timeout")]
)
def test_bad_options(option, message):
    with pytest.raises(CommandError, match=message):
        call_command("resque_scheduler", option)


def test_an_unknown_job_in_settings_stops_the_start_naming_the_schedule(settings):
    settings.RESQUE = {**settings.RESQUE, "SCHEDULE": {"cleanup": {"every": "1h", "class": "app.jobs.Gone"}}}
    with pytest.raises(CommandError, match="Schedule 'cleanup': No job is registered under the name 'app.jobs.Gone'"):
        call_command("resque_scheduler")


@pytest.mark.parametrize(
    ("option", "message"),
    [("--interval=nan", "--interval must be positive, got nan"), ("--interval=-inf", "--interval must be positive")],
)
def test_non_finite_numbers_are_refused(option, message):
    with pytest.raises(CommandError, match=message):
        call_command("resque_scheduler", option)
