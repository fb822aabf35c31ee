"""Lua scripts for changes that touch several keys at once, one concept per script.

Each script is sent by SHA (EVALSHA) and loaded on the first NOSCRIPT reply, so a
restarted Redis or a new client costs one extra round trip, never an error.
"""

from __future__ import annotations

import hashlib
from typing import Any

import redis

# Take the first job of the first non-empty queue, in the order given, and record it
# in worker:<id> in the same step: a job is never only in a process's memory.
# KEYS: worker:<id>, queues set, pause-all-workers.
# ARGV: queue key prefix, run_at, then queue names or globs (``*``, ``?``), as Ruby:
# each glob expands to the matching known queues, sorted; duplicates are skipped.
# Returns nil (nothing to do), 1 (all workers paused) or {queue, record}.
# A payload that is not JSON is kept as a JSON string inside the record.
RESERVE = """
local paused = redis.call('GET', KEYS[3])
if paused and string.lower(paused) == 'true' then return 1 end
local function glob_pattern(glob)
  local p = string.gsub(glob, '[%^%$%(%)%%%.%[%]%+%-]', '%%%0')
  p = string.gsub(p, '%*', '.*')
  p = string.gsub(p, '%?', '.')
  return '^' .. p .. '$'
end
local names, seen, known = {}, {}, nil
for i = 3, #ARGV do
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
    if not pcall(cjson.decode, raw) then payload = cjson.encode(raw) end
    local record = '{"queue":' .. cjson.encode(name) .. ',"run_at":"' .. ARGV[2] .. '","payload":' .. payload .. '}'
    redis.call('SET', KEYS[1], record)
    return {name, record}
  end
end
return nil
"""

# The job in worker:<id> is done: delete the record and count it, but only if it is
# still the one we expect (a pruner may have recovered it meanwhile).
# KEYS: worker:<id>, then the counters to increment. ARGV: expected record.
# Returns 1 if finished here, 0 if the record had changed or gone.
FINISH = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
for i = 2, #KEYS do redis.call('INCRBY', KEYS[i], 1) end
return 1
"""

# Put a dead worker's job back at the head of its queue, if the record is unchanged.
# KEYS: worker:<id>, queue:<q>, queues set. ARGV: expected record, payload, queue name.
REQUEUE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('LPUSH', KEYS[2], ARGV[2])
redis.call('SADD', KEYS[3], ARGV[3])
return 1
"""


def run(client: redis.Redis, script: str, keys: list[str], args: list[Any]) -> Any:
    """EVALSHA ``script``, loading it once if the server does not know it yet."""
    sha = _sha(script)
    try:
        return client.evalsha(sha, len(keys), *keys, *args)
    except redis.exceptions.NoScriptError:
        return client.eval(script, len(keys), *keys, *args)


_shas: dict[str, str] = {}


def _sha(script: str) -> str:
    sha = _shas.get(script)
    if sha is None:
        sha = _shas[script] = hashlib.sha1(script.encode()).hexdigest()
    return sha
