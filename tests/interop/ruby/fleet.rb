# The real Ruby Resque beside ours, for tests/interop: one piece of a Ruby fleet per process.
#
#   ruby fleet.rb work QUEUES      a Resque::Worker (forking, as in production)
#   ruby fleet.rb scheduler        resque-scheduler's Resque::Scheduler
#   ruby fleet.rb web PORT         resque-web (Resque::Server with the scheduler tabs)
#   ruby fleet.rb console          reads one line of Ruby per request, answers one JSON line
#
# Needs REDIS_URL; RESQUE_NAMESPACE defaults to "resque". The gems' lib/ folders come
# with -I (see tests/interop/conftest.py); the libraries they need are Debian's.
require "redis"
Redis.silence_deprecations = true if Redis.respond_to?(:silence_deprecations=)
require "json"
require "resque"
require "resque-scheduler"
require "resque-retry"

$stdout.sync = true
$stderr.sync = true
Resque.redis = Redis::Namespace.new(
  ENV.fetch("RESQUE_NAMESPACE", "resque"), redis: Redis.new(url: ENV.fetch("REDIS_URL"))
)
Resque.logger = MonoLogger.new($stderr)
Resque.logger.level = Logger::INFO
require_relative "jobs"

def console
  while (line = $stdin.gets)
    reply = begin
      { "ok" => JSON.parse(JSON.generate([eval(line)]))[0] } # rubocop:disable Security/Eval
    rescue Exception => e # rubocop:disable Lint/RescueException
      { "error" => "#{e.class}: #{e.message}" }
    end
    $stdout.puts(JSON.generate(reply))
  end
end

case ARGV[0]
when "work"
  worker = Resque::Worker.new(*ARGV[1].split(","))
  worker.term_timeout = 1
  worker.work(Float(ENV.fetch("INTERVAL", "0.1")))
when "scheduler"
  Resque::Scheduler.poll_sleep_amount = Float(ENV.fetch("RESQUE_SCHEDULER_INTERVAL", "0.2"))
  Resque::Scheduler.dynamic = true
  Resque::Scheduler.quiet = false
  Resque::Scheduler.run
when "web"
  require "resque/server"
  require "resque/scheduler/server"
  Resque::Scheduler.dynamic = true # the Schedule tab reads schedules from Redis
  Resque::Server.run!(port: Integer(ARGV[1]), bind: "127.0.0.1", server: "webrick", traps: true)
when "console"
  console
else
  abort "usage: fleet.rb work QUEUES | scheduler | web PORT | console"
end
