# nupm hook for Nushell: at each prompt, activate the environment of the nearest enclosing project that
# has a generated .nupm/, hide it on leaving, switch between projects; a global environment stays
# underneath. `nupm setup nu` adds `source <this file>` to your config. When nothing changed it runs only
# builtins: no nupm, no Python, no subprocess.
#
# `overlay use` needs a path known at parse time, so a closure decides what to do, copies the project's
# .nupm/.hook.nu to this session's own file and writes the `overlay hide`/`overlay use` lines to run into a
# file that a string hook sources; its code is parsed only when there is something to do.
#
# When nothing changed a prompt costs one closure (bench/hooks.py measures it): the full decision, which
# walks up from PWD and compares mtimes with `ls`, runs only when what it last read differs: another PWD, a
# .nupm/stamp appearing above PWD (outside a project), other bytes in the project's nupm.toml or nupm.lock
# (read with one glob), the active project not the one decided (an `overlay use` that failed, a
# `deactivate`). nu has no stat but `ls`, which builds a thread pool per call (~200 µs), and each command
# costs tens of µs, so nothing else is looked at: inside a project, a stamp that changes while nupm.toml
# and nupm.lock do not (a newer nupm's templates), a project created in PWD or between it and the root, or
# a deleted .nupm/, is seen at the next cd.

# All the hook's state is one record, `$env._NUPM_HOOK`: every closure nu runs (any hook's, at every prompt)
# costs more with each variable in the environment, and a record is one.

