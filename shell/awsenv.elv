# awsenv shell integration for elvish (0.19+). In rc.elv:
#     eval (awsenv init elvish | slurp)
# `awsenv assume`/`awsenv unset` then act on this shell, `_awsenv_hook` runs before each
# prompt (warns, or re-assumes with AWSENV_AUTO=refresh) and keeps $E:AWSENV_PROMPT current.
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

# One attempt to re-assume AWSENV_PROFILE with no input; on failure, one warning.
fn _awsenv_refresh {
  var profile = $E:AWSENV_PROFILE
  # The cache must not hand back the session being replaced: entries inside the warning
  # window count as stale for this call. A prompt waits at most 5 s unless told otherwise.
  var timeout = 5
  if (has-env AWSENV_STS_TIMEOUT) { set timeout = $E:AWSENV_STS_TIMEOUT }
  var err = (path:temp-file awsenv.)
  file:close $err
  var code = ''
  var ok = ?(set code = (e:env AWSENV_REFRESH_WINDOW=(+ (_awsenv_warn_secs) 60) ^
      AWSENV_STS_TIMEOUT=$timeout awsenv assume $profile --no-input --shell elvish ^
      </dev/null 2>$err[name] | slurp))
  var reason = (slurp < $err[name])
  e:rm -f -- $err[name]
  if $ok {
    eval $code
    put $true
    return
  }
  set reason = (re:replace '^awsenv: ' '' (or [(str:split "\n" $reason)][0] ''))
  echo 'awsenv: could not refresh profile `'$profile'`, keeping the old credentials: '$reason >&2
  put $false
}

fn _awsenv_hook {
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
    if (not (re:match '^[0-9]+$' $E:AWSENV_EXPIRES_AT)) {
      set-env AWSENV_PROMPT $E:AWSENV_PROFILE
      return
    }
    set left = (- (num $E:AWSENV_EXPIRES_AT) $now)
  }
  set-env AWSENV_PROMPT $E:AWSENV_PROFILE' '(_awsenv_left_text $left)
}

# Refresh mode: one attempt per session and stage (soon, expired); warn if it fails.
fn _awsenv_hook_refresh {|key left|
  var stage = soon
  if (<= $left 0) { set stage = expired }
  if (eq $_awsenv_tried $key':'$stage) { return }
  set _awsenv_tried = $key':'$stage
  if (_awsenv_refresh) {
    if (not-eq $E:AWSENV_PROFILE'@'$E:AWSENV_EXPIRES_AT $key) { return }
  } else {
    set _awsenv_warned_soon = $key
    if (<= $left 0) { set _awsenv_warned_expired = $key }
    return
  }
  _awsenv_hook_warn $key $left
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
