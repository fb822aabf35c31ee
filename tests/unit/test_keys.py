"""The one test that spells out key names, pinned against WIRE-FORMAT.md."""

from django_resque import keys


def test_key_names_match_ruby_resque_and_resque_scheduler():
    wid = "vm:15992:wire_slow,wire_other"
    assert keys.queues() == "resque:queues"
    assert keys.queue("mail") == "resque:queue:mail"
    assert keys.workers() == "resque:workers"
    assert keys.worker(wid) == "resque:worker:vm:15992:wire_slow,wire_other"
    assert keys.worker_started(wid) == "resque:worker:vm:15992:wire_slow,wire_other:started"
    assert keys.heartbeats() == "resque:workers:heartbeat"
    assert keys.pruning_lock() == "resque:pruning_dead_workers_in_progress"
    assert keys.stat("processed") == "resque:stat:processed"
    assert keys.stat("failed", wid) == "resque:stat:failed:vm:15992:wire_slow,wire_other"
    assert keys.failed() == "resque:failed"
    assert keys.failed("mail") == "resque:mail_failed"
    assert keys.pause_all() == "resque:pause-all-workers"
    assert keys.delayed_schedule() == "resque:delayed_queue_schedule"
    assert keys.delayed(1795353247) == "resque:delayed:1795353247"
    assert keys.delayed_bucket_name(1795353247) == "delayed:1795353247"
    item = '{"class":"PyMade","args":[0],"queue":"wire_q"}'
    assert keys.timestamps(item) == 'resque:timestamps:{"class":"PyMade","args":[0],"queue":"wire_q"}'
    assert keys.scheduler_master_lock() == "resque:resque:resque_scheduler_master_lock"
    assert keys.persistent_schedules() == "resque:persistent_schedules"
    assert keys.last_enqueued_at() == "resque:delayed:last_enqueued_at"
    assert keys.schedules_changed() == "resque:schedules_changed"
    assert keys.job_durations() == "resque:django_resque:job_durations"
    assert keys.pools() == "resque:django_resque:pools"  # ours: the pool managers
    assert keys.pool("vm:15990") == "resque:django_resque:pool:vm:15990"


def test_namespace_is_configurable(settings):
    settings.RESQUE = {**settings.RESQUE, "NAMESPACE": "shop"}
    assert keys.queue("mail") == "shop:queue:mail"
    assert keys.scheduler_master_lock() == "shop:shop:resque_scheduler_master_lock"
    assert keys.strip_namespace("shop:queue:mail") == "queue:mail"


def test_failure_and_unique_keys():
    assert keys.failed("mail") == "resque:mail_failed"
    assert keys.failed_list_name("mail") == "mail_failed"
    assert keys.failed_queues() == "resque:failed_queues"
    assert keys.unique_lock("ab" * 20) == "resque:django_resque:unique:" + "ab" * 20
