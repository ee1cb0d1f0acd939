# awsenv shell integration for bash (4.2+). In ~/.bashrc:
#     eval "$(awsenv init bash)"
# `awsenv assume`/`awsenv unset` then act on this shell, `_awsenv_hook` runs before each
# prompt (warns, or renews in the background with AWSENV_AUTO=refresh) and keeps
# $AWSENV_PROMPT current.
# AWSENV_WARN: seconds, or one number with an s, m or h suffix (default 10m).

# The backticks in messages are literal:
# shellcheck disable=SC2016
export AWSENV_SHELL=bash

awsenv() {
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
    code=$(command awsenv "$@" --shell bash)
    ret=$?
    if [ "$ret" -eq 0 ]; then
        eval "$code"
    fi
    return "$ret"
}

# Seconds from AWSENV_WARN: `600`, `90s`, `10m`, `1h`; 600 when unset or malformed.
_awsenv_warn_secs() {
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
    now=${EPOCHSECONDS-}
    [ -n "$now" ] || printf -v now '%(%s)T' -1
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
    file=$(command awsenv renew --shell bash --pid "$$" </dev/null) || return 0
    _awsenv_renewal=$file
    _awsenv_renewing=$key
}

# The renewal's result, once written: applied when the session is still the one it renews
# and the file is the user's own and nobody else's to write, then removed. Until it is
# written this costs a stat, no process.
_awsenv_take_renewal() {
    local file=$_awsenv_renewal code=
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
    IFS= read -r -d '' code <"$file" || :
    # bash has no builtin that reads a file's mode or removes a file: one `find`, once per
    # renewal and never on the fast path, removes it and prints its name only when neither
    # group nor others may write it.
    if [ "$(command find "$file" -maxdepth 0 -type f ! -perm -g=w ! -perm -o=w -delete -print)" != "$file" ]; then
        printf 'awsenv: not applying the renewal in %s: others may write to it\n' "$file" >&2
        return 0
    fi
    eval "$code"
}

# Warn mode: one line when the session enters the window, one when it has expired.
_awsenv_hook_warn() {
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

# Before every prompt, once however often this file is sourced; PROMPT_COMMAND's own
# commands, string or array, stay as they were.
_awsenv_install() {
    local decl cmd
    decl=$(declare -p PROMPT_COMMAND 2>/dev/null) || decl=
    case "$decl" in
    "declare -a"*)
        for cmd in "${PROMPT_COMMAND[@]}"; do
            [ "$cmd" != _awsenv_hook ] || return 0
        done
        PROMPT_COMMAND+=(_awsenv_hook)
        ;;
    *)
        # A string here: the array form was handled above.
        # shellcheck disable=SC2128,SC2178
        case "${PROMPT_COMMAND-}" in
        *_awsenv_hook*) ;;
        '') PROMPT_COMMAND=_awsenv_hook ;;
        *) PROMPT_COMMAND="_awsenv_hook;$PROMPT_COMMAND" ;;
        esac
        ;;
    esac
}
_awsenv_install
unset -f _awsenv_install

# Completions: the binary prints its own registration for the command name `awsenv`.
if [[ $- == *i* ]] && command -v complete >/dev/null 2>&1; then
    # shellcheck source=/dev/null
    source <(COMPLETE=bash command awsenv)
fi
