# Tests for {{name}}: `nupm test` runs every exported command whose name starts with `test`,
# with the package's environment active, so the script is on PATH as `{{name}}`.
use std/assert

export def test_greets_world [] {
    assert equal (^{{name}} | str trim) "Hello, world!"
}

export def test_greets_by_name [] {
    assert equal (^{{name}} Nushell | str trim) "Hello, Nushell!"
}
