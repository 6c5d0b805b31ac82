# nupm hook for Nushell: at each prompt, activate the environment of the nearest enclosing project that
# has a generated .nupm/, hide it on leaving, switch between projects; a global environment stays
# underneath. `nupm setup nu` adds `source <this file>` to your config. When nothing changed it runs only
# builtins: no nupm, no Python, no subprocess.
#
# `overlay use` needs a path known at parse time, so a cheap closure decides what to do and copies the
# project's .nupm/.hook.nu to this session's own file; two string hooks, whose code is parsed only when
# their condition holds, then `overlay hide`/`overlay use` that fixed path as the overlay `nupm-project`.

if ($env._NUPM_HOOK_NU? | is-empty) {
    let temp = ([$nu.temp-dir? $nu.temp-path? "/tmp"] | compact | first)  # renamed temp-dir in nu 0.10x
    $env._NUPM_HOOK_NU = ($temp | path join $"nupm-hook-($nu.pid)" "nupm-project.nu")
    # Sessions that ended left their directory behind: remove those whose nu no longer runs (`ps` and `ls`
    # are builtins; this runs once, when the shell starts).
    try {
        let running = (ps | get pid)
        ls ($temp | path join "nupm-hook-*" | into glob) | where type == dir | each {|d|
            let pid = ($d.name | path basename | str replace "nupm-hook-" "")
            if ($pid =~ '^[0-9]+$') and (($pid | into int) not-in $running) { rm --recursive --force $d.name }
        } | ignore
    }
    mkdir ($env._NUPM_HOOK_NU | path dirname)

    # Where nupm records the environments it built (or the user trusted); nothing else is ever sourced.
    let trust_dir = __NUPM_TRUST_DIR__
    let trusted = {|root: string, stamp: string|
        let record = $"($trust_dir)($root)/.nupm-trust"
        if not ($record | path exists) { return false }
        let since = (ls $record).0.modified
        let kept = (open --raw $record | str trim)
        let sourced = ([stamp .hook.nu] | each {|f| $root | path join ".nupm" $f } | where {|f| $f | path exists })
        ($kept != "") and ($kept == $stamp) and ($sourced | all {|f| (ls $f).0.modified <= $since })
    }

    let decide = {||
        mut dir = $env.PWD
        mut root = ""
        loop {
            if ($dir | path join ".nupm" "stamp" | path exists) { $root = $dir; break }
            let parent = ($dir | path dirname)
            if $parent == $dir { break }
            $dir = $parent
        }
        let root = $root  # closures below cannot capture a mutable variable
        if $root != "" {
            let stamp_time = (ls ($root | path join ".nupm" "stamp")).0.modified
            let sources = (["nupm.toml" "nupm.lock"] | each {|f| $root | path join $f } | where {|f| $f | path exists })
            let stale = ($sources | any {|f| (ls $f).0.modified > $stamp_time })
            if $stale and ($env.NUPM_AUTO_INSTALL? == "1") {
                do --ignore-errors { ^nupm -C $root install }
            } else if $stale and ($env._NUPM_HOOK_WARNED? != $root) {
                let named = ($root | path join ".nupm" "name")
                let name = if ($named | path exists) { open --raw $named | str trim } else { $root | path basename }
                print --stderr $"nupm: ($name) is out of date, run nupm install"
                $env._NUPM_HOOK_WARNED = $root
            } else if not $stale {
                $env._NUPM_HOOK_WARNED = ""
            }
        }
        let stamp = if $root == "" { "" } else { open --raw ($root | path join ".nupm" "stamp") | str trim }
        let active = ($env._NUPM_HOOK_ROOT? | default "")
        let changed = $root != $active or $stamp != ($env._NUPM_HOOK_STAMP? | default "")
        $env._NUPM_HOOK_HIDE = $changed and $active != ""
        $env._NUPM_HOOK_USE = $changed and $root != ""
        if $env._NUPM_HOOK_USE and not (do $trusted $root $stamp) {
            # Not ours: look again at every prompt (a `nupm install` or `nupm trust` may vouch for it), say so once.
            $env._NUPM_HOOK_USE = false
            $env._NUPM_HOOK_ROOT = ""
            $env._NUPM_HOOK_STAMP = ""
            if $env._NUPM_HOOK_REFUSED? != $"($root):($stamp)" {
                print --stderr $"nupm: ($root) has an environment nupm did not build here; run nupm install"
                $env._NUPM_HOOK_REFUSED = $"($root):($stamp)"
            }
        }
        if $env._NUPM_HOOK_USE {
            $env._NUPM_HOOK_REFUSED = ""
            open --raw ($root | path join ".nupm" ".hook.nu") | save --force $env._NUPM_HOOK_NU
            $env._NUPM_HOOK_NEXT = {root: $root, stamp: $stamp}
        }
    }
    let file = $env._NUPM_HOOK_NU
    let hide = {
        condition: {|| $env._NUPM_HOOK_HIDE? == true }
        code: "overlay hide nupm-project --keep-env [PWD _NUPM_HOOK_USE _NUPM_HOOK_NEXT _NUPM_HOOK_WARNED]"
    }
    let use = {
        condition: {|| $env._NUPM_HOOK_USE? == true }
        code: ($"overlay use r#'($file)'#\n" + '$env._NUPM_HOOK_ROOT = $env._NUPM_HOOK_NEXT.root
$env._NUPM_HOOK_STAMP = $env._NUPM_HOOK_NEXT.stamp
$env._NUPM_HOOK_USE = false')
    }
    let hooks = ($env.config.hooks? | default {})
    $env.config.hooks = ($hooks
        | upsert pre_prompt (($hooks.pre_prompt? | default []) | append [$decide $hide $use])
        | upsert env_change (($hooks.env_change? | default {}) | upsert PWD (
            ($hooks.env_change?.PWD? | default []) | append [{|before, after| do --env $decide } $hide $use])))
}

__NUPM_COMPLETION__
