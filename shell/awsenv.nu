# awsenv shell integration for nushell (0.100+). Once:
#     awsenv init nu | save -f ~/.awsenv.nu
# and in config.nu:
#     source ~/.awsenv.nu
# `awsenv assume`/`awsenv unset` then act on this shell, `_awsenv_hook` runs before each
# prompt (warns, or re-assumes with AWSENV_AUTO=refresh) and keeps $env.AWSENV_PROMPT current.
# AWSENV_WARN: seconds, or one number with an s, m or h suffix (default 10m).
# The hook keeps its once-only state in $env._AWSENV_* (nushell has no other globals).

$env.AWSENV_SHELL = "nu"

# What `awsenv … --shell nu` printed: a record of strings to set and nulls to remove.
# `hide-env` inside a command cannot remove a variable that an outer scope set (it uncovers
# the outer value instead), so a removed variable becomes null, which nushell never passes
# to a child process.
def --env _awsenv_apply [record: record] {
    load-env $record
}

def "nu-complete awsenv profiles" [] {
    ^awsenv list --names | lines
}

# `awsenv assume`/`awsenv unset` change this shell; every other subcommand is the binary's.
def --env --wrapped awsenv [...args: string@"nu-complete awsenv profiles"] {
    let sub = ($args | get -o 0 | default "")
    if ($sub not-in [assume unset]) or ("-h" in $args) or ("--help" in $args) {
        ^awsenv ...$args
        return
    }
    let out = (^awsenv ...$args --shell nu | complete)
    if $out.exit_code != 0 {
        error make --unspanned {msg: ($out.stderr | str trim)}
    }
    print -e -n $out.stderr
    _awsenv_apply ($out.stdout | from json)
}

# Seconds from AWSENV_WARN: `600`, `90s`, `10m`, `1h`; 600 when unset or malformed.
def _awsenv_warn_secs [] {
    let w = ($env.AWSENV_WARN? | default "10m")
    let m = ($w | parse -r '^(?<n>[0-9]+)(?<u>[smh]?)$')
    if ($m | is-empty) { return 600 }
    let n = ($m.0.n | into int)
    match $m.0.u { "h" => ($n * 3600), "m" => ($n * 60), _ => $n }
}

# `42m`, `1h05m`, `30s`, `expired`: the same text as `awsenv prompt`.
def _awsenv_left_text [left: int] {
    if $left <= 0 {
        "expired"
    } else if $left >= 3600 {
        let m = ($left mod 3600 // 60 | into string | fill -a right -c "0" -w 2)
        $"($left // 3600)h($m)m"
    } else if $left >= 60 {
        $"($left // 60)m"
    } else {
        $"($left)s"
    }
}

# One attempt to re-assume AWSENV_PROFILE with no input; on failure, one warning.
def --env _awsenv_refresh [] {
    let profile = $env.AWSENV_PROFILE
    # The cache must not hand back the session being replaced: entries inside the warning
    # window count as stale for this call. A prompt waits at most 5 s unless told otherwise.
    let vars = {
        AWSENV_REFRESH_WINDOW: ((_awsenv_warn_secs) + 60 | into string)
        AWSENV_STS_TIMEOUT: ($env.AWSENV_STS_TIMEOUT? | default "5")
    }
    let out = (with-env $vars { "" | ^awsenv assume $profile --no-input --shell nu | complete })
    if $out.exit_code == 0 {
        _awsenv_apply ($out.stdout | from json)
        return true
    }
    let reason = ($out.stderr | lines | get -o 0 | default "" | str replace -r '^awsenv: ' '')
    print -e $"awsenv: could not refresh profile `($profile)`, keeping the old credentials: ($reason)"
    false
}

def --env _awsenv_hook [] {
    let profile = ($env.AWSENV_PROFILE? | default "")
    if $profile == "" {
        $env.AWSENV_PROMPT = null
        return
    }
    let at = ($env.AWSENV_EXPIRES_AT? | default "")
    if $at !~ '^[0-9]+$' {
        $env.AWSENV_PROMPT = $profile
        return
    }
    let now = ((date now | into int) // 1_000_000_000)
    mut left = (($at | into int) - $now)
    if $left <= (_awsenv_warn_secs) {
        let key = $"($profile)@($at)"
        match ($env.AWSENV_AUTO? | default "warn") {
            "refresh" => { _awsenv_hook_refresh $key $left }
            "off" => {}
            _ => { _awsenv_hook_warn $key $left }
        }
        let at = ($env.AWSENV_EXPIRES_AT? | default "")
        if $at !~ '^[0-9]+$' {
            $env.AWSENV_PROMPT = ($env.AWSENV_PROFILE? | default "")
            return
        }
        $left = (($at | into int) - $now)
    }
    $env.AWSENV_PROMPT = $"($env.AWSENV_PROFILE) (_awsenv_left_text $left)"
}

# Refresh mode: one attempt per session and stage (soon, expired); warn if it fails.
def --env _awsenv_hook_refresh [key: string, left: int] {
    let stage = if $left > 0 { "soon" } else { "expired" }
    if ($env._AWSENV_TRIED? | default "") == $"($key):($stage)" { return }
    $env._AWSENV_TRIED = $"($key):($stage)"
    if (_awsenv_refresh) {
        if $"($env.AWSENV_PROFILE)@($env.AWSENV_EXPIRES_AT? | default '')" != $key { return }
    } else {
        $env._AWSENV_WARNED_SOON = $key
        if $left <= 0 { $env._AWSENV_WARNED_EXPIRED = $key }
        return
    }
    _awsenv_hook_warn $key $left
}

# Warn mode: one line when the session enters the window, one when it has expired.
def --env _awsenv_hook_warn [key: string, left: int] {
    let profile = $env.AWSENV_PROFILE
    if $left <= 0 {
        if ($env._AWSENV_WARNED_EXPIRED? | default "") == $key { return }
        $env._AWSENV_WARNED_EXPIRED = $key
        $env._AWSENV_WARNED_SOON = $key
        print -e $"awsenv: profile `($profile)` expired; run `awsenv assume ($profile)` to renew"
    } else if ($env._AWSENV_WARNED_SOON? | default "") != $key {
        $env._AWSENV_WARNED_SOON = $key
        print -e $"awsenv: profile `($profile)` expires in (_awsenv_left_text $left); run `awsenv assume ($profile)` to renew"
    }
}

# Before every prompt, once however often this file is sourced.
$env.config = ($env.config | upsert hooks.pre_prompt {|config|
    let hooks = ($config.hooks?.pre_prompt? | default [])
    if ($hooks | any {|hook| ($hook | describe) == "closure" and ((view source $hook) =~ "_awsenv_hook") }) {
        $hooks
    } else {
        $hooks | append {|| _awsenv_hook }
    }
})
