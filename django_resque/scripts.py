"""Lua scripts for changes that touch several keys at once, one concept per script.

Each runs atomically on the server, so no reader ever sees half a change and no
concurrent writer can slip between a check and the write it guards. Key names come
from ``keys.py``; callers pass them in KEYS.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import redis

from .connection import execute, get_redis, translate_errors

# Enqueue ---------------------------------------------------------------------------

# Every script that pushes onto a queue takes the wake channel (``keys.wake_channel``)
# as its last ARGV and publishes the queue's name there when the push made the queue
# non-empty, so waiting workers reserve at once (worker/waiting.py says why that is enough).

# KEYS: queues set, queue:<q>. ARGV: queue name, one or more encoded payloads, wake channel.
# Register the queue and append, as Ruby's SADD + RPUSH, in one command: cheaper for
# one job than MULTI/SADD/RPUSH/EXEC (one command to pack, send and parse, not four).
# Returns the queue's new length.
PUSH = """
redis.call('SADD', KEYS[1], ARGV[1])
local length = redis.call('RPUSH', KEYS[2], unpack(ARGV, 2, #ARGV - 1))
if length == #ARGV - 2 then redis.call('PUBLISH', ARGV[#ARGV], ARGV[1]) end
return length
"""

# Locks and unique jobs -----------------------------------------------------------

# KEYS: lock, queues set, queue list. ARGV: lock value, ttl ms, queue name, payload, wake channel.
# Take the lock and push the job, or do nothing: 1 pushed, 0 a copy holds the lock.
UNIQUE_PUSH = """
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return 0
end
redis.call('SADD', KEYS[2], ARGV[3])
if redis.call('RPUSH', KEYS[3], ARGV[4]) == 1 then redis.call('PUBLISH', ARGV[5], ARGV[3]) end
return 1
"""

# KEYS: lock. ARGV: token. Delete the lock only if it is still ours (unique locks,
# the pruning lock).
RELEASE_LOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""

# Retry attempts ------------------------------------------------------------------

# KEYS: resque-retry:<class>:<digest>. ARGV: TTL seconds. A run starts: as resque-retry's
# before_perform_retry (SETNX -1, INCR), with an expiry. Returns the 0-based run number.
# A count that is not an integer (written by someone else) starts again at 0, rather
# than failing every run, each of which would then be retried.
BEGIN_ATTEMPT = """
redis.call('SETNX', KEYS[1], -1)
local n = redis.pcall('INCR', KEYS[1])
if type(n) == 'table' and n.err then
  redis.call('SET', KEYS[1], 0)
  n = 0
end
redis.call('EXPIRE', KEYS[1], ARGV[1])
return n
"""

# Failed lists --------------------------------------------------------------------

# KEYS: failed list, queues set, queue list. ARGV: index, expected record,
# stamped record, queue name, payload, wake channel. Requeue one failure if it is still
# the one the caller saw: LSET the stamped record, push the payload. 1 done, 0 stale.
FAILED_REQUEUE = """
if redis.call('LINDEX', KEYS[1], ARGV[1]) ~= ARGV[2] then
  return 0
end
redis.call('LSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('SADD', KEYS[2], ARGV[4])
if redis.call('RPUSH', KEYS[3], ARGV[5]) == 1 then redis.call('PUBLISH', ARGV[6], ARGV[4]) end
return 1
"""

# KEYS: failed list (or a queue). ARGV: index, expected record, tombstone (unique per call).
# Remove one failure (or job) if it is still the one the caller saw, as Ruby (LSET + LREM);
# LREM scans from the end nearer the index, so it reads at most half the list.
FAILED_REMOVE = """
if redis.call('LINDEX', KEYS[1], ARGV[1]) ~= ARGV[2] then
  return 0
end
redis.call('LSET', KEYS[1], ARGV[1], ARGV[3])
local index = tonumber(ARGV[1])
redis.call('LREM', KEYS[1], (index > redis.call('LLEN', KEYS[1]) / 2) and -1 or 1, ARGV[3])
return 1
"""

# KEYS: failed list, queues set, queue lists... ARGV: mode ('remove' | 'replace'),
# tombstone (unique per call), n targets, then per target: index, expected record
# [, new record]; then m queues, per queue: position of its key in KEYS, queue name,
# count c, then c payloads; then the wake channel.
# One bounded batch of a bulk change (callers send a few hundred targets or a few MB
# at most, so Redis is held for milliseconds): verify every target is still the record
# expected at its index, then LSET the new records (replace) or LSET tombstones and
# LREM them from the nearer end (remove), and push the retried payloads.
# Returns {n, or -1 (nothing changed) if any target moved; microseconds the script took}.
FAILED_BATCH = """
local started = redis.call('TIME')
local function took()
  local now = redis.call('TIME')
  return (now[1] - started[1]) * 1000000 + (now[2] - started[2])
end
local mode = ARGV[1]
local n = tonumber(ARGV[3])
local step = (mode == 'replace') and 3 or 2
local lo, hi = nil, nil
local at = 4
for _ = 1, n do
  local index = tonumber(ARGV[at])
  if not lo or index < lo then lo = index end
  if not hi or index > hi then hi = index end
  at = at + step
end
if n == 0 then return {0, took()} end
local window = nil
if hi - lo < 4 * n then
  window = redis.call('LRANGE', KEYS[1], lo, hi)
end
at = 4
for _ = 1, n do
  local index = tonumber(ARGV[at])
  local found
  if window then found = window[index - lo + 1] else found = redis.call('LINDEX', KEYS[1], index) end
  if found ~= ARGV[at + 1] then return {-1, took()} end
  at = at + step
end
at = 4
for _ = 1, n do
  redis.call('LSET', KEYS[1], ARGV[at], (mode == 'replace') and ARGV[at + 2] or ARGV[2])
  at = at + step
end
if mode == 'remove' then
  local length = redis.call('LLEN', KEYS[1])
  redis.call('LREM', KEYS[1], (lo > length - 1 - hi) and -n or n, ARGV[2])
end
local m = tonumber(ARGV[at])
at = at + 1
for _ = 1, m do
  local count = tonumber(ARGV[at + 2])
  redis.call('SADD', KEYS[2], ARGV[at + 1])
  if redis.call('RPUSH', KEYS[tonumber(ARGV[at])], unpack(ARGV, at + 3, at + 2 + count)) == count then
    redis.call('PUBLISH', ARGV[#ARGV], ARGV[at + 1])
  end
  at = at + 3 + count
end
return {n, took()}
"""


# History (history.py) -------------------------------------------------------------

# A Lua function for the scripts a worker already calls (RESERVE, FINISH_JOB) and
# ADD_TO_HISTORY: add the jobs a process finished since its last write (history.count)
# to this minute's history hash. Hours are not written here: the depth sample folds each
# finished minute into its hour, once a minute for the fleet.
# ARGV from ``at``: history key prefix ('' when history is off), minute TTL, the counts
# (a JSON array of field, count, field, count...; '' for none), unused. The minute is
# Redis's (TIME), the same for every host. The TTL is set by the write that makes a field
# (a first count here, or the depth sample). Counts that do not decode, and a history key
# another program made into something else, are left alone (pcall): counting must never
# fail the script that carries it.
_COUNT_IN_HISTORY = """
local function count_in_history(at)
  local prefix, counts = ARGV[at], ARGV[at + 2]
  if not prefix or prefix == '' or not counts or counts == '' then return end
  local ok, fields = pcall(cjson.decode, counts)
  if not ok or type(fields) ~= 'table' then return end
  local now = tonumber(redis.call('TIME')[1])
  local key = prefix .. 'minute:' .. (now - now % 60)
  for i = 1, #fields - 1, 2 do
    local field, n = fields[i], fields[i + 1]
    if type(field) == 'string' and type(n) == 'number' and n >= 1 then
      n = math.floor(n)
      if redis.pcall('HINCRBY', key, field, n) == n then redis.pcall('EXPIRE', key, ARGV[at + 1]) end
    end
  end
end
"""

# The counts a process still holds, written now (history.flush: going idle, stopping).
# ARGV: the four history arguments (count_in_history).
ADD_TO_HISTORY = _COUNT_IN_HISTORY + "count_in_history(1)\nreturn 1\n"

# A job's record (status.py) as a worker takes and finishes it, for payloads that carry
# an id (ours; a payload Ruby rebuilt has none and costs nothing here). ARGV from ``at``:
# job record key prefix, now (ISO), worker id, status TTL (seconds), then (finish only)
# the kept result: job id ('' for none), its return value (JSON), its TTL (seconds).
# start: the job was cancelled -> false (the worker drops it, unperformed); else running.
# finish: a job that succeeded with a result handed to the worker -> finished with its
# return value, kept for the result's TTL (status.mark_result's fields, whatever the
# status was); else running -> finished / failed (a failure, a retry or a result stored
# by the job process already, is left as it is). The result's writes are pcalls: a TTL
# Redis refuses (a bad setting) must never fail the script, which the worker would
# retry, with the same result, forever; the record then keeps the TTL it had. For the
# same reason a record key that is not a hash (another program's) is left alone.
_JOB_RECORD = """
local function start_job_record(decoded, queue, at)
  local id = type(decoded) == 'table' and decoded['id']
  if type(id) ~= 'string' or #id > 64 or not string.match(id, '^[%w_%-]+$') then return true end
  local key = ARGV[at] .. id
  local status = redis.pcall('HGET', key, 'status')
  if type(status) == 'table' then return true end  -- not a hash (another program's key): no record
  if status == 'cancelled' then return false end
  local name = decoded['class']
  local fields = {'status', 'running', 'job', type(name) == 'string' and name or '', 'queue_name', queue,
    'worker', ARGV[at + 2], 'started_at', ARGV[at + 1]}
  if status then  -- a retry, or a record of its time in the schedule: count the attempt
    redis.call('HDEL', key, 'finished_at', 'exception', 'error', 'failure', 'return_value', 'run_after')
    redis.call('HINCRBY', key, 'attempt', 1)
  else  -- the usual case: a first record, its attempt in the same HSET
    fields[#fields + 1] = 'attempt'
    fields[#fields + 1] = 1
  end
  redis.call('HSET', key, unpack(fields))
  redis.call('EXPIRE', key, ARGV[at + 3])
  return true
end
local function keep_result(at)
  local id = ARGV[at + 4]
  if not id or #id == 0 or #id > 64 or not string.match(id, '^[%w_%-]+$') then return false end
  local key = ARGV[at] .. id
  local set = redis.pcall('HSET', key, 'status', 'finished', 'finished_at', ARGV[at + 1], 'return_value', ARGV[at + 5])
  if type(set) == 'table' and set.err then return false end
  redis.pcall('EXPIRE', key, ARGV[at + 6])
  return true
end
local function finish_job_record(record, failed, at)
  if not failed and keep_result(at) then return end
  -- Matched in the last 80 bytes (the id's 64 at most, and what frames it): a pattern
  -- anchored at the end is still tried at every position of the whole record.
  local id = string.match(string.sub(record, -80), ',"id":"([%w_%-]+)"}}$')
  if not id or #id > 64 then return end
  local key = ARGV[at] .. id
  if redis.pcall('HGET', key, 'status') ~= 'running' then return end  -- an error reply is a table
  redis.call('HSET', key, 'status', failed and 'failed' or 'finished', 'finished_at', ARGV[at + 1])
  redis.call('EXPIRE', key, ARGV[at + 3])
end
"""

# KEYS: queues set, history writers hash. ARGV: history key prefix, minute TTL, hour TTL,
# worker id, queue key prefix, most queues sampled, minutes to look back for folding.
# Run at each heartbeat of our workers: note that this worker writes history, and, once
# a minute for the whole fleet (the first heartbeat of the minute): fold each finished
# minute of the last few not folded yet into its hour (its processed and failed counts,
# once: 'folded'), forget writers not heard of for an hour, and write every queue's
# length into the minute's hash (depth:<q> and depth in all) and the hour's (the
# largest seen). Past the most queues sampled no depth is sampled (Redis would be held
# for too long).
# Every command on a key another program may have written is a pcall: this runs inside
# the heartbeat's MULTI, and an error there would fail the heartbeat.
# Returns the number of queues sampled, -1 (not this worker's turn) or -2 (too many, or
# the queues set is not a set).
SAMPLE_HISTORY = """
local now = tonumber(redis.call('TIME')[1])
redis.pcall('HSET', KEYS[2], ARGV[4], now)
local this = now - now % 60
local minute = ARGV[1] .. 'minute:' .. this
local hour = ARGV[1] .. 'hour:' .. (now - now % 3600)
local taken = redis.pcall('HSETNX', minute, 'sampled', 1)
if taken ~= 1 then return -1 end
redis.call('EXPIRE', minute, ARGV[2])
for back = 1, tonumber(ARGV[7]) do
  local at = this - 60 * back
  local done = ARGV[1] .. 'minute:' .. at
  if redis.call('EXISTS', done) == 1 and redis.pcall('HSETNX', done, 'folded', 1) == 1 then
    local into = ARGV[1] .. 'hour:' .. (at - at % 3600)
    local fields = redis.call('HGETALL', done)
    for i = 1, #fields, 2 do
      local n = tonumber(fields[i + 1])
      local kind = string.match(fields[i], '^(%a+)')
      if n and n > 0 and (kind == 'processed' or kind == 'failed') then
        redis.pcall('HINCRBY', into, fields[i], math.floor(n))
      end
    end
    redis.pcall('EXPIRE', into, ARGV[3])
  end
end
local writers = redis.pcall('HGETALL', KEYS[2])
if not writers.err then
  for i = 1, #writers, 2 do
    if (tonumber(writers[i + 1]) or 0) < now - 3600 then redis.call('HDEL', KEYS[2], writers[i]) end
  end
end
local count = redis.pcall('SCARD', KEYS[1])
if type(count) ~= 'number' or count > tonumber(ARGV[6]) then return -2 end
local function keep_largest(field, n)
  local old = tonumber(redis.pcall('HGET', hour, field))
  if not old or n > old then redis.pcall('HSET', hour, field, n) end
end
local total = 0
local names = redis.call('SMEMBERS', KEYS[1])  -- a set: SCARD answered
for _, name in ipairs(names) do
  local n = redis.pcall('LLEN', ARGV[5] .. name)
  if type(n) ~= 'number' then n = 0 end
  total = total + n
  redis.call('HSET', minute, 'depth:' .. name, n)
  keep_largest('depth:' .. name, n)
end
redis.call('HSET', minute, 'depth', total)
keep_largest('depth', total)
redis.pcall('EXPIRE', hour, ARGV[3])
return #names
"""

# KEYS: none (the keys are built from the prefix). ARGV: history key prefix, minute TTL,
# hour TTL, job name, seconds, queue name ('' for none), most job classes a queue's hash
# holds. A job's duration into this minute's and this hour's summaries, the fleet's and
# its queue's: count:<job>, sum:<job>, max:<job>. Sent with the duration histogram's
# pipeline (metrics.record_duration): one EVAL for all four hashes. A queue's hash takes
# a new job class only while it has room for its three fields (the admin reads no larger
# one); a value another program left that is not a number is overwritten by this
# duration's, a key of another type is left as it is.
RECORD_DURATION = """
local now = tonumber(redis.call('TIME')[1])
local seconds = tonumber(ARGV[5])
local job = ARGV[4]
local function add(key, ttl, most_fields)
  if most_fields then
    local known = redis.pcall('HEXISTS', key, 'count:' .. job)
    local size = redis.pcall('HLEN', key)
    if known ~= 1 and (type(size) ~= 'number' or size + 3 > most_fields) then return end
  end
  redis.pcall('HINCRBY', key, 'count:' .. job, 1)
  redis.pcall('HINCRBYFLOAT', key, 'sum:' .. job, seconds)
  local max = tonumber(redis.pcall('HGET', key, 'max:' .. job))
  if not max or seconds > max then redis.pcall('HSET', key, 'max:' .. job, seconds) end
  redis.pcall('EXPIRE', key, ttl)
end
for _, span in ipairs({{'minute:', 60, ARGV[2]}, {'hour:', 3600, ARGV[3]}}) do
  local at = now - now % span[2]
  add(ARGV[1] .. 'durations:' .. span[1] .. at, span[3], nil)
  if ARGV[6] ~= '' then
    add(ARGV[1] .. 'queue_durations:' .. span[1] .. at .. ':' .. ARGV[6], span[3], 3 * tonumber(ARGV[7]))
  end
end
return 1
"""


# Workers ------------------------------------------------------------------------

# Finish the job the worker last ran (if any), then take the first job of the first
# non-empty queue, in the order given, and record it in worker:<id> in the same step:
# a job is never only in a process's memory, and one round trip serves both.
# KEYS: worker:<id>, queues set, pause-all-workers, then the counters of the finished job.
# ARGV: queue key prefix, run_at, run_at one second later, the finished job's record
# ('' for none), the four history arguments (count_in_history: the counts this process
# holds, written whatever becomes of the record), the seven job record arguments
# (_JOB_RECORD), then queue names or globs (``*``, ``?``), as Ruby: each glob expands
# to the matching known queues, sorted; duplicates are skipped.
# The finished record is deleted and counted only if it is still there (FINISH_JOB).
# A new record never equals the finished one (identical jobs in one second get the
# later run_at, which Ruby only displays), so after a lost reply the worker can tell
# from worker:<id> alone whether this script ran.
# Returns nil (nothing to do), 1 (all workers paused), {queue, record}, or {queue, payload,
# 'cancelled'} for a job cancelled while queued: taken off the queue, never recorded.
# A payload that is not JSON is kept as a JSON string inside the record.
# A counter another program set to something else than an integer is left as it is
# (pcall): one bad stat key must not stop every worker (stats.py warns about it).
RESERVE = (
    _COUNT_IN_HISTORY
    + _JOB_RECORD
    + """
local finished = ARGV[4]
if finished ~= '' and redis.call('GET', KEYS[1]) == finished then
  redis.call('DEL', KEYS[1])
  for i = 4, #KEYS do redis.pcall('INCRBY', KEYS[i], 1) end
  finish_job_record(finished, #KEYS > 5, 9)
end
count_in_history(5)
local paused = redis.call('GET', KEYS[3])
if paused and string.lower(paused) == 'true' then return 1 end
local function glob_pattern(glob)
  local p = string.gsub(glob, '[%^%$%(%)%%%.%[%]%+%-]', '%%%0')
  p = string.gsub(p, '%*', '.*')
  p = string.gsub(p, '%?', '.')
  return '^' .. p .. '$'
end
local names, seen, known = {}, {}, nil
for i = 16, #ARGV do
  local want = ARGV[i]
  if string.find(want, '[%*%?]') then
    if not known then known = redis.call('SMEMBERS', KEYS[2]); table.sort(known) end
    local pattern = glob_pattern(want)
    for _, name in ipairs(known) do
      if not seen[name] and string.match(name, pattern) then seen[name] = true; names[#names + 1] = name end
    end
  elseif not seen[want] then
    seen[want] = true; names[#names + 1] = want
  end
end
for _, name in ipairs(names) do
  local raw = redis.call('LPOP', ARGV[1] .. name)
  if raw then
    local payload = raw
    local ok, decoded = pcall(cjson.decode, raw)
    if not ok then payload = cjson.encode(raw)
    elseif not start_job_record(decoded, name, 9) then return {name, raw, 'cancelled'} end
    local head = '{"queue":' .. cjson.encode(name) .. ',"run_at":"'
    local tail = '","payload":' .. payload .. '}'
    local record = head .. ARGV[2] .. tail
    if record == finished then record = head .. ARGV[3] .. tail end
    redis.call('SET', KEYS[1], record)
    return {name, record}
  end
end
return nil
"""
)

# The job in worker:<id> is done: delete the record and count it, but only if it is
# still the one we expect (a pruner may have recovered it meanwhile).
# KEYS: worker:<id>, then the counters to increment. ARGV: expected record, then with
# counters the four history arguments (count_in_history: written whatever becomes of
# the record) and the seven job record arguments (_JOB_RECORD).
# Returns 1 if finished here, 0 if the record had changed or gone. A counter that is
# not an integer is left as it is, as in RESERVE.
FINISH_JOB = (
    _COUNT_IN_HISTORY
    + _JOB_RECORD
    + """
count_in_history(2)
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
for i = 2, #KEYS do redis.pcall('INCRBY', KEYS[i], 1) end
if #KEYS > 1 then finish_job_record(ARGV[1], #KEYS > 3, 6) end
return 1
"""
)

# Put a dead worker's job back at the head of its queue, if the record is unchanged.
# KEYS: worker:<id>, queue:<q>, queues set. ARGV: expected record, payload, queue name,
# wake channel.
REQUEUE_DEAD_JOB = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
if redis.call('LPUSH', KEYS[2], ARGV[2]) == 1 then redis.call('PUBLISH', ARGV[4], ARGV[3]) end
redis.call('SADD', KEYS[3], ARGV[3])
return 1
"""


# Remove an exact encoded item from some buckets.
# KEYS: timestamps:<item>, delayed_queue_schedule, then delayed:<ts> per bucket
# ARGV: item, how many copies per bucket (0 = all), then "delayed:<ts>", <ts> per bucket
REMOVE_ITEM = """
local removed = 0
for i = 3, #KEYS do
    local name, ts = ARGV[2 * i - 3], ARGV[2 * i - 2]
    local wanted = tonumber(ARGV[2])
    local here = redis.call('LREM', KEYS[i], wanted, ARGV[1])
    removed = removed + here
    -- LREM took every copy (0 = all, or fewer than asked for): none left to look for
    if wanted == 0 or here < wanted or not redis.call('LPOS', KEYS[i], ARGV[1]) then
        redis.call('SREM', KEYS[1], name)
    end
    if redis.call('LLEN', KEYS[i]) == 0 then
        redis.call('DEL', KEYS[i])
        redis.call('ZREM', KEYS[2], ts)
    end
end
return removed
"""

# Enqueue one delayed item now, wherever it is in its bucket.
# KEYS: delayed:<ts>, timestamps:<item>, delayed_queue_schedule, queues, queue:<q>
# ARGV: item, "delayed:<ts>", <ts>, queue, payload, wake channel
ENQUEUE_ITEM_NOW = """
if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 0 then return 0 end
if not redis.call('LPOS', KEYS[1], ARGV[1]) then
    redis.call('SREM', KEYS[2], ARGV[2])
end
if redis.call('LLEN', KEYS[1]) == 0 then
    redis.call('DEL', KEYS[1])
    redis.call('ZREM', KEYS[3], ARGV[3])
end
redis.call('SADD', KEYS[4], ARGV[4])
if redis.call('RPUSH', KEYS[5], ARGV[5]) == 1 then redis.call('PUBLISH', ARGV[6], ARGV[4]) end
return 1
"""


# Job records (status.py) --------------------------------------------------------------

# Cancel a job by its record. KEYS: job:<id>. ARGV: now (ISO), TTL seconds, "1" to kill.
# A job over (finished, failed, cancelled; Tasks' SUCCESSFUL, FAILED) is left as it is;
# a running one too, with kill marked if asked. Any other (no record: queued; scheduled,
# retry scheduled) is marked cancelled: the worker that takes it drops it unperformed.
# Returns the status before ("" for none, "unreadable" for a key that is not a hash).
CANCEL_JOB = """
local status = redis.pcall('HGET', KEYS[1], 'status') or ''
if type(status) == 'table' then return 'unreadable' end  -- not a hash: another program's key, left alone
if status == 'finished' or status == 'failed' or status == 'cancelled' or status == 'SUCCESSFUL'
  or status == 'FAILED' then return status end
if status == 'running' or status == 'RUNNING' then
  if ARGV[3] == '1' then
    redis.call('HSET', KEYS[1], 'kill', ARGV[1])
    redis.call('EXPIRE', KEYS[1], ARGV[2])
  end
  return status
end
redis.call('HSET', KEYS[1], 'status', 'cancelled', 'finished_at', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return status
"""

_loaded: set[tuple[Any, str]] = set()  # (server, sha); inherited by forked children
_scripts: dict[str, Any] = {}


def run(source: str, keys: Sequence[str | bytes], args: Sequence[Any]) -> Any:
    """Run a script by its SHA on the process's client.

    The script is loaded once per server first, so a large call (a bulk rewrite sends
    megabytes of arguments) is never sent twice after a NOSCRIPT; redis-py still
    reloads it if the server lost it (restart, SCRIPT FLUSH).
    """
    client = get_redis()
    script = _script(client, source)
    with translate_errors():
        if (_server_of(client), script.sha) not in _loaded:
            load(source)
        if type(client) is not redis.Redis:  # cluster, fakes: the Script object routes the call
            return script(keys=list(keys), args=list(args), client=client)
        try:
            return execute(client, "EVALSHA", script.sha, len(keys), *keys, *args)
        except redis.exceptions.NoScriptError:  # the server lost it (restart, SCRIPT FLUSH)
            load(source)
            return execute(client, "EVALSHA", script.sha, len(keys), *keys, *args)


def load(source: str) -> None:
    """Load a script on the server through the process's client (before it is first run)."""
    client = get_redis()
    with translate_errors():
        sha = client.script_load(source)
    _loaded.add((_server_of(client), sha))


def _server_of(client: Any) -> Any:
    """Which server a client talks to, so a forked child's new client knows what is loaded."""
    pool = getattr(client, "connection_pool", None)
    if pool is None:  # RedisCluster: per client
        return id(client)
    options = pool.connection_kwargs
    return (options.get("host"), options.get("port"), options.get("path"), id(options.get("server")))


def _script(client: Any, source: str) -> Any:
    """The Script object for ``source``, built once (it hashes the source); called with a client."""
    script = _scripts.get(source)
    if script is None:
        script = _scripts[source] = client.register_script(source)
    return script
