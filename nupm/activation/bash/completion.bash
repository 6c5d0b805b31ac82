_nupm_complete() {
    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=($(compgen -W __NUPM_COMMANDS__ -- "${COMP_WORDS[1]}"))
    fi
}
complete -o default -F _nupm_complete nupm
