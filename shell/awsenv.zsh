# awsenv shell integration for zsh. In ~/.zshrc, after compinit:
#     eval "$(awsenv init zsh)"
# `awsenv assume`/`awsenv unset` then act on this shell, `_awsenv_hook` runs before each
# prompt (warns, or renews in the background with AWSENV_AUTO=refresh) and keeps
# $AWSENV_PROMPT current.
# AWSENV_WARN: seconds, or one number with an s, m or h suffix (default 10m).

export AWSENV_SHELL=zsh
zmodload zsh/datetime
# Builtins for the renewal's file: zstat (its mode) and zf_rm (rm), under names of their own.
zmodload -F zsh/stat b:zstat
zmodload -F zsh/files b:zf_rm

awsenv() {
    emulate -L zsh
    case "${1-}" in
    assume | unset) ;;
    *)
        command awsenv "$@"
        return
        ;;
    esac
    local arg
    for arg in "$@"; do
        case "$arg" in
        -h | --help)
            command awsenv "$@"
            return
            ;;
        esac
    done
    local code ret
    code=$(command awsenv "$@" --shell zsh)
    ret=$?
    if [ "$ret" -eq 0 ]; then
        eval "$code"
    fi
    return "$ret"
}

# Seconds from AWSENV_WARN: `600`, `90s`, `10m`, `1h`; 600 when unset or malformed.
_awsenv_warn_secs() {
    emulate -L zsh
    local w=${AWSENV_WARN:-10m} n
    n=${w%[smh]}
    case "$n" in
    '' | *[!0-9]*)
        _awsenv_secs=600
        return
        ;;
    esac
    case "$w" in
    *h) _awsenv_secs=$((10#$n * 3600)) ;;
    *m) _awsenv_secs=$((10#$n * 60)) ;;
    *) _awsenv_secs=$((10#$n)) ;;
    esac
}

# `42m`, `1h05m`, `30s`, `expired`: the same text as `awsenv prompt`.
_awsenv_left_text() {
    emulate -L zsh
    local left=$1
    if ((left <= 0)); then
        _awsenv_text=expired
    elif ((left >= 3600)); then
        printf -v _awsenv_text '%dh%02dm' $((left / 3600)) $((left % 3600 / 60))
    elif ((left >= 60)); then
        _awsenv_text="$((left / 60))m"
    else
        _awsenv_text="${left}s"
    fi
}

_awsenv_hook() {
    local ret=$?
    emulate -L zsh
    [ -z "${_awsenv_renewal-}" ] || _awsenv_take_renewal
    if [ -z "${AWSENV_PROFILE-}" ]; then
        unset AWSENV_PROMPT
        return "$ret"
    fi
    local at=${AWSENV_EXPIRES_AT-} now left key
    case "$at" in
    '' | *[!0-9]*)
        export AWSENV_PROMPT="$AWSENV_PROFILE"
        return "$ret"
        ;;
    esac
    now=$EPOCHSECONDS
    left=$((at - now))
    _awsenv_warn_secs
    if ((left <= _awsenv_secs)); then
        key="$AWSENV_PROFILE@$at"
        case "${AWSENV_AUTO:-warn}" in
        refresh) _awsenv_hook_refresh "$key" "$left" ;;
        off) ;;
        *) _awsenv_hook_warn "$key" "$left" ;;
        esac
    fi
    _awsenv_left_text "$left"
    export AWSENV_PROMPT="$AWSENV_PROFILE $_awsenv_text"
    return "$ret"
}

# Refresh mode: one renewal per session, in the background: `awsenv renew` checks that it
# needs no input (else it warns and starts nothing), starts it detached and prints the file
# it will write; a later prompt applies that. Nothing here waits on the network.
_awsenv_hook_refresh() {
    emulate -L zsh
    local key=$1 left=$2 file
    if [ "${_awsenv_tried-}" = "$key" ]; then
        # Started: quiet while it runs; after a failure, which said so, only the expiry.
        [ -n "${_awsenv_renewal-}" ] || _awsenv_hook_warn "$key" "$left"
        return 0
    fi
    _awsenv_tried=$key
    # The renewal speaks for this session from now on, its failure included.
    _awsenv_warned_soon=$key
    ((left > 0)) || _awsenv_warned_expired=$key
    file=$(command awsenv renew --shell zsh --pid "$$" </dev/null) || return 0
    _awsenv_renewal=$file
    _awsenv_renewing=$key
}

# The renewal's result, once written: applied when the session is still the one it renews
# and the file is the user's own and nobody else's to write, then removed; builtins only.
# Until it is written this costs a stat.
_awsenv_take_renewal() {
    emulate -L zsh
    local file=$_awsenv_renewal code=
    local -a mode
    if [ "${AWSENV_PROFILE-}@${AWSENV_EXPIRES_AT-}" != "${_awsenv_renewing-}" ]; then
        # `assume` or `unset` since: the result is for a session that is gone.
        _awsenv_renewal=
        return 0
    fi
    [[ -e $file || -L $file ]] || return 0
    _awsenv_renewal=
    if [[ -L $file || ! -f $file || ! -O $file ]]; then
        printf 'awsenv: not applying the renewal in %s: it is not a file of your own\n' "$file" >&2
        return 0
    fi
    if ! zstat -A mode +mode -- "$file" || ((mode[1] & 8#022)); then
        printf 'awsenv: not applying the renewal in %s: others may write to it\n' "$file" >&2
        return 0
    fi
    IFS= read -r -d '' code <"$file" || :
    zf_rm -f -- "$file"
    eval "$code"
}

# Warn mode: one line when the session enters the window, one when it has expired.
_awsenv_hook_warn() {
    emulate -L zsh
    local key=$1 left=$2
    if ((left <= 0)); then
        [ "${_awsenv_warned_expired-}" != "$key" ] || return 0
        _awsenv_warned_expired=$key
        _awsenv_warned_soon=$key
        printf 'awsenv: profile `%s` expired; run `awsenv assume %s` to renew\n' \
            "$AWSENV_PROFILE" "$AWSENV_PROFILE" >&2
    elif [ "${_awsenv_warned_soon-}" != "$key" ]; then
        _awsenv_warned_soon=$key
        _awsenv_left_text "$left"
        printf 'awsenv: profile `%s` expires in %s; run `awsenv assume %s` to renew\n' \
            "$AWSENV_PROFILE" "$_awsenv_text" "$AWSENV_PROFILE" >&2
    fi
}

# Before every prompt; add-zsh-hook adds a function once however often this is sourced.
autoload -Uz add-zsh-hook
add-zsh-hook precmd _awsenv_hook

# Completions: the binary prints its own registration for the command name `awsenv`.
if [[ -o interactive ]] && (( $+functions[compdef] )); then
    source <(COMPLETE=zsh command awsenv)
fi
