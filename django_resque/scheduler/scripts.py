"""The scheduler's Lua scripts: every change that touches several keys, in one atomic step.

Kept apart from ``django_resque/scripts.py``, whose runner executes them. Every key a script touches
is passed in KEYS (built by ``keys.py``); a script never builds a key name itself.
A scheduler killed at any point leaves Redis as it was before or after a whole
script, so a delayed job or a schedule run is never lost nor doubled.
"""

from __future__ import annotations

from collections.abc import Sequence

from .. import scripts as shared_scripts

# Move due items from the head of one delayed bucket to their queues.
# KEYS: delayed:<ts>, delayed_queue_schedule, queues, then per item timestamps:<item>, queue:<q>
# ARGV: "delayed:<ts>" (as stored in timestamps sets), <ts>, then per item: item, queue,
#       payload, "1" to SREM its timestamps entry ("0" while another copy follows in the batch);
#       last, the wake channel (see django_resque/scripts.py)
# Each item is moved only while it is still the bucket's head (compare-and-pop), so a
# concurrent removal or a second scheduler can never make one item move twice.
# An emptied bucket is DEL'ed and ZREM'ed, as resque-scheduler does.
MOVE_DUE = """
local moved = 0
local count = (#ARGV - 3) / 4
for i = 1, count do
    local item = ARGV[4 * i - 1]
    if redis.call('LINDEX', KEYS[1], 0) ~= item then break end
    redis.call('LPOP', KEYS[1])
    if ARGV[4 * i + 2] == '1' then
        redis.call('SREM', KEYS[2 + 2 * i], ARGV[1])
    end
    redis.call('SADD', KEYS[3], ARGV[4 * i])
    if redis.call('RPUSH', KEYS[3 + 2 * i], ARGV[4 * i + 1]) == 1 then
        redis.call('PUBLISH', ARGV[#ARGV], ARGV[4 * i])
    end
    moved = moved + 1
end
if redis.call('LLEN', KEYS[1]) == 0 then
    redis.call('DEL', KEYS[1])
    redis.call('ZREM', KEYS[2], ARGV[2])
end
return moved
"""

# Fire one run of a recurring schedule: compare-and-set its last run, then push.
# KEYS: schedule_last_run, queues, queue:<q>, delayed:last_enqueued_at
# ARGV: schedule name, expected last run ("" = none yet), new last run, queue, payload,
# the time now as Ruby's Time#to_s, wake channel. An empty payload only advances the last run (a
# skipped run); a push also records the time, as resque-scheduler's last_enqueued_at.
FIRE_SCHEDULE = """
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current == false then current = '' end
if current ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
if ARGV[5] ~= '' then
    redis.call('SADD', KEYS[2], ARGV[4])
    if redis.call('RPUSH', KEYS[3], ARGV[5]) == 1 then redis.call('PUBLISH', ARGV[7], ARGV[4]) end
    redis.call('HSET', KEYS[4], ARGV[1], ARGV[6])
end
return 1
"""

# Take or keep the scheduler master lock. KEYS: the lock; ARGV: our value, TTL seconds.
HOLD_LOCK = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then
    redis.call('EXPIRE', KEYS[1], ARGV[2])
    return 1
end
return 0
"""

# Give the lock up, only if it is still ours. KEYS: the lock; ARGV: our value.
RELEASE_LOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def run(script: str, keys: Sequence[str | bytes], args: Sequence[str | bytes | int]) -> int:
    """Run one of the scripts above through the shared runner; its reply as an int."""
    return int(shared_scripts.run(script, keys, args))
