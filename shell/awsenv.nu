# awsenv shell integration for nushell (0.100+). Once:
#     awsenv init nu | save -f ~/.awsenv.nu
# and in config.nu:
#     source ~/.awsenv.nu
# `awsenv assume`/`awsenv unset` then act on this shell, `_awsenv_hook` runs before each
# prompt (warns, or renews in the background with AWSENV_AUTO=refresh) and keeps
# $env.AWSENV_PROMPT current.
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

def --env _awsenv_hook [] {
    if ($env._AWSENV_RENEWAL? | default "") != "" { _awsenv_take_renewal }
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
    let left = (($at | into int) - $now)
    if $left <= (_awsenv_warn_secs) {
        let key = $"($profile)@($at)"
        match ($env.AWSENV_AUTO? | default "warn") {
            "refresh" => { _awsenv_hook_refresh $key $left }
            "off" => {}
            _ => { _awsenv_hook_warn $key $left }
        }
    }
    $env.AWSENV_PROMPT = $"($env.AWSENV_PROFILE) (_awsenv_left_text $left)"
}

# Refresh mode: one renewal per session, in the background: `awsenv renew` checks that it
# needs no input (else it warns and starts nothing), starts it detached and prints the file
# it will write; a later prompt applies that. Nothing here waits on the network.
def --env _awsenv_hook_refresh [key: string, left: int] {
    if ($env._AWSENV_TRIED? | default "") == $key {
        # Started: quiet while it runs; after a failure, which said so, only the expiry.
        if ($env._AWSENV_RENEWAL? | default "") == "" { _awsenv_hook_warn $key $left }
        return
    }
    $env._AWSENV_TRIED = $key
    # The renewal speaks for this session from now on, its failure included.
    $env._AWSENV_WARNED_SOON = $key
    if $left <= 0 { $env._AWSENV_WARNED_EXPIRED = $key }
    let out = ("" | ^awsenv renew --shell nu --pid $nu.pid | complete)
    print -e -n $out.stderr
    let file = ($out.stdout | str trim)
    if $out.exit_code == 0 and $file != "" {
        $env._AWSENV_RENEWAL = $file
        $env._AWSENV_RENEWING = $key
    }
}

# The renewal's result, once written: a record applied when the session is still the one it
# renews and the file belongs to the owner of the private directory awsenv checked and
# nobody else may write it, then removed; or a string, the failure, printed. Builtins only;
# until it is written this costs a stat.
def --env _awsenv_take_renewal [] {
    let file = $env._AWSENV_RENEWAL
    let session = $"($env.AWSENV_PROFILE? | default '')@($env.AWSENV_EXPIRES_AT? | default '')"
    if $session != ($env._AWSENV_RENEWING? | default "") {
        # `assume` or `unset` since: the result is for a session that is gone.
        $env._AWSENV_RENEWAL = ""
        return
    }
    let kind = ($file | path type)
    if ($kind | is-empty) { return }
    $env._AWSENV_RENEWAL = ""
    let it = (ls -l $file | first)
    let dir = (ls -l -D ($file | path dirname) | first)
    if $kind != "file" or ($it | get -o user) != ($dir | get -o user) {
        print -e $"awsenv: not applying the renewal in ($file): it is not a file of your own"
        return
    }
    let mode = ($it | get -o mode | default "---------" | split chars)
    if ($mode | get -o 4) == "w" or ($mode | get -o 7) == "w" {
        print -e $"awsenv: not applying the renewal in ($file): others may write to it"
        return
    }
    let got = (open --raw $file | from json)
    rm -f $file
    if ($got | describe) == "string" { print -e $got } else { _awsenv_apply $got }
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
