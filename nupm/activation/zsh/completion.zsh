_nupm() {
    local -a commands
    commands=(__NUPM_COMMANDS__)
    if (( CURRENT == 2 )); then _describe command commands; else _files; fi
}
if (( $+functions[compdef] )); then compdef _nupm nupm; fi
