# nupm hook for bash: at each prompt, activate the environment of the nearest enclosing project that has
# a generated .nupm/, deactivate it on leaving, switch between projects; a global environment stays
# underneath. Source it from ~/.bashrc (`nupm setup bash` writes that line). When nothing changed it runs
# only builtins: no nupm, no Python, no subprocess.

if [ -z "${_NUPM_HOOK_BASH-}" ]; then
_NUPM_HOOK_BASH=1

_nupm_hook_root() {
    # The nearest directory at or above $PWD with a generated environment, in _nupm_root.
    _nupm_root=
    local dir=$PWD
    while [ -n "$dir" ]; do
        if [ -f "$dir/.nupm/stamp" ]; then _nupm_root=$dir; return 0; fi
        dir=${dir%/*}
    done
    if [ -f /.nupm/stamp ]; then _nupm_root=/; fi
}

# Where nupm records the environments it built (or the user trusted); nothing else is ever sourced.
_NUPM_TRUST_DIR=__NUPM_TRUST_DIR__

_nupm_hook_trusted() {
    # $1: project root, $2: its stamp, $3: the file to source. Builtins only: `-nt` compares mtimes.
    local record="$_NUPM_TRUST_DIR$1/.nupm-trust" kept=
    [ -f "$record" ] || return 1
    IFS= read -r kept < "$record" || true
    [ -n "$kept" ] && [ "$kept" = "$2" ] && ! [ "$1/.nupm/stamp" -nt "$record" ] && ! [ "$3" -nt "$record" ]
}

_nupm_hook_stale() {
    [ "$1/nupm.toml" -nt "$1/.nupm/stamp" ] || [ "$1/nupm.lock" -nt "$1/.nupm/stamp" ]
}

_nupm_hook() {
    local last=$? stamp=
    _nupm_hook_root
    if [ -n "$_nupm_root" ] && _nupm_hook_stale "$_nupm_root"; then
        if [ "${NUPM_AUTO_INSTALL-}" = 1 ]; then
            command nupm -C "$_nupm_root" install || true
        elif [ "${_NUPM_HOOK_WARNED-}" != "$_nupm_root" ]; then
            local name=${_nupm_root##*/}
            if [ -f "$_nupm_root/.nupm/name" ]; then IFS= read -r name < "$_nupm_root/.nupm/name" || true; fi
            echo "nupm: $name is out of date, run nupm install" >&2
            _NUPM_HOOK_WARNED=$_nupm_root
        fi
    else
        _NUPM_HOOK_WARNED=
    fi
    if [ -n "$_nupm_root" ]; then IFS= read -r stamp < "$_nupm_root/.nupm/stamp" || true; fi
    if [ "$_nupm_root" != "${_NUPM_HOOK_ROOT-}" ] || [ "$stamp" != "${_NUPM_HOOK_STAMP-}" ]; then
        if [ -n "${_NUPM_HOOK_ROOT-}" ] && [ -n "${_NUPM_PROJECT_ROOT-}" ] \
            && declare -F _nupm_deactivate_project >/dev/null; then
            _nupm_deactivate_project
        fi
        _NUPM_HOOK_ROOT=$_nupm_root
        _NUPM_HOOK_STAMP=$stamp
        if [ -z "$_nupm_root" ]; then
            :
        elif _nupm_hook_trusted "$_nupm_root" "$stamp" "$_nupm_root/.nupm/activate.bash"; then
            _NUPM_HOOK_REFUSED=
            source "$_nupm_root/.nupm/activate.bash"
        else
            # Not ours: look again at every prompt (a `nupm install` or `nupm trust` may vouch for it), say so once.
            _NUPM_HOOK_ROOT= _NUPM_HOOK_STAMP=
            if [ "${_NUPM_HOOK_REFUSED-}" != "$_nupm_root:$stamp" ]; then
                echo "nupm: $_nupm_root has an environment nupm did not build here; run nupm install" >&2
                _NUPM_HOOK_REFUSED="$_nupm_root:$stamp"
            fi
        fi
    fi
    unset _nupm_root
    return $last
}

# Run first, so the hook sees the user's $? and hands it on unchanged; string or array form alike
# (`${X@a}` on an unset X would stop a `set -u` shell, hence the guard).
_nupm_pc_attrs=
if [ -n "${PROMPT_COMMAND+x}" ]; then _nupm_pc_attrs=${PROMPT_COMMAND@a}; fi
case "$_nupm_pc_attrs" in
    *a*)
        case " ${PROMPT_COMMAND[*]} " in
            *" _nupm_hook "*) ;;
            *) PROMPT_COMMAND=(_nupm_hook "${PROMPT_COMMAND[@]}") ;;
        esac
        ;;
    *)
        case ";${PROMPT_COMMAND-};" in
            *";_nupm_hook;"*) ;;
            *) PROMPT_COMMAND="_nupm_hook${PROMPT_COMMAND:+;$PROMPT_COMMAND}" ;;
        esac
        ;;
esac
unset _nupm_pc_attrs

__NUPM_COMPLETION__
fi
