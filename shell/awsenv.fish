# awsenv shell integration for fish. In ~/.config/fish/config.fish:
#     awsenv init fish | source
# `awsenv assume`/`awsenv unset` then act on this shell, `_awsenv_hook` runs before each
# prompt (warns, or renews in the background with AWSENV_AUTO=refresh) and keeps
# $AWSENV_PROMPT current.
# AWSENV_WARN: seconds, or one number with an s, m or h suffix (default 10m).

set -gx AWSENV_SHELL fish

function awsenv --description 'awsenv: assume and unset act on this shell'
    if not contains -- "$argv[1]" assume unset; or contains -- -h $argv; or contains -- --help $argv
        command awsenv $argv
        return
    end
    set -l code (command awsenv $argv --shell fish | string collect)
    set -l ret $pipestatus[1]
    if test "$ret" -eq 0
        printf '%s\n' $code | source
    end
    return $ret
end

# Seconds from AWSENV_WARN: `600`, `90s`, `10m`, `1h`; 600 when unset or malformed.
function _awsenv_warn_secs
    set -l w 10m
    set -q AWSENV_WARN[1]; and test -n "$AWSENV_WARN"; and set w $AWSENV_WARN
    set -l m (string match -r '^([0-9]+)([smh]?)$' -- $w)
    or begin
        echo 600
        return
    end
    switch "$m[3]"
        case h
            math "$m[2] * 3600"
        case m
            math "$m[2] * 60"
        case '*'
            math "$m[2]"
    end
end

# `42m`, `1h05m`, `30s`, `expired`: the same text as `awsenv prompt`.
function _awsenv_left_text -a left
    if test $left -le 0
        echo expired
    else if test $left -ge 3600
        printf '%dh%02dm\n' (math --scale=0 "$left / 3600") (math --scale=0 "$left % 3600 / 60")
    else if test $left -ge 60
        printf '%dm\n' (math --scale=0 "$left / 60")
    else
        printf '%ds\n' $left
    end
end

function _awsenv_hook --on-event fish_prompt
    test -z "$_awsenv_renewal"; or _awsenv_take_renewal
    if not set -q AWSENV_PROFILE[1]; or test -z "$AWSENV_PROFILE"
        set -e AWSENV_PROMPT
        return
    end
    if not string match -qr '^[0-9]+$' -- "$AWSENV_EXPIRES_AT"
        set -gx AWSENV_PROMPT $AWSENV_PROFILE
        return
    end
    set -l now (date +%s)
    set -l left (math "$AWSENV_EXPIRES_AT - $now")
    if test $left -le (_awsenv_warn_secs)
        set -l key "$AWSENV_PROFILE@$AWSENV_EXPIRES_AT"
        switch "$AWSENV_AUTO"
            case refresh
                _awsenv_hook_refresh $key $left
            case off
            case '*'
                _awsenv_hook_warn $key $left
        end
    end
    set -gx AWSENV_PROMPT "$AWSENV_PROFILE "(_awsenv_left_text $left)
end

# Refresh mode: one renewal per session, in the background: `awsenv renew` checks that it
# needs no input (else it warns and starts nothing), starts it detached and prints the file
# it will write; a later prompt applies that. Nothing here waits on the network.
function _awsenv_hook_refresh -a key left
    if test "$_awsenv_tried" = "$key"
        # Started: quiet while it runs; after a failure, which said so, only the expiry.
        test -n "$_awsenv_renewal"; or _awsenv_hook_warn $key $left
        return 0
    end
    set -g _awsenv_tried $key
    # The renewal speaks for this session from now on, its failure included.
    set -g _awsenv_warned_soon $key
    test $left -gt 0; or set -g _awsenv_warned_expired $key
    set -l file (command awsenv renew --shell fish --pid $fish_pid </dev/null); or return 0
    set -g _awsenv_renewal $file
    set -g _awsenv_renewing $key
end

# The renewal's result, once written: applied when the session is still the one it renews
# and the file is the user's own and nobody else's to write, then removed. Until it is
# written this costs a stat, no process.
function _awsenv_take_renewal
    set -l file $_awsenv_renewal
    if test "$AWSENV_PROFILE@$AWSENV_EXPIRES_AT" != "$_awsenv_renewing"
        # `assume` or `unset` since: the result is for a session that is gone.
        set -g _awsenv_renewal
        return 0
    end
    test -e $file; or test -L $file; or return 0
    set -g _awsenv_renewal
    if test -L $file; or not test -f $file; or not test -O $file
        printf 'awsenv: not applying the renewal in %s: it is not a file of your own\n' $file >&2
        return 0
    end
    set -l code (string collect <$file)
    # fish has no builtin that reads a file's mode or removes a file: one `find`, once per
    # renewal and never on the fast path, removes it and prints its name only when neither
    # group nor others may write it.
    set -l kept (command find $file -maxdepth 0 -type f ! -perm -g=w ! -perm -o=w -delete -print)
    if test "$kept" != "$file"
        printf 'awsenv: not applying the renewal in %s: others may write to it\n' $file >&2
        return 0
    end
    printf '%s\n' $code | source
end

# Warn mode: one line when the session enters the window, one when it has expired.
function _awsenv_hook_warn -a key left
    if test $left -le 0
        test "$_awsenv_warned_expired" != "$key"; or return 0
        set -g _awsenv_warned_expired $key
        set -g _awsenv_warned_soon $key
        printf 'awsenv: profile `%s` expired; run `awsenv assume %s` to renew\n' $AWSENV_PROFILE $AWSENV_PROFILE >&2
    else if test "$_awsenv_warned_soon" != "$key"
        set -g _awsenv_warned_soon $key
        printf 'awsenv: profile `%s` expires in %s; run `awsenv assume %s` to renew\n' $AWSENV_PROFILE (_awsenv_left_text $left) $AWSENV_PROFILE >&2
    end
end

# Completions: the binary prints its own registration for the command name `awsenv`.
if status is-interactive
    COMPLETE=fish command awsenv | source
end
