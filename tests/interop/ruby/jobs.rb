# Ruby job classes of the interop tests. Each notes what it ran in the Redis list
# "resque:interop:ran" (JSON [class, args]), which the Python side reads.
require "digest/sha1"
require "json"

module Noted
  def note(*args)
    Resque.redis.rpush("interop:ran", JSON.generate([name, args]))
  end
end

# Runs anything it is given and notes it.
class RubyEcho
  extend Noted
  @queue = :ruby

  def self.perform(*args)
    note(*args)
  end
end

# Always fails, with a Ruby exception.
class RubyFail
  extend Noted
  @queue = :ruby

  def self.perform(*args)
    note(*args)
    raise ArgumentError, "ruby says no"
  end
end

# Fails every time under resque-retry, which keeps its attempt count in Redis under
# resque-retry:RubyRetry:<sha1 of the args>, the key our retry policies share.
class RubyRetry
  extend Noted
  extend Resque::Plugins::Retry
  @queue = :ruby
  @retry_limit = 3
  @retry_delay = 0

  def self.perform(*args)
    note(*args)
    raise "ruby retry #{Resque.redis.get(redis_retry_key(*args))}"
  end
end

# Releases django-resque's lock of a @job(unique=True) job run by a Ruby worker: the
# lock is named by the sha1 of the JSON [class, args] (docs/howto-ruby.md).
module DjangoResqueUnique
  def after_perform_release_django_resque_lock(*args)
    Resque.redis.del("django_resque:unique:#{Digest::SHA1.hexdigest(Resque.encode([name, args]))}")
  end

  def on_failure_release_django_resque_lock(_exception, *args)
    after_perform_release_django_resque_lock(*args)
  end
end

# A job Python enqueues as unique (tests/support/jobs.py unique_echo) and Ruby runs.
class UniqueEcho
  extend Noted
  extend DjangoResqueUnique
  @queue = :ruby

  def self.perform(*args)
    note(*args)
  end
end
