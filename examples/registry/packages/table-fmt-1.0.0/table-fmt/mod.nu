use utils

# Render a record as "key: value" lines, each wrapped by utils.
export def render [rec: record] { $rec | transpose key value | each {|r| utils wrap $"($r.key): ($r.value)" "|" } | str join "\n" }
