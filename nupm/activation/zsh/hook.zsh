# nupm hook for zsh: at each prompt and directory change, activate the environment of the nearest
# enclosing project that has a generated .nupm/, deactivate it on leaving, switch between projects; a
# global environment stays underneath. Source it from ~/.zshrc (`nupm setup zsh` writes that line).
# When nothing changed it runs only builtins: no nupm, no Python, no subprocess.

if [[ -z "${_NUPM_HOOK_ZSH-}" ]]; then
typeset -g _NUPM_HOOK_ZSH=1

# Where nupm records the environments it built (or the user trusted); nothing else is ever sourced.
typeset -g _NUPM_TRUST_DIR=__NUPM_TRUST_DIR__

_nupm_hook_trusted() {
    # $1: project root, $2: its stamp, $3: the file to source. Builtins only: `-nt` compares mtimes.
    local record="$_NUPM_TRUST_DIR$1/.nupm-trust" kept=
    [[ -f "$record" ]] || return 1
    IFS= read -r kept < "$record" || true
    [[ -n "$kept" && "$kept" == "$2" && ! "$1/.nupm/stamp" -nt "$record" && ! "$3" -nt "$record" ]]
}

_nupm_hook() {
    local last=$? stamp= dir=$PWD root=
    while [[ -n "$dir" ]]; do
        if [[ -f "$dir/.nupm/stamp" ]]; then root=$dir; break; fi
        dir=${dir%/*}
    done
    if [[ -z "$root" && -f /.nupm/stamp ]]; then root=/; fi
    if [[ -n "$root" ]] && [[ "$root/nupm.toml" -nt "$root/.nupm/stamp" || "$root/nupm.lock" -nt "$root/.nupm/stamp" ]]; then
        if [[ "${NUPM_AUTO_INSTALL-}" == 1 ]]; then
            command nupm -C "$root" install || true
        elif [[ "${_NUPM_HOOK_WARNED-}" != "$root" ]]; then
            local name=${root:t}
            if [[ -f "$root/.nupm/name" ]]; then IFS= read -r name < "$root/.nupm/name" || true; fi
            print -u2 "nupm: $name is out of date, run nupm install"
            typeset -g _NUPM_HOOK_WARNED=$root
        fi
    else
        typeset -g _NUPM_HOOK_WARNED=
    fi
    if [[ -n "$root" ]]; then IFS= read -r stamp < "$root/.nupm/stamp" || true; fi
    if [[ "$root" != "${_NUPM_HOOK_ROOT-}" || "$stamp" != "${_NUPM_HOOK_STAMP-}" ]]; then
        if [[ -n "${_NUPM_HOOK_ROOT-}" && -n "${_NUPM_PROJECT_ROOT-}" ]] && (( ${+functions[_nupm_deactivate_project]} )); then
            _nupm_deactivate_project
        fi
        typeset -g _NUPM_HOOK_ROOT=$root _NUPM_HOOK_STAMP=$stamp
        if [[ -z "$root" ]]; then
            :
        elif _nupm_hook_trusted "$root" "$stamp" "$root/.nupm/activate.zsh"; then
            typeset -g _NUPM_HOOK_REFUSED=
            source "$root/.nupm/activate.zsh"
        else
            # Not ours: look again at every prompt (a `nupm install` or `nupm trust` may vouch for it), say so once.
            typeset -g _NUPM_HOOK_ROOT= _NUPM_HOOK_STAMP=
            if [[ "${_NUPM_HOOK_REFUSED-}" != "$root:$stamp" ]]; then
                print -u2 "nupm: $root has an environment nupm did not build here; run nupm install"
                typeset -g _NUPM_HOOK_REFUSED="$root:$stamp"
            fi
        fi
    fi
    return $last
}

autoload -Uz add-zsh-hook
add-zsh-hook precmd _nupm_hook
add-zsh-hook chpwd _nupm_hook

__NUPM_COMPLETION__
fi
