# Ruby Resque 3.0's forking worker on job (a), its Ruby form: open a redis-rb client, push, close.
#   ruby -I <resque-3.0.0/lib> resque_worker.rb QUEUE   (BENCH_REDIS_URL set)
require "resque"

Redis.silence_deprecations = true if Redis.respond_to?(:silence_deprecations=)

class RealRedis
  def self.perform
    client = Redis.new(url: ENV.fetch("BENCH_REDIS_URL"))
    client.rpush("bench:real:out", 1)
    client.close
  end
end

Resque.redis = Redis::Namespace.new("resque", redis: Redis.new(url: ENV.fetch("BENCH_REDIS_URL")))
Resque.logger.level = Logger::WARN
Resque::Worker.new(ARGV.fetch(0)).work(0.1)