if ($env._NUPM_HOOK? | is-empty) {
    let temp = ([$nu.temp-dir? $nu.temp-path? "/tmp"] | compact | first)  # renamed temp-dir in nu 0.10x
    let dir = ($temp | path join $"nupm-hook-($nu.pid)")
    let file = ($dir | path join "nupm-project.nu")
    let act = ($dir | path join "act.nu")
    # Sessions that ended left their directory behind: remove those whose nu no longer runs (`ps` and `ls`
    # are builtins; this runs once, when the shell starts).
    try {
        let running = (ps | get pid)
        ls ($temp | path join "nupm-hook-*" | into glob) | where type == dir | each {|d|
            let pid = ($d.name | path basename | str replace "nupm-hook-" "")
            if ($pid =~ '^[0-9]+$') and (($pid | into int) not-in $running) { rm --recursive --force $d.name }
        } | ignore
    }
    mkdir $dir
    # root, stamp: the project active (set once its overlay is in use, so a `deactivate` reverts them);
    # seen: what the last decision read, for `check`.
    $env._NUPM_HOOK = {root: "", stamp: "", warned: "", refused: "", seen: null}

    # Where nupm records the environments it built (or the user trusted); nothing else is ever sourced.
    let trust_dir = __NUPM_TRUST_DIR__
    let trusted = {|root: string, stamp: string|
        let record = $"($trust_dir)($root)/.nupm-trust"
        if not ($record | path exists) { return false }
        let since = (ls $record).0.modified
        let kept = (open --raw $record | str trim)
        let sourced = ([stamp .hook.nu plugins/use.nu] | each {|f| $root | path join ".nupm" $f } | where {|f| $f | path exists })
        ($kept != "") and ($kept == $stamp) and ($sourced | all {|f| (ls $f).0.modified <= $since })
    }

    # The full decision: nearest project, staleness, trust. True when it wrote an act file to run.
    let decide = {||
        mut dirs = [$env.PWD]
        loop {
            let parent = ($dirs | last | path dirname)
            if $parent == ($dirs | last) { break }
            $dirs = ($dirs | append $parent)
        }
        # What `check` compares with at the next prompts, observed before the decision reads the files (a change
        # in between only makes it decide once more). One glob (the root escaped) reads nupm.toml and
        # nupm.lock, so either of them appearing or going away changes the bytes too.
        let stamps = ($dirs | each {|d| $d | path join ".nupm" "stamp" })
        let seen = ($stamps | path exists)
        let at = ($seen | enumerate | where item == true | get index | first 1)
        let root = if ($at | is-empty) { "" } else { $dirs | get $at.0 }
        let sources = if $root == "" { [] } else { ["nupm.toml" "nupm.lock"] | each {|f| $root | path join $f } }
        let present = ($sources | path exists)
        let glob = if ($present | any {|p| $p }) {
            $root | str replace --all --regex '([\[\]*?])' '[$1]' | $in + "/nupm.[lt]o[mc][lk]" | into glob
        }
        # Outside a project, a stamp appearing anywhere above PWD (inside one, see the top of this file).
        let probe = if $root == "" { $stamps } else { [] }
        let observed = {
            pwd: $env.PWD
            root: $root
            probe: (if ($probe | is-empty) { null } else { $probe })
            absent: ($probe | each { false })  # what `path exists` says of it
            glob: $glob
            text: (if $glob != null { try { open --raw $glob } catch { null } })
        }
        mut state = $env._NUPM_HOOK
        mut stale = false
        if $root != "" {
            let stamp_time = (ls ($root | path join ".nupm" "stamp")).0.modified
            $stale = ($sources | zip $present | where {|p| $p.1 } | any {|p| (ls $p.0).0.modified > $stamp_time })
            if $stale and ($env.NUPM_AUTO_INSTALL? == "1") {
                do --ignore-errors { ^nupm -C $root install }
            } else if $stale and $state.warned != $root {
                let named = ($root | path join ".nupm" "name")
                let name = if ($named | path exists) { open --raw $named | str trim } else { $root | path basename }
                print --stderr $"nupm: ($name) is out of date, run nupm install"
                $state.warned = $root
            } else if not $stale {
                $state.warned = ""
            }
        }
        let stamp = if $root == "" { "" } else { open --raw ($root | path join ".nupm" "stamp") | str trim }
        let changed = $root != $state.root or $stamp != $state.stamp
        let hide = $changed and $state.root != ""
        mut use = $changed and $root != ""
        # Out of date: compare the mtimes at every prompt until it is not.
        $state.seen = if $stale { null } else { $observed }
        if $use and not (do $trusted $root $stamp) {
            # Not ours: look again at every prompt (a `nupm install` or `nupm trust` may vouch for it), say so once.
            $use = false
            $state.seen = null
            $state.root = ""
            $state.stamp = ""
            if $state.refused != $"($root):($stamp)" {
                print --stderr $"nupm: ($root) has an environment nupm did not build here; run nupm install"
                $state.refused = $"($root):($stamp)"
            }
        }
        # The project's Nushell plugins: a module cannot hold `plugin use`, so its lines go into the act file,
        # into the project's overlay (made first, so that its modules are parsed with the plugins' commands
        # known), and leave with it.
        let plugins = if $use { $root | path join ".nupm" "plugins" "use.nu" }
        let plugins = if $use and ($plugins | path exists) { open --raw $plugins }
        if $use {
            $state.refused = ""
            open --raw ($root | path join ".nupm" ".hook.nu") | save --force $file
        }
        $env._NUPM_HOOK = $state
        if $hide or $use {
            # The state outlives the overlay it was set in; the project's own variables do not.
            # Never the same text twice: nu 0.101 reuses what it parsed of a file with the same name and text,
            # an `overlay use` in it included, and would bring back the module it found the first time.
            # Activating the overlay again brings back the environment it had when hidden, the directory and this
            # state included (nu 0.101 even moves the user back there): the act file puts back where the user is
            # and what was decided.
            let active = {root: $root, stamp: $stamp}
            let lines = [
                $"# (date now | into int)"
                'let nupm_keep = {pwd: $env.PWD, oldpwd: $env.OLDPWD?, state: $env._NUPM_HOOK}'
                (if $hide { 'overlay hide nupm-project --keep-env [PWD _NUPM_HOOK]' })
                (if $hide { '$env._NUPM_HOOK = ($env._NUPM_HOOK | merge {root: "", stamp: ""})' })
                (if $plugins != null { 'overlay new nupm-project' })
                $plugins
                (if $use { $"overlay use r#'($file)'#" })
                (if $use { 'if $env.PWD != $nupm_keep.pwd { cd $nupm_keep.pwd }' })
                (if $use { 'if $nupm_keep.oldpwd != null { $env.OLDPWD = $nupm_keep.oldpwd }' })
                (if $use { $"$env._NUPM_HOOK = \($nupm_keep.state | merge ($active | to nuon)\)" })
            ]
            $lines | compact | str join "\n" | save --force $act
        }
        $hide or $use
    }
    # At every prompt: nothing to do while what the last decision read is as it was (and the project it
    # decided on is the active one: an `overlay use` that failed is retried, a `deactivate` undone).
    let check = {||
        let state = $env._NUPM_HOOK
        let last = $state.seen
        if ($last != null and $last.pwd == $env.PWD and $last.root == $state.root
            and ($last.probe == null or ($last.probe | path exists) == $last.absent)
            and ($last.glob == null or (try { open --raw $last.glob } catch { null }) == $last.text)) {
            return false
        }
        do --env $decide
    }
    # One hook: its condition is `check` (a condition's changes to $env are kept), its code sources the file
    # `decide` wrote with what to do, parsed only then (`overlay use` needs a path known at parse time).
    let hooks = ($env.config.hooks? | default {})
    $env.config.hooks = ($hooks | upsert pre_prompt (($hooks.pre_prompt? | default []) | append {
        condition: $check
        code: $"source r#'($act)'#"
    }))
}

__NUPM_COMPLETION__
