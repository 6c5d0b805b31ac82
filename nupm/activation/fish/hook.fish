# nupm hook for fish: at each prompt and directory change, activate the environment of the nearest
# enclosing project that has a generated .nupm/, deactivate it on leaving, switch between projects; a
# global environment stays underneath. `nupm setup fish` installs it as conf.d/nupm.fish.
# When nothing changed it runs only builtins: no nupm, no Python, no subprocess.
#
# A prompt where nothing changed costs a few builtins (bench/hooks.py measures them): one `test` looks at
# PWD and at every file that matters, and inside a project a `read` of the stamp notices a regenerated
# environment. The walk up from PWD runs only when PWD changed, a stamp appeared in PWD, or the project's
# stamp went away or is older than its nupm.toml or nupm.lock (and at every prompt while it is). A project
# created above PWD, or between PWD and the project, is seen at the next cd.

if not set -q _nupm_hook_fish
    set -g _nupm_hook_fish 1

    # Where nupm records the environments it built (or the user trusted); nothing else is ever sourced.
    set -g _nupm_trust_dir __NUPM_TRUST_DIR__

    function _nupm_hook_trusted --argument-names root stamp file
        # Builtins only: `test -nt` compares mtimes.
        set -l record "$_nupm_trust_dir$root/.nupm-trust"
        test -f "$record"; or return 1
        set -l kept
        read kept < "$record"
        test -n "$kept"; and test "$kept" = "$stamp"; and not test "$root/.nupm/stamp" -nt "$record"; and not test "$file" -nt "$record"
    end

    function _nupm_hook --on-event fish_prompt --on-variable PWD
        # fish keeps $status across event handlers: nothing here can change the one the user sees.
        if not test "$PWD" != "$_nupm_hook_pwd" $_nupm_hook_watch
            test -z "$_nupm_hook_found"; and return
            read -l stamp < "$_nupm_hook_found/.nupm/stamp"
            test "$stamp" = "$_nupm_hook_stamp"; and return
        end
        set -l dir $PWD
        set -l root
        while test -n "$dir"
            if test -f "$dir/.nupm/stamp"
                set root $dir
                break
            end
            set dir (string replace -r '/[^/]*$' '' -- $dir)
        end
        if test -z "$root"; and test -f /.nupm/stamp
            set root /
        end
        # What the next prompts look at before anything else (see above).
        set -g _nupm_hook_pwd $PWD
        set -g _nupm_hook_found $root
        set -g _nupm_hook_watch
        if test "$root" != "$PWD"
            set -a _nupm_hook_watch -o -f "$PWD/.nupm/stamp"
        end
        if test -n "$root"
            set -a _nupm_hook_watch -o ! -f "$root/.nupm/stamp" -o "$root/nupm.toml" -nt "$root/.nupm/stamp" \
                -o "$root/nupm.lock" -nt "$root/.nupm/stamp"
        end
        if test -n "$root"; and begin; test "$root/nupm.toml" -nt "$root/.nupm/stamp"; or test "$root/nupm.lock" -nt "$root/.nupm/stamp"; end
            set -g _nupm_hook_pwd  # out of date: come back here at every prompt, to see when it no longer is
            if test "$NUPM_AUTO_INSTALL" = 1
                command nupm -C $root install
            else if test "$_nupm_hook_warned" != "$root"
                set -l name (string split -r -m1 / -- $root)[-1]
                if test -f "$root/.nupm/name"
                    read name < "$root/.nupm/name"
                end
                echo "nupm: $name is out of date, run nupm install" >&2
                set -g _nupm_hook_warned $root
            end
        else
            set -g _nupm_hook_warned
        end
        set -l stamp
        if test -n "$root"
            read stamp < "$root/.nupm/stamp"
        end
        if test "$root" != "$_nupm_hook_root"; or test "$stamp" != "$_nupm_hook_stamp"
            if test -n "$_nupm_hook_root"; and set -q _nupm_project_root; and functions -q _nupm_deactivate_project
                _nupm_deactivate_project
            end
            set -g _nupm_hook_root $root
            set -g _nupm_hook_stamp $stamp
            if test -z "$root"
            else if _nupm_hook_trusted $root "$stamp" "$root/.nupm/activate.fish"
                set -g _nupm_hook_refused
                source "$root/.nupm/activate.fish"
            else
                # Not ours: look again at every prompt (a `nupm install` or `nupm trust` may vouch for it), say so once.
                set -g _nupm_hook_root
                set -g _nupm_hook_stamp
                if test "$_nupm_hook_refused" != "$root:$stamp"
                    echo "nupm: $root has an environment nupm did not build here; run nupm install" >&2
                    set -g _nupm_hook_refused "$root:$stamp"
                end
            end
        end
    end

__NUPM_COMPLETION__
end
