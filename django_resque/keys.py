"""Every Redis key django-resque reads or writes, and the namespace, in one place.

Names match Ruby Resque 3.0 and resque-scheduler 5.0 (see WIRE-FORMAT.md), with the
default namespace ``resque``. Key layout (``<ns>`` = RESQUE['NAMESPACE']):

  <ns>:queues                         set     queue names (SADD on every push)
  <ns>:queue:<q>                      list    job payloads, LPOP'ed from the left
  <ns>:workers                        set     worker ids ``host:pid:queues``
  <ns>:worker:<id>                    string  current job record while working, DEL'ed when done;
                                              set atomically with the pop, so it is also the
                                              in-flight copy a dead worker's job is recovered from
  <ns>:worker:<id>:started            string  start time, ``2026-11-22 13:09:08 +0000``
  <ns>:worker:<id>:paused             string  ours, not Ruby's: "1" while the worker is paused (USR2)
  <ns>:workers:heartbeat              hash    worker id -> ISO-8601 time of last heartbeat
  <ns>:pruning_dead_workers_in_progress string  SET NX EX lock of the pruning worker, DEL'ed when done
  <ns>:django_resque:pruning_turn     string  ours: SET NX EX HEARTBEAT_INTERVAL by the worker whose periodic
                                              prune runs this interval
  <ns>:stat:<name>[:<id>]             string  processed / failed counters, global and per worker
  <ns>:failed                         list    failure records, oldest first
  <ns>:<q>_failed                     list    per-queue failure records (RedisMultiQueue backend)
  <ns>:failed_queues                  set     names of the per-queue lists, ``<q>_failed`` (no namespace)
  <ns>:pause-all-workers              string  "true" pauses every worker
  <ns>:delayed_queue_schedule         zset    epoch seconds (member = score) with delayed jobs
  <ns>:delayed:<epoch>                list    delayed items {"class","args","queue"}
  <ns>:timestamps:<item JSON>         set     "delayed:<epoch>" (no namespace) per time the item waits
  <ns>:<ns>:resque_scheduler_master_lock string  scheduler leader lock (the namespace twice, as Ruby)
  <ns>:persistent_schedules           hash    dynamic schedules: name -> JSON config
  <ns>:schedules_changed              set     names of dynamic schedules changed since last load
  <ns>:delayed:last_enqueued_at       hash    schedule name -> when it last pushed its job (Ruby's Time#to_s)
  <ns>:django_resque:schedule_last_run hash   ours: schedule name -> epoch of the last fire handled
  <ns>:django_resque:job_durations    hash    ours: "<job>|<bucket>" -> count, "<job>|sum" -> seconds
  <ns>:django_resque:job:<id>         hash    ours: one job's record, by the id in its payload (status, job,
                                              queue, times, worker, attempt, return value or failure), written
                                              once a job is scheduled, taken, cancelled or over (a queued job
                                              has none: its payload is its record), and a Django Tasks result
                                              (task, args); expires (STATUS_TTL, RESULT_TTL)
  <ns>:django_resque:job:<id>:workers list    ours: ids of the workers that ran a Tasks result, one per attempt
  <ns>:django_resque:job:<id>:errors  list    ours: JSON {"exception_class_path","traceback"} per Tasks failure
  <ns>:django_resque:unique:<sha1>    string  ours: unique-job lock, sha1 of [class, args] (or of the job's key), PX TTL
  <ns>:resque-retry:<class>:<sha1>    string  resque-retry's attempt count (0-based run), shared with Ruby; sha1 of
                                              the args as Ruby's args.join("-"), whitespace cut from the key
  <ns>:django_resque:pools            zset    ours: pool manager ids ``host:pid``, score = epoch its record expires
  <ns>:django_resque:pool:<host:pid>  hash    ours: one pool manager (host, pid, started, lines, workers as JSON);
                                              expires unless the manager renews it
  <ns>:django_resque:bulk_run:<id>    hash    ours: progress of an admin bulk change running in the background
                                              (label, state, done, skipped, seen, total, message); expires
  <ns>:django_resque:history:minute:<epoch>  hash  ours: one minute's figures (history.py): processed, failed,
                                              depth (fleet) and processed:<q>, failed:<q>, depth:<q>; expires
                                              (HISTORY_MINUTES, default a day). Written inside our scripts
  <ns>:django_resque:history:hour:<epoch>    hash  ours: the same per hour (HISTORY_HOURS, default a week)
  <ns>:django_resque:history:durations:minute:<epoch>  hash  ours: per job, count:<job>, sum:<job>, max:<job>
                                              (seconds) of the jobs that ended in that minute (DURATION_METRICS)
  <ns>:django_resque:history:durations:hour:<epoch>    hash  ours: the same per hour
  <ns>:django_resque:history:queue_durations:minute:<epoch>:<q>  hash  ours: the same fields for the jobs
                                              of queue <q> alone (its name last, after the epoch's digits, so
                                              a ':' in it is part of it); at most 100 job classes a hash
  <ns>:django_resque:history:queue_durations:hour:<epoch>:<q>    hash  ours: the same per hour
  <ns>:django_resque:history:writers hash   ours: worker id -> epoch of its last heartbeat, for the workers
                                              that write history (ours; Ruby's do not)
  <ns>:django_resque:wake             channel ours: pub/sub, not a key: a queue's name, published by our
                                              scripts when they push onto an empty queue (worker/waiting.py)
  <ns>:django_resque:kill             channel ours: pub/sub, not a key: a job's id, published by cancel(id,
                                              kill=True); the worker running it ends its job process
"""

