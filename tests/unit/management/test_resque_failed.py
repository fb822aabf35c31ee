import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from django_resque import failure, keys
from django_resque.failure import api, bulk
from django_resque.management.commands import resque_failed


def _fail(exc, name="X", queue="q", args=(1,)):
    failure.save(failure.from_exception(exc, {"class": name, "args": list(args)}, "h:1:q", queue))


def _call(*args):
    out = StringIO()
    call_command("resque_failed", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def failures(fake_redis):
    _fail(KeyError("a"), name="A")
    _fail(ValueError("<b>"), name="B", queue="other")
    _fail(KeyError("c"), name="C")
    return fake_redis


def test_list_with_filters_and_json(failures):
    out = _call("list", "--exception", "KeyError")
    assert "[0]" in out and "[2]" in out and "[1]" not in out
    assert "2 shown, 2 matching" in out
    lines = _call("list", "--json", "--queue", "other").splitlines()
    assert [json.loads(line)["payload"]["class"] for line in lines] == ["B"]


def test_show_prints_the_whole_record(failures):
    assert json.loads(_call("show", "1"))["error"] == "<b>"


def test_retry_one_pushes_it_back_and_stamps_retried_at(failures):
    assert "Retried failed job 0 (A)" in _call("retry", "0")
    assert failures.lrange(keys.queue("q"), 0, -1) == [b'{"class":"A","args":[1]}']
    assert "retried_at" in api.get(0).record.as_dict()


def test_retry_refuses_a_changed_entry(failures):
    with pytest.raises(CommandError, match="changed since it was listed"):
        _call("retry", "0", "--digest", "0000")


def test_bulk_remove_by_exception_and_clear(failures):
    out = _call("remove", "--all", "--exception", "KeyError")
    assert "Removing failed jobs matching: exception KeyError (3 recorded), in batches" in out
    assert "Removed 2 in" in out
    assert api.count() == 1
    _call("clear")
    assert api.count() == 0


def test_index_or_all_is_required(failures):
    with pytest.raises(CommandError, match="either an index or --all"):
        _call("retry")
    with pytest.raises(CommandError, match="No failure at index 99"):
        _call("remove", "99")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["list", "--offset", "-5"], "--offset must be between 0 and 9223372036854775807, got -5"),
        (["list", "--limit", str(2**64)], "--limit must be between 0 and"),
        (["show", str(2**63)], "index must be between 0 and"),
        (["list", "--queue", "a\nb"], "--queue: Queue name"),
    ],
)
def test_bad_arguments_are_command_errors(fake_redis, argv, message):
    with pytest.raises(CommandError, match=message):
        call_command("resque_failed", *argv)


def test_list_shows_retried_at_and_the_listed_digest_retries_again(failures):
    digest = _call("list").splitlines()[0].split()[1]
    assert "Retried failed job 0 (A)" in _call("retry", "0", "--digest", digest)
    relisted = _call("list").splitlines()[0]
    assert relisted.split()[1] == digest
    assert f"(retried {api.get(0).record.retried_at})" in relisted
    assert "Retried failed job 0 (A)" in _call("retry", "0", "--digest", digest)
    assert failures.llen(keys.queue("q")) == 2


def test_bulk_retry_prints_progress_and_skipped(failures, monkeypatch):
    monkeypatch.setattr(bulk, "FIRST_WINDOW", 1)
    monkeypatch.setattr(bulk, "BATCH", 1)
    monkeypatch.setattr(resque_failed._Progress, "EVERY", 0)
    failures.rpush(keys.failed(), "not json")
    out = _call("retry", "--all")
    assert "  1 of about 4 checked, 1 changed" in out
    assert "Retried 3, 1 skipped (no job payload) in" in out
