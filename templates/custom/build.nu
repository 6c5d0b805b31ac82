# Builds {{name}} into the staging prefix nupm gives in $env.NUPM_PREFIX: whatever lands in bin/
# becomes a command of the environment, whatever lands in modules/ a module.
def main [package_file: path] {
    let prefix = $env.NUPM_PREFIX
    mkdir ($prefix | path join bin)
    let command = $prefix | path join bin {{name}}
    "#!/bin/sh\necho \"{{name}} built by build.nu\"\n" | save --force $command
    chmod +x $command
}