from __future__ import annotations

from . import conf


def namespace() -> str:
    return conf.get("NAMESPACE")


def _key(*parts: str) -> str:
    return ":".join((namespace(), *parts))


def strip_namespace(key: str) -> str:
    """``resque:queue:mail`` -> ``queue:mail``."""
    prefix = namespace() + ":"
    return key[len(prefix) :] if key.startswith(prefix) else key


# Queues
def queues() -> str:
    return _key("queues")


def queue(name: str) -> str:
    return _key("queue", name)


# Workers
def workers() -> str:
    return _key("workers")


def worker(worker_id: str) -> str:
    return _key("worker", worker_id)


def worker_started(worker_id: str) -> str:
    return _key("worker", worker_id, "started")


def worker_paused(worker_id: str) -> str:
    """Ours, not Ruby's: present while the worker is paused by USR2, for the admin pages."""
    return _key("worker", worker_id, "paused")


def wake_channel() -> str:
    """Ours: the pub/sub channel on which pushes onto an empty queue announce the queue's name."""
    return _key("django_resque", "wake")


def kill_channel() -> str:
    """Ours: the pub/sub channel on which ``cancel(id, kill=True)`` names a running job to end."""
    return _key("django_resque", "kill")


def queue_prefix() -> str:
    """``<ns>:queue:``, for the reserve script, which builds queue keys from names."""
    return _key("queue", "")


def heartbeats() -> str:
    return _key("workers", "heartbeat")


def pruning_lock() -> str:
    return _key("pruning_dead_workers_in_progress")


def pruning_turn() -> str:
    """Ours: taken by the worker whose periodic prune runs this heartbeat interval."""
    return _key("django_resque", "pruning_turn")


def pause_all() -> str:
    return _key("pause-all-workers")


# Stats
def stat(name: str, worker_id: str | None = None) -> str:
    return _key("stat", name, worker_id) if worker_id else _key("stat", name)


# Failures
def failed(queue_name: str | None = None) -> str:
    """The failed list; per queue (``<q>_failed``) for the multi-queue backend, as Ruby's."""
    return _key(failed_list_name(queue_name)) if queue_name else _key("failed")


def failed_queues() -> str:
    return _key("failed_queues")


def failed_list_name(queue_name: str) -> str:
    """``<q>_failed`` without namespace: the member of ``failed_queues``, as Ruby stores it."""
    return f"{queue_name}_failed"


# Unique jobs (ours)
def unique_lock(digest: str) -> str:
    """Lock of one unique job identity (sha1 of job name and unique key)."""
    return _key("django_resque", "unique", digest)


