# awsenv shell integration for elvish (0.19+). In rc.elv:
#     eval (awsenv init elvish | slurp)
# `awsenv assume`/`awsenv unset` then act on this shell, `_awsenv_hook` runs before each
# prompt (warns, or renews in the background with AWSENV_AUTO=refresh) and keeps
# $E:AWSENV_PROMPT current.
# AWSENV_WARN: seconds, or one number with an s, m or h suffix (default 10m).
# elvish has no clock builtin: with a session exported, the hook runs `date +%s` once per
# prompt; with none, it starts no process.

use file
use math
use path
use re
use str

set-env AWSENV_SHELL elvish

var _awsenv_warned_soon = ''
var _awsenv_warned_expired = ''
var _awsenv_tried = ''
var _awsenv_renewal = ''
var _awsenv_renewing = ''
var _awsenv_uid = ''

# `awsenv assume`/`awsenv unset` change this shell; every other subcommand is the binary's.
edit:add-var awsenv~ {|@args|
  if (or (== (count $args) 0) (not (has-value [assume unset] $args[0])) ^
      (has-value $args -h) (has-value $args --help)) {
    e:awsenv $@args
    return
  }
  var code = (e:awsenv $@args --shell elvish | slurp)
  eval $code
}

# Seconds from AWSENV_WARN: `600`, `90s`, `10m`, `1h`; 600 when unset or malformed.
fn _awsenv_warn_secs {
  var w = 10m
  if (has-env AWSENV_WARN) {
    if (!=s $E:AWSENV_WARN '') { set w = $E:AWSENV_WARN }
  }
  var m = [(re:find '^([0-9]+)([smh]?)$' $w)]
  if (== (count $m) 0) {
    put 600
    return
  }
  var n = (num $m[0][groups][1][text])
  var u = $m[0][groups][2][text]
  if (eq $u h) {
    put (* $n 3600)
  } elif (eq $u m) {
    put (* $n 60)
  } else {
    put $n
  }
}

# `42m`, `1h05m`, `30s`, `expired`: the same text as `awsenv prompt`.
fn _awsenv_left_text {|left|
  if (<= $left 0) {
    put expired
  } elif (>= $left 3600) {
    put (printf '%dh%02dm' (math:trunc (/ $left 3600)) (math:trunc (/ (% $left 3600) 60)))
  } elif (>= $left 60) {
    put (printf '%dm' (math:trunc (/ $left 60)))
  } else {
    put (printf '%ds' $left)
  }
}

# Warn mode: one line when the session enters the window, one when it has expired.
fn _awsenv_hook_warn {|key left|
  var profile = $E:AWSENV_PROFILE
  if (<= $left 0) {
    if (eq $_awsenv_warned_expired $key) { return }
    set _awsenv_warned_expired = $key
    set _awsenv_warned_soon = $key
    echo 'awsenv: profile `'$profile'` expired; run `awsenv assume '$profile'` to renew' >&2
  } elif (not-eq $_awsenv_warned_soon $key) {
    set _awsenv_warned_soon = $key
    echo 'awsenv: profile `'$profile'` expires in '(_awsenv_left_text $left)'; run `awsenv assume '$profile'` to renew' >&2
  }
}

# Refresh mode: one renewal per session, in the background: `awsenv renew` checks that it
# needs no input (else it warns and starts nothing), starts it detached and prints the file
# it will write; a later prompt applies that. Nothing here waits on the network.
fn _awsenv_hook_refresh {|key left|
  if (eq $_awsenv_tried $key) {
    # Started: quiet while it runs; after a failure, which said so, only the expiry.
    if (eq $_awsenv_renewal '') { _awsenv_hook_warn $key $left }
    return
  }
  set _awsenv_tried = $key
  # The renewal speaks for this session from now on, its failure included.
  set _awsenv_warned_soon = $key
  if (<= $left 0) { set _awsenv_warned_expired = $key }
  var file = ''
  if ?(set file = (e:awsenv renew --shell elvish --pid $pid </dev/null | slurp)) {
    set _awsenv_renewal = (str:trim-space $file)
    set _awsenv_renewing = $key
  }
}

# The renewal's result, once written: applied when the session is still the one it renews
# and the file is the user's own and nobody else's to write, then removed. Until it is
# written this costs a stat, no process. elvish 0.19 has no builtin that reads a file's owner
# or mode or removes a file: applying it costs one `find` (and, once per shell, `id -u`).
fn _awsenv_take_renewal {
  var file = $_awsenv_renewal
  if (not-eq $E:AWSENV_PROFILE'@'$E:AWSENV_EXPIRES_AT $_awsenv_renewing) {
    # `assume` or `unset` since: the result is for a session that is gone.
    set _awsenv_renewal = ''
    return
  }
  if (not (or (path:is-regular $file) (path:is-regular &follow-symlink=$true $file))) {
    return
  }
  set _awsenv_renewal = ''
  if (not (path:is-regular $file)) {
    echo 'awsenv: not applying the renewal in '$file': it is not a file of your own' >&2
    return
  }
  if (eq $_awsenv_uid '') { set _awsenv_uid = (e:id -u) }
  var code = (slurp < $file)
  # `find` removes it, and prints its name, only when it is the user's and neither group
  # nor others may write it.
  var kept = ''
  try {
    set kept = (e:find $file -maxdepth 0 -type f -user $_awsenv_uid ^
        '!' -perm -g=w '!' -perm -o=w -delete -print | slurp)
  } catch { }
  if (not-eq (str:trim-space $kept) $file) {
    echo 'awsenv: not applying the renewal in '$file': it is not a file of your own that only you may write' >&2
    return
  }
  eval $code
}

fn _awsenv_hook {
  if (not-eq $_awsenv_renewal '') { _awsenv_take_renewal }
  if (or (not (has-env AWSENV_PROFILE)) (eq $E:AWSENV_PROFILE '')) {
    unset-env AWSENV_PROMPT
    return
  }
  if (not (re:match '^[0-9]+$' $E:AWSENV_EXPIRES_AT)) {
    set-env AWSENV_PROMPT $E:AWSENV_PROFILE
    return
  }
  var now = (num (e:date +%s))
  var left = (- (num $E:AWSENV_EXPIRES_AT) $now)
  if (<= $left (_awsenv_warn_secs)) {
    var key = $E:AWSENV_PROFILE'@'$E:AWSENV_EXPIRES_AT
    var auto = $E:AWSENV_AUTO
    if (eq $auto refresh) {
      _awsenv_hook_refresh $key $left
    } elif (not-eq $auto off) {
      _awsenv_hook_warn $key $left
    }
  }
  set-env AWSENV_PROMPT $E:AWSENV_PROFILE' '(_awsenv_left_text $left)
}

edit:add-var _awsenv_hook~ $_awsenv_hook~

# Before every prompt, once however often this is evaluated: a hook installed by an
# earlier evaluation is replaced by this one.
fn _awsenv_ours {|hook|
  try { str:contains $hook[body] '_awsenv_hook' } catch { put $false }
}
set edit:before-readline = [(each {|hook| if (not (_awsenv_ours $hook)) { put $hook } } ^
    $edit:before-readline) { _awsenv_hook }]

# Completions: clap's dynamic protocol, profile names read from the config at <TAB>.
set edit:completion:arg-completer[awsenv] = { |@words|
    var index = (count $words)
    set index = (- $index 1)

    put (env _CLAP_IFS="\n" _CLAP_COMPLETE_INDEX=(to-string $index) COMPLETE="elvish" awsenv -- $@words) | to-lines
}
