# awsenv shell integration for fish. In ~/.config/fish/config.fish:
#     awsenv init fish | source
# `awsenv assume`/`awsenv unset` then act on this shell, `_awsenv_hook` runs before each
# prompt (warns, or re-assumes with AWSENV_AUTO=refresh) and keeps $AWSENV_PROMPT current.
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

# One attempt to re-assume AWSENV_PROFILE with no input; on failure, one warning.
function _awsenv_refresh
    set -l profile $AWSENV_PROFILE
    set -l tmp (mktemp); or return 1
    # The cache must not hand back the session being replaced: entries inside the warning
    # window count as stale for this call. A prompt waits at most 5 s unless told otherwise.
    set -l window (math (_awsenv_warn_secs) + 60)
    set -l timeout 5
    set -q AWSENV_STS_TIMEOUT[1]; and set timeout $AWSENV_STS_TIMEOUT
    set -l code (AWSENV_REFRESH_WINDOW=$window AWSENV_STS_TIMEOUT=$timeout command awsenv assume $profile --no-input --shell fish </dev/null 2>$tmp | string collect)
    set -l ret $pipestatus[1]
    set -l reason (head -n 1 $tmp)
    rm -f -- $tmp
    if test "$ret" -eq 0
        printf '%s\n' $code | source
        return 0
    end
    set reason (string replace -r '^awsenv: ' '' -- "$reason")
    printf 'awsenv: could not refresh profile `%s`, keeping the old credentials: %s\n' $profile "$reason" >&2
    return 1
end

function _awsenv_hook --on-event fish_prompt
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
        if not string match -qr '^[0-9]+$' -- "$AWSENV_EXPIRES_AT"
            set -gx AWSENV_PROMPT $AWSENV_PROFILE
            return
        end
        set left (math "$AWSENV_EXPIRES_AT - $now")
    end
    set -gx AWSENV_PROMPT "$AWSENV_PROFILE "(_awsenv_left_text $left)
end

# Refresh mode: one attempt per session and stage (soon, expired); warn if it fails.
function _awsenv_hook_refresh -a key left
    set -l stage soon
    test $left -gt 0; or set stage expired
    test "$_awsenv_tried" != "$key:$stage"; or return 0
    set -g _awsenv_tried "$key:$stage"
    if _awsenv_refresh
        test "$AWSENV_PROFILE@$AWSENV_EXPIRES_AT" = "$key"; or return 0
    else
        set -g _awsenv_warned_soon $key
        test $left -gt 0; or set -g _awsenv_warned_expired $key
        return 0
    end
    _awsenv_hook_warn $key $left
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