# Retry attempts (resque-retry's key, shared with Ruby workers running resque-retry)
def retry_attempts(name: str) -> str:
    """``resque-retry:<class>[:<digest>]``, built by ``retry.attempts_key``."""
    return _key(name)


# Delayed jobs (resque-scheduler)
def delayed_schedule() -> str:
    return _key("delayed_queue_schedule")


def delayed_bucket_name(timestamp: int) -> str:
    """The bucket name without namespace, as stored inside ``timestamps:*`` sets."""
    return f"delayed:{int(timestamp)}"


def delayed(timestamp: int) -> str:
    return _key(delayed_bucket_name(timestamp))


def timestamps(encoded_item: str) -> str:
    return _key("timestamps", encoded_item)


# Recurring schedules (resque-scheduler)
def scheduler_master_lock() -> str:
    return _key(namespace(), "resque_scheduler_master_lock")


def persistent_schedules() -> str:
    return _key("persistent_schedules")


def schedules_changed() -> str:
    return _key("schedules_changed")


def last_enqueued_at() -> str:
    """Hash schedule name -> time of its last push, as resque-scheduler writes it (resque-web shows it)."""
    return _key("delayed", "last_enqueued_at")


def schedule_last_run() -> str:
    """Ours, not Ruby's: hash schedule name -> epoch of the last fire time handled."""
    return _key("django_resque", "schedule_last_run")


def job_durations() -> str:
    """Ours, not Ruby's: hash of duration histogram buckets per job name."""
    return _key("django_resque", "job_durations")


# Job records: status and result by job id, for @job and Django Tasks alike (ours, not Ruby's)
def job_record(job_id: str) -> str:
    """Hash of one job's record; a Tasks result's expires with its two lists below."""
    return _key("django_resque", "job", job_id)


def job_record_prefix() -> str:
    """``<ns>:django_resque:job:``, for the worker's scripts, which build the key from a payload's id."""
    return _key("django_resque", "job", "")


def job_record_workers(job_id: str) -> str:
    return _key("django_resque", "job", job_id, "workers")


def job_record_errors(job_id: str) -> str:
    return _key("django_resque", "job", job_id, "errors")


# Pool managers (ours, not Ruby's: resque-pool keeps no record in Redis)
def pools() -> str:
    return _key("django_resque", "pools")


def pool(pool_id: str) -> str:
    return _key("django_resque", "pool", pool_id)


# History for the admin's charts (ours, not Ruby's; history.py)
def history_prefix() -> str:
    """``<ns>:django_resque:history:``, for the scripts, which add ``minute:<epoch>`` and the like.

    The names they build are the ones below (``tests/unit/test_history.py`` holds them to it).
    """
    return _key("django_resque", "history", "")


def history(resolution: str, epoch: int) -> str:
    """Counts and depths of one ``minute`` or ``hour`` starting at ``epoch``."""
    return _key("django_resque", "history", resolution, str(int(epoch)))


def history_durations(resolution: str, epoch: int) -> str:
    """Per-job duration summaries of one ``minute`` or ``hour`` starting at ``epoch``."""
    return _key("django_resque", "history", "durations", resolution, str(int(epoch)))


def history_queue_durations(resolution: str, epoch: int, queue_name: str) -> str:
    """Hash ``count:<job>``, ``sum:<job>``, ``max:<job>`` of one queue's jobs that ended in that minute or hour.

    The queue's name comes last: the epoch's digits end at the first ':' after ``<resolution>:``,
    so no two (epoch, queue) pairs give one key, whatever ':' the name holds.
    """
    return _key("django_resque", "history", "queue_durations", resolution, str(int(epoch)), queue_name)


def history_writers() -> str:
    """Hash worker id -> epoch of its last heartbeat, for workers that write history."""
    return _key("django_resque", "history", "writers")


# Admin bulk changes (ours, not Ruby's)
def bulk_run(run_id: str) -> str:
    """Hash of one bulk change's progress, written by the thread running it."""
    return _key("django_resque", "bulk_run", run_id)
