# Tests for {{name}}: build into a scratch prefix and check what build.nu produced.
use std/assert

export def test_build_makes_the_command [] {
    let prefix = (mktemp --directory)
    # `nupm test` runs each test from the package's root directory.
    with-env {NUPM_PREFIX: $prefix} { ^$nu.current-exe --no-config-file build.nu nupm.toml }
    let command = ($prefix | path join bin {{name}})
    assert ($command | path exists)
    assert equal (^$command | str trim) "{{name}} built by build.nu"
    rm --recursive $prefix
}
