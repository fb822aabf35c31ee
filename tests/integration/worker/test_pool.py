"""``manage.py resque_pool`` with real processes: shape, HUP, WINCH, TTIN/TTOU, QUIT, kill -9."""

from __future__ import annotations

import json
import os
import signal

from django_resque import pools
from tests.support import jobs

from .conftest import done, failures, is_gone, parent_of, pid_alive, title_has, wait_until


def write_config(path, lines: dict) -> str:
    path.write_text(json.dumps(lines))
    return str(path)


def pids_by_line(client) -> dict[str, set[int]]:
    """Registered workers: queue list -> pids."""
    found: dict[str, set[int]] = {}
    for member in client.smembers("resque:workers"):
        _host, pid, queues = member.decode().split(":", 2)
        found.setdefault(queues, set()).add(int(pid))
    return found


def shaped(client, lines: dict[str, int]):
    """The registered workers, if they are exactly ``lines``'s counts."""
    found = pids_by_line(client)
    return found if {line: len(pids) for line, pids in found.items()} == lines else None


def start_pool(start_worker, tmp_path, lines: dict, *args: str):
    config = write_config(tmp_path / "resque-pool.json", lines)
    return start_worker(
        "--config", config, "--interval", "1", *args, command="resque_pool"
    ), tmp_path / "resque-pool.json"


def notes(client, key: str) -> list[object]:
    return [note[key] for note in done(client) if isinstance(note, dict) and key in note]


def test_three_lines_start_the_right_workers_on_the_right_queues_and_quit_stops_them(
    real_redis, start_worker, tmp_path
):
    lines = {"pool_a": 1, "pool_b": 2, "pool_c,pool_d": 1}
    manager, _ = start_pool(start_worker, tmp_path, lines)
    workers = wait_until(lambda: shaped(real_redis, lines), what="the pool's shape")
    assert all(parent_of(pid) == manager.pid for pids in workers.values() for pid in pids)
    wait_until(lambda: title_has(manager.pid, b"resque-pool-manager: managing ["), what="the manager's title")
    [pool] = wait_until(pools.all_pools, what="the pool's record")
    assert (pool.pid, pool.lines) == (manager.pid, lines)
    assert {line: {pid for pid, of in pool.workers.items() if of == line} for line in lines} == workers

    for queue in ("pool_a", "pool_b", "pool_d"):
        jobs.remember.enqueue_to(queue, queue)
    jobs.sleepy.enqueue_to("pool_c", 1.5, "running at QUIT")
    wait_until(lambda: len(notes(real_redis, "value")) == 3 and notes(real_redis, "started"), what="the jobs")

    def processed(line: str) -> int:
        ids = [m.decode() for m in real_redis.smembers("resque:workers") if m.decode().endswith(":" + line)]
        return sum(int(real_redis.get("resque:stat:processed:" + wid) or 0) for wid in ids)

    wait_until(lambda: [processed(line) for line in lines] == [1, 1, 2], what="each line's worker counted its job")
    manager.signal(signal.SIGQUIT)
    assert manager.wait() == 0, manager.output()
    assert notes(real_redis, "finished") == ["running at QUIT"] and failures(real_redis) == []
    assert real_redis.smembers("resque:workers") == set()
    assert real_redis.zcard("resque:django_resque:pools") == 0


