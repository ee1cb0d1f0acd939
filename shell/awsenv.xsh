# awsenv shell integration for xonsh. In ~/.xonshrc:
#     execx($(awsenv init xonsh), 'exec', __xonsh__.ctx, filename='awsenv')
# `awsenv assume`/`awsenv unset` then act on this shell, `_awsenv_hook` runs before each
# prompt (warns, or re-assumes with AWSENV_AUTO=refresh) and keeps $AWSENV_PROMPT current;
# `{awsenv}` in $PROMPT shows it. AWSENV_WARN: seconds, or one number with an s, m or h
# suffix (default 10m).

$AWSENV_SHELL = 'xonsh'


def _awsenv_exe():
    import os
    import shutil
    return shutil.which('awsenv', path=os.pathsep.join(${...}.get('PATH', []))) or 'awsenv'


def _awsenv_apply(code):
    execx(code, 'exec', __xonsh__.ctx, filename='awsenv')


def _awsenv(args):
    """`awsenv assume`/`awsenv unset` change this shell; every other subcommand is the binary's."""
    import subprocess
    exe = _awsenv_exe()
    if not args or args[0] not in ('assume', 'unset') or '-h' in args or '--help' in args:
        return ![@(exe) @(args)].returncode
    run = subprocess.run([exe, *args, '--shell', 'xonsh'], stdout=subprocess.PIPE,
                         env=${...}.detype())
    if run.returncode == 0:
        _awsenv_apply(run.stdout.decode('utf-8'))
    return run.returncode


aliases['awsenv'] = _awsenv


def _awsenv_warn_secs():
    """Seconds from AWSENV_WARN: `600`, `90s`, `10m`, `1h`; 600 when unset or malformed."""
    import re
    m = re.fullmatch(r'([0-9]+)([smh]?)', ${...}.get('AWSENV_WARN') or '10m')
    if m is None:
        return 600
    return int(m[1]) * {'h': 3600, 'm': 60}.get(m[2], 1)


def _awsenv_left_text(left):
    """`42m`, `1h05m`, `30s`, `expired`: the same text as `awsenv prompt`."""
    if left <= 0:
        return 'expired'
    if left >= 3600:
        return '%dh%02dm' % (left // 3600, left % 3600 // 60)
    if left >= 60:
        return '%dm' % (left // 60)
    return '%ds' % left


def _awsenv_refresh():
    """One attempt to re-assume AWSENV_PROFILE with no input; on failure, one warning."""
    import subprocess
    import sys
    profile = $AWSENV_PROFILE
    env = ${...}.detype()
    # The cache must not hand back the session being replaced: entries inside the warning
    # window count as stale for this call. A prompt waits at most 5 s unless told otherwise.
    env['AWSENV_REFRESH_WINDOW'] = str(_awsenv_warn_secs() + 60)
    env['AWSENV_STS_TIMEOUT'] = env.get('AWSENV_STS_TIMEOUT') or '5'
    run = subprocess.run([_awsenv_exe(), 'assume', profile, '--no-input', '--shell', 'xonsh'],
                         stdin=subprocess.DEVNULL, capture_output=True, env=env)
    if run.returncode == 0:
        _awsenv_apply(run.stdout.decode('utf-8'))
        return True
    reason = (run.stderr.decode('utf-8', 'replace').splitlines() or [''])[0]
    reason = reason.removeprefix('awsenv: ')
    print(f'awsenv: could not refresh profile `{profile}`, keeping the old credentials: {reason}',
          file=sys.stderr)
    return False


_awsenv_state = {'warned_soon': None, 'warned_expired': None, 'tried': None}


def _awsenv_hook(**_):
    import time
    env = ${...}
    profile = env.get('AWSENV_PROFILE') or ''
    if not profile:
        env.pop('AWSENV_PROMPT', None)
        return
    at = env.get('AWSENV_EXPIRES_AT') or ''
    if not at.isascii() or not at.isdigit():
        env['AWSENV_PROMPT'] = profile
        return
    now = int(time.time())
    left = int(at) - now
    if left <= _awsenv_warn_secs():
        key = f'{profile}@{at}'
        auto = env.get('AWSENV_AUTO') or 'warn'
        if auto == 'refresh':
            _awsenv_hook_refresh(key, left)
        elif auto != 'off':
            _awsenv_hook_warn(key, left)
        at = env.get('AWSENV_EXPIRES_AT') or ''
        if not at.isascii() or not at.isdigit():
            env['AWSENV_PROMPT'] = env.get('AWSENV_PROFILE') or ''
            return
        left = int(at) - now
    env['AWSENV_PROMPT'] = f"{env['AWSENV_PROFILE']} {_awsenv_left_text(left)}"


def _awsenv_hook_refresh(key, left):
    """Refresh mode: one attempt per session and stage (soon, expired); warn if it fails."""
    stage = 'soon' if left > 0 else 'expired'
    if _awsenv_state['tried'] == f'{key}:{stage}':
        return
    _awsenv_state['tried'] = f'{key}:{stage}'
    if _awsenv_refresh():
        env = ${...}
        if f"{env.get('AWSENV_PROFILE')}@{env.get('AWSENV_EXPIRES_AT', '')}" != key:
            return
    else:
        _awsenv_state['warned_soon'] = key
        if left <= 0:
            _awsenv_state['warned_expired'] = key
        return
    _awsenv_hook_warn(key, left)


def _awsenv_hook_warn(key, left):
    """Warn mode: one line when the session enters the window, one when it has expired."""
    import sys
    profile = $AWSENV_PROFILE
    if left <= 0:
        if _awsenv_state['warned_expired'] == key:
            return
        _awsenv_state['warned_expired'] = key
        _awsenv_state['warned_soon'] = key
        print(f'awsenv: profile `{profile}` expired; run `awsenv assume {profile}` to renew',
              file=sys.stderr)
    elif _awsenv_state['warned_soon'] != key:
        _awsenv_state['warned_soon'] = key
        print(f'awsenv: profile `{profile}` expires in {_awsenv_left_text(left)}; '
              f'run `awsenv assume {profile}` to renew', file=sys.stderr)


# Before every prompt, once however often this is evaluated.
for _awsenv_old in [h for h in events.on_pre_prompt if h.__name__ == '_awsenv_hook']:
    events.on_pre_prompt.discard(_awsenv_old)
events.on_pre_prompt(_awsenv_hook)
$PROMPT_FIELDS['awsenv'] = lambda: ${...}.get('AWSENV_PROMPT') or None


# Completions: <TAB> after `awsenv` asks the binary (clap's dynamic protocol, fish's format).
def _awsenv_complete(context):
    import subprocess
    cmd = context.command
    if cmd is None or cmd.arg_index == 0 or cmd.args[0].value != 'awsenv':
        return None
    words = ['awsenv', *[a.value for a in cmd.args[1:cmd.arg_index]], cmd.prefix]
    env = ${...}.detype()
    env['COMPLETE'] = 'fish'
    run = subprocess.run(['awsenv', '--', *words], stdin=subprocess.DEVNULL,
                         capture_output=True, env=env)
    return {line.split('\t')[0] for line in run.stdout.decode('utf-8', 'replace').splitlines()}
__import__('xonsh.completers.completer', fromlist=['_']).add_one_completer(
    'awsenv', _awsenv_complete, 'start')
