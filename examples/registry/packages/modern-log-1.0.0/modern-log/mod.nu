use utils

# Print a log line.
export def info [msg: string] { print $"[info] ($msg) (utils version)" }
