"""One module per command family; each `run_<command>(args)` returns an exit code."""
