import pytest
from django.core.exceptions import ImproperlyConfigured

from django_resque.tasks.priority import DEFAULT_BANDS, PriorityBands, parse_bands


def test_default_bands():
    bands = parse_bands(None)
    assert bands.bands == DEFAULT_BANDS
    assert [bands.queue_for("q", p) for p in (100, 1, 0, -1, -100)] == ["q-high", "q-high", "q", "q-low", "q-low"]


def test_bands_are_sorted_highest_first_whatever_the_setting_order():
    bands = parse_bands([[-100, "slow"], [0, "{queue}"], [10, "fast"]])
    assert bands.bands == ((10, "fast"), (0, "{queue}"), (-100, "slow"))
    assert bands.worker_queues(["a", "b"]) == ["fast", "a", "b", "slow"]


def test_a_priority_below_every_band_is_an_error():
    with pytest.raises(ValueError, match="below"):
        PriorityBands(((0, "{queue}"),)).queue_for("q", -1)


@pytest.mark.parametrize("value", ["x", [[True, "q"]], [[-100, 5]], (("-100", "q"),)])
def test_malformed_bands_are_refused(value):
    with pytest.raises(ImproperlyConfigured, match="PRIORITY_QUEUES"):
        parse_bands(value)
