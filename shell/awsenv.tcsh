# awsenv shell integration for tcsh (and csh). Once:
#     awsenv init tcsh > ~/.awsenv.tcsh
# and in ~/.tcshrc:
#     source ~/.awsenv.tcsh
# (saved elsewhere: `set awsenv_init = PATH` before the `source` line; the prompt hook
# sources this file again). `awsenv assume`/`awsenv unset` then act on this shell, the
# `precmd` alias runs the hook before each prompt (warns, or renews in the background with
# AWSENV_AUTO=refresh) and keeps $AWSENV_PROMPT current. AWSENV_WARN: seconds, or one number
# with an s, m or h suffix (default 10m). tcsh has no clock builtin: with a session
# exported, the hook runs `date +%s` once per prompt; with none, it starts no process.

if ($#argv > 0) then
    if ("$argv[1]" == _hook) goto _awsenv_hook
endif

setenv AWSENV_SHELL tcsh
if (! $?awsenv_init) set awsenv_init = ~/.awsenv.tcsh
if (! $?_awsenv_warned_soon) set _awsenv_warned_soon = ''
if (! $?_awsenv_warned_expired) set _awsenv_warned_expired = ''
if (! $?_awsenv_tried) set _awsenv_tried = ''
if (! $?_awsenv_renewal) set _awsenv_renewal = ''
if (! $?_awsenv_renewing) set _awsenv_renewing = ''

# `awsenv assume`/`awsenv unset` change this shell: awsenv writes the snippet into a private
# file made here, which is then sourced, so no value passes through backquotes. Every other
# subcommand ignores the file.
alias awsenv 'set _awsenv_f = "`mktemp`" ; env _AWSENV_SNIPPET_FILE="$_awsenv_f" awsenv \!* ; set _awsenv_rc = $status ; source "$_awsenv_f" ; rm -f -- "$_awsenv_f" ; ( exit $_awsenv_rc )'

# Before every prompt, after the user's own precmd, once however often this is sourced
# (tcsh gives `$status` back after `precmd` by itself).
alias _awsenv_hook 'source "$awsenv_init" _hook'
set _awsenv_precmd = "`alias precmd`"
if ("$_awsenv_precmd" !~ *_awsenv_hook*) then
    if ("$_awsenv_precmd" == '') then
        alias precmd _awsenv_hook
    else
        alias precmd "$_awsenv_precmd ; _awsenv_hook"
    endif
endif
unset _awsenv_precmd

# Completions: subcommands, shells, and profile names from `awsenv list --names`.
complete awsenv 'p/1/(assume unset init prompt status list exec doctor completions credential-process sso console keys)/' 'n/assume/`awsenv list --names`/' 'n/exec/`awsenv list --names`/' 'n/console/`awsenv list --names`/' 'n/doctor/`awsenv list --names`/' 'n/credential-process/`awsenv list --names`/' 'n/init/(bash zsh fish powershell sh nu elvish xonsh tcsh)/' 'n/completions/(bash zsh fish powershell nu elvish xonsh tcsh)/' 'c/--shell=/(bash zsh fish powershell sh nu elvish xonsh tcsh)/' 'n/--shell/(bash zsh fish powershell sh nu elvish xonsh tcsh)/'

goto _awsenv_end

_awsenv_hook:
# The renewal's result, once written: applied when the session is still the one it renews
# and the file is the user's own and nobody else's to write, then removed. Until it is
# written this costs a stat, no process; applying it, one `rm` (tcsh has no builtin that
# removes a file).
if ("$_awsenv_renewal" != '') then
    set _awsenv_session = ''
    if ($?AWSENV_PROFILE) set _awsenv_session = "$AWSENV_PROFILE"
    set _awsenv_session = "${_awsenv_session}@"
    if ($?AWSENV_EXPIRES_AT) set _awsenv_session = "${_awsenv_session}$AWSENV_EXPIRES_AT"
    if ("$_awsenv_session" != "$_awsenv_renewing") then
        # `assume` or `unset` since: the result is for a session that is gone.
        set _awsenv_renewal = ''
    else if (-e "$_awsenv_renewal" || -l "$_awsenv_renewal") then
        set _awsenv_f = "$_awsenv_renewal"
        set _awsenv_renewal = ''
        if (-l "$_awsenv_f" || ! -f "$_awsenv_f" || ! -o "$_awsenv_f") then
            printf 'awsenv: not applying the renewal in %s: it is not a file of your own\n' "$_awsenv_f" > /dev/stderr
        else if (-P22 "$_awsenv_f") then
            printf 'awsenv: not applying the renewal in %s: others may write to it\n' "$_awsenv_f" > /dev/stderr
        else
            source "$_awsenv_f"
            rm -f -- "$_awsenv_f"
        endif
    endif
endif
if (! $?AWSENV_PROFILE) then
    unsetenv AWSENV_PROMPT
    goto _awsenv_end
endif
if ("$AWSENV_PROFILE" == '') then
    unsetenv AWSENV_PROMPT
    goto _awsenv_end
endif
if (! $?AWSENV_EXPIRES_AT) then
    setenv AWSENV_PROMPT "$AWSENV_PROFILE"
    goto _awsenv_end
endif
if ("$AWSENV_EXPIRES_AT" !~ [0-9]* || "$AWSENV_EXPIRES_AT" =~ *[^0-9]*) then
    setenv AWSENV_PROMPT "$AWSENV_PROFILE"
    goto _awsenv_end
endif
# Seconds from AWSENV_WARN: `600`, `90s`, `10m`, `1h`; 600 when unset or malformed.
set _awsenv_w = 10m
if ($?AWSENV_WARN) then
    if ("$AWSENV_WARN" != '') set _awsenv_w = "$AWSENV_WARN"
endif
set _awsenv_n = "$_awsenv_w"
if ("$_awsenv_w" =~ *[smh]) set _awsenv_n = "$_awsenv_w:s/s//:s/m//:s/h//"
if ("$_awsenv_n" !~ [0-9]* || "$_awsenv_n" =~ *[^0-9]*) then
    @ _awsenv_secs = 600
else if ("$_awsenv_w" =~ *h) then
    @ _awsenv_secs = $_awsenv_n * 3600
else if ("$_awsenv_w" =~ *m) then
    @ _awsenv_secs = $_awsenv_n * 60
else
    @ _awsenv_secs = $_awsenv_n
endif
set _awsenv_now = "`date +%s`"

_awsenv_left:
@ _awsenv_left = $AWSENV_EXPIRES_AT - $_awsenv_now
# `42m`, `1h05m`, `30s`, `expired`: the same text as `awsenv prompt`.
if ($_awsenv_left <= 0) then
    set _awsenv_text = expired
else if ($_awsenv_left >= 3600) then
    @ _awsenv_h = $_awsenv_left / 3600
    @ _awsenv_m = $_awsenv_left % 3600 / 60
    set _awsenv_text = "${_awsenv_h}h"
    if ($_awsenv_m < 10) set _awsenv_text = "${_awsenv_text}0"
    set _awsenv_text = "${_awsenv_text}${_awsenv_m}m"
else if ($_awsenv_left >= 60) then
    @ _awsenv_m = $_awsenv_left / 60
    set _awsenv_text = "${_awsenv_m}m"
else
    set _awsenv_text = "${_awsenv_left}s"
endif
if ($_awsenv_left > $_awsenv_secs) goto _awsenv_prompt
set _awsenv_key = "${AWSENV_PROFILE}@$AWSENV_EXPIRES_AT"
set _awsenv_auto = warn
if ($?AWSENV_AUTO) then
    set _awsenv_auto = "$AWSENV_AUTO"
endif
if ("$_awsenv_auto" == off) goto _awsenv_prompt
if ("$_awsenv_auto" != refresh) goto _awsenv_warn
# Refresh mode: one renewal per session, in the background: `awsenv renew` checks that it
# needs no input (else it warns and starts nothing), starts it detached and prints the file
# it will write; a later prompt applies that. Nothing here waits on the network.
if ("$_awsenv_tried" == "$_awsenv_key") then
    # Started: quiet while it runs; after a failure, which said so, only the expiry.
    if ("$_awsenv_renewal" == '') goto _awsenv_warn
    goto _awsenv_prompt
endif
set _awsenv_tried = "$_awsenv_key"
# The renewal speaks for this session from now on, its failure included.
set _awsenv_warned_soon = "$_awsenv_key"
if ($_awsenv_left <= 0) set _awsenv_warned_expired = "$_awsenv_key"
set _awsenv_r = "`env awsenv renew --shell tcsh --pid $$ < /dev/null`"
if ("$_awsenv_r" != '') then
    set _awsenv_renewal = "$_awsenv_r"
    set _awsenv_renewing = "$_awsenv_key"
endif
goto _awsenv_prompt

# Warn mode: one line when the session enters the window, one when it has expired.
_awsenv_warn:
if ($_awsenv_left <= 0) then
    if ("$_awsenv_warned_expired" != "$_awsenv_key") then
        set _awsenv_warned_expired = "$_awsenv_key"
        set _awsenv_warned_soon = "$_awsenv_key"
        printf 'awsenv: profile `%s` expired; run `awsenv assume %s` to renew\n' "$AWSENV_PROFILE" "$AWSENV_PROFILE" > /dev/stderr
    endif
else if ("$_awsenv_warned_soon" != "$_awsenv_key") then
    set _awsenv_warned_soon = "$_awsenv_key"
    printf 'awsenv: profile `%s` expires in %s; run `awsenv assume %s` to renew\n' "$AWSENV_PROFILE" "$_awsenv_text" "$AWSENV_PROFILE" > /dev/stderr
endif

_awsenv_prompt:
setenv AWSENV_PROMPT "$AWSENV_PROFILE $_awsenv_text"

_awsenv_end:
