#!/usr/bin/env nu
# {{name}}: a Nushell script, installed as the command `{{name}}`.

# Greet someone by name.
def main [
    name: string = "world" # who to greet
] {
    print $"Hello, ($name)!"
}
