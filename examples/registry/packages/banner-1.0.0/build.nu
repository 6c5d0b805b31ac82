# Installs into the staging prefix nupm gives in $env.NUPM_PREFIX.
def main [package_file: path] {
    let prefix = $env.NUPM_PREFIX
    mkdir ($prefix | path join bin) ($prefix | path join modules banner)
    let bin = $prefix | path join bin banner
    "#!/bin/sh\necho \"=== $* ===\"\n" | save $bin
    chmod +x $bin
    "# Make a banner line.\nexport def main [text: string] { $\"=== ($text) ===\" }\n" | save ($prefix | path join modules banner mod.nu)
}
