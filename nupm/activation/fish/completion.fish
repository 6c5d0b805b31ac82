    complete -c nupm -f -n __fish_use_subcommand -a __NUPM_COMMAND__ -d __NUPM_HELP__
