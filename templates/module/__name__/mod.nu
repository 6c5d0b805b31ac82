# {{name}}: a Nushell module.
#
# Use it with `use {{name}}` once the environment is active (`nupm activate`).

# Greet someone by name.
#
# Examples:
#   {{name}} greet         # => Hello, world!
#   {{name}} greet Nushell # => Hello, Nushell!
export def greet [
    name: string = "world" # who to greet
]: nothing -> string {
    $"Hello, ($name)!"
}
