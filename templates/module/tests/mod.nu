# Tests for {{name}}: `nupm test` runs every exported command whose name starts with `test`.
use std/assert
use {{name}}

export def test_greet_default [] {
    assert equal ({{name}} greet) "Hello, world!"
}

export def test_greet_name [] {
    assert equal ({{name}} greet Nushell) "Hello, Nushell!"
}
