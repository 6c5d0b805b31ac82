# Helpers shared by the example packages.

# The version of utils that is loaded.
export def version [] { "1.2.0" }

# Surround text with a marker.
export def wrap [text: string, marker: string = "*"] { $"($marker)($text)($marker)" }
