use utils

# Paint text green (the utils version rides along, to show which one was locked).
export def paint [text: string] { $"(ansi green)($text)(ansi reset) [utils (utils version)]" }
