"""Training: the run spec, and (later) the job launcher, entry point, callbacks and doctor."""
