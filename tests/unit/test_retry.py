import hashlib
import json
import random
import time

import pytest

from django_resque import keys, retry
from django_resque.exceptions import ResqueConfigurationError
from django_resque.job import job
from tests.support import jobs as support


def test_fixed_exponential_steps_and_jittered_backoff():
    assert retry.Fixed(5)(1) == retry.Fixed(5)(9) == 5
    exponential = retry.Exponential(base=2, factor=3, maximum=100)
    assert [exponential(n) for n in (1, 2, 3, 4, 5)] == [2, 6, 18, 54, 100]
    assert [retry.Steps((10, 20))(n) for n in (1, 2, 3)] == [10, 20, 20]
    random.seed(4)
    jittered = retry.Jittered(base=8)
    draws = [jittered(3) for _ in range(200)]
    assert all(16 <= draw <= 32 for draw in draws)
    assert len(set(draws)) > 100


def test_policy_allows_retries_up_to_the_limit_and_only_on_listed_errors():
    policy = retry.make_policy(2, None, (KeyError,), "x")
    assert policy.allows(KeyError(), 1) and policy.allows(KeyError(), 2)
    assert not policy.allows(KeyError(), 3)
    assert not policy.allows(ValueError(), 1)
    assert isinstance(policy.backoff, retry.Exponential)
    assert retry.make_policy(0, None, None, "x") is None


@pytest.mark.parametrize(
    ("retries", "backoff", "retry_on", "message"),
    [
        (-1, None, None, "non-negative int"),
        ("3", None, None, "non-negative int"),
        (2, -1, None, "not be negative"),
        (2, [], None, "non-negative seconds"),
        (2, "fast", None, "callable"),
        (2, None, ("KeyError",), "exception classes"),
        (0, 5, None, "need retry=N"),
    ],
)
def test_bad_policies_are_refused_naming_the_value(retries, backoff, retry_on, message):
    with pytest.raises(ResqueConfigurationError, match=message):
        retry.make_policy(retries, backoff, retry_on, "@job on x")


def test_job_decorator_and_class_attributes_declare_policies():
    assert support.flaky.retry_policy.retries == 2
    assert support.flaky.retry_policy.retry_on == (support.Flaky,)
    assert support.retry_later.retry_policy.delay(1) == 60
    policy = support.RetryingClassJob.job.retry_policy
    assert (policy.retries, policy.delay(1)) == (2, 5)
    with pytest.raises(ResqueConfigurationError, match="@job on .*retry must be"):
        job(name="bad_retry", retry=-2)(lambda: None)


def test_attempt_is_read_from_redis_and_defensively(fake_redis):
    assert retry.attempt_of("X", {"class": "X", "args": [1]}) == 1
    assert retry.begin_attempt("X", [1]) == 1 and retry.begin_attempt("X", [1]) == 2
    assert retry.attempt_of("X", {"class": "X", "args": [1]}) == 2
    assert retry.attempt_of("X", {"class": "X", "args": [1], "attempt": 5}) == 5  # an older version's hint
    assert retry.attempt_of("X", {"class": "X", "args": [2], "attempt": "3"}) == 1
    assert retry.attempt_of("X", {"class": "X", "args": "bad"}) == 1
    fake_redis.set(retry.attempts_key("X", [3]), "junk")
    assert retry.attempt_of("X", {"class": "X", "args": [3]}) == 1
    assert retry.without_attempt({"class": "X", "attempt": 2, "kwargs": True}) == {"class": "X", "kwargs": True}


def test_a_count_that_is_not_an_integer_starts_again(fake_redis):
    fake_redis.set(retry.attempts_key("X", [1]), "lots")
    assert retry.begin_attempt("X", [1]) == 1 and retry.begin_attempt("X", [1]) == 2


def test_the_attempt_count_is_where_resque_retry_keeps_it(fake_redis):
    # digests as Ruby's resque-retry computes them (Digest::SHA1 of args.join("-"))
    assert retry.attempts_key("Job", []) == "resque:resque-retry:Job"
    assert retry.attempts_key("Job", [1, "a b"]) == "resque:resque-retry:Job:" + hashlib.sha1(b"1-a b").hexdigest()
    assert retry.ruby_join([1, [2, [None, True]], 1.0, 1e20, 1.5e-05]) == "1-2--true-1.0-1.0e+20-1.5e-05"
    assert retry.ruby_join([{"a": [1, None], "b": 'q"#{x}'}]) == '{"a"=>[1, nil], "b"=>"q\\"\\#{x}"}'


def test_a_retry_due_now_goes_straight_to_the_queue(fake_redis):
    retry.schedule_retry({"class": "X", "args": [1]}, "q", 0, 1)
    assert json.loads(fake_redis.lpop(keys.queue("q"))) == {"class": "X", "args": [1]}
    assert fake_redis.zcard(keys.delayed_schedule()) == 0


def test_a_later_retry_is_a_delayed_job(fake_redis):
    before = time.time()
    epoch = retry.schedule_retry({"class": "X", "args": [1], "attempt": 2}, "q", 60, 2)
    assert before + 59 <= epoch <= time.time() + 60
    item = json.loads(fake_redis.lpop(keys.delayed(epoch)))
    assert item == {"class": "X", "args": [1], "queue": "q"}  # an older version's hint is dropped
    assert fake_redis.llen(keys.queue("q")) == 0
