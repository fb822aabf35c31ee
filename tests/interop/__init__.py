"""Mixed fleets: the real Ruby Resque, resque-scheduler and resque-web beside ours on one Redis."""