def test_hup_reshapes_leaving_unchanged_lines_and_losing_no_job(real_redis, start_worker, tmp_path):
    manager, config = start_pool(start_worker, tmp_path, {"pool_keep": 1, "pool_drop": 1, "pool_grow": 1})
    before = wait_until(lambda: shaped(real_redis, {"pool_keep": 1, "pool_drop": 1, "pool_grow": 1}), what="shape")
    jobs.sleepy.enqueue_to("pool_keep", 2.0, "keep")
    jobs.sleepy.enqueue_to("pool_drop", 2.0, "drop")
    wait_until(lambda: sorted(notes(real_redis, "started")) == ["drop", "keep"], what="both jobs running")

    write_config(config, {"pool_keep": 1, "pool_grow": 2, "pool_new": 1})
    manager.signal(signal.SIGHUP)
    after = wait_until(lambda: shaped(real_redis, {"pool_keep": 1, "pool_grow": 2, "pool_new": 1}), what="new shape")
    assert after["pool_keep"] == before["pool_keep"] and before["pool_grow"] < after["pool_grow"]
    wait_until(lambda: sorted(notes(real_redis, "finished")) == ["drop", "keep"], what="both jobs finished")
    assert failures(real_redis) == []
    jobs.sleepy.enqueue_to("pool_drop", 0, "left for later")
    assert real_redis.llen("resque:queue:pool_drop") == 1  # no worker of the removed line is left

    write_config(config, {"pool_keep": "two"})
    manager.signal(signal.SIGHUP)
    wait_until(lambda: "the pool config is refused" in manager.output(), what="the bad config refused")
    assert "(line 1)" in manager.output()
    assert shaped(real_redis, {"pool_keep": 1, "pool_grow": 2, "pool_new": 1}) == after
    manager.signal(signal.SIGTERM)  # resque-pool's default: TERM every worker, exit without waiting
    assert manager.wait() == 0, manager.output()
    wait_until(lambda: not real_redis.smembers("resque:workers"), what="the workers stopping on TERM")


def test_winch_ttin_ttou_and_a_worker_killed_9(real_redis, start_worker, tmp_path):
    manager, _ = start_pool(start_worker, tmp_path, {"pool_a": 1, "pool_b": 2})
    first = wait_until(lambda: shaped(real_redis, {"pool_a": 1, "pool_b": 2}), what="shape")

    [victim] = first["pool_a"]
    real_redis.delete("resque:pruning_dead_workers_in_progress")  # as if a minute had passed (Ruby's lock)
    os.kill(victim, signal.SIGKILL)

    def replaced_shape():
        found = shaped(real_redis, {"pool_a": 1, "pool_b": 2})
        return found if found and found["pool_a"] != {victim} else None

    replaced = wait_until(replaced_shape, what="a new pool_a worker")
    assert "replacing it" in manager.output() and replaced["pool_b"] == first["pool_b"]

    manager.signal(signal.SIGTTIN)
    grown = wait_until(lambda: shaped(real_redis, {"pool_a": 2, "pool_b": 3}), what="TTIN")
    manager.signal(signal.SIGTTOU)
    wait_until(lambda: shaped(real_redis, {"pool_a": 1, "pool_b": 2}), what="TTOU")
    manager.signal(signal.SIGTTOU)  # signals sent at once may merge into one, as for any process
    wait_until(lambda: shaped(real_redis, {"pool_b": 1}), what="TTOU again")
    assert pids_by_line(real_redis)["pool_b"] <= grown["pool_b"]

    manager.signal(signal.SIGWINCH)
    wait_until(lambda: not real_redis.smembers("resque:workers"), what="WINCH stopping every worker")
    assert pid_alive(manager.pid) and manager.process.poll() is None
    manager.signal(signal.SIGHUP)
    wait_until(lambda: shaped(real_redis, {"pool_a": 1, "pool_b": 2}), what="HUP starting them again")
    manager.signal(signal.SIGQUIT)
    assert manager.wait() == 0, manager.output()


def test_workers_quit_when_the_manager_is_killed_9(real_redis, start_worker, tmp_path):
    manager, _ = start_pool(start_worker, tmp_path, {"pool_a": 2})
    workers = wait_until(lambda: shaped(real_redis, {"pool_a": 2}), what="shape")["pool_a"]
    os.kill(manager.pid, signal.SIGKILL)
    wait_until(lambda: not real_redis.smembers("resque:workers"), what="the workers quitting")
    wait_until(lambda: all(is_gone(pid) for pid in workers), what="the workers gone")
