# awsenv shell integration for xonsh. In ~/.xonshrc:
#     execx($(awsenv init xonsh), 'exec', __xonsh__.ctx, filename='awsenv')
# `awsenv assume`/`awsenv unset` then act on this shell, `_awsenv_hook` runs before each
# prompt (warns, or renews in the background with AWSENV_AUTO=refresh) and keeps
# $AWSENV_PROMPT current;
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


_awsenv_state = {'warned_soon': None, 'warned_expired': None, 'tried': None, 'renewal': None,
                 'renewing': None}


def _awsenv_hook(**_):
    import time
    env = ${...}
    if _awsenv_state['renewal']:
        _awsenv_take_renewal()
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
    env['AWSENV_PROMPT'] = f"{env['AWSENV_PROFILE']} {_awsenv_left_text(left)}"


def _awsenv_hook_refresh(key, left):
    """Refresh mode: one renewal per session, in the background: `awsenv renew` checks that
    it needs no input (else it warns and starts nothing), starts it detached and prints the
    file it will write; a later prompt applies that. Nothing here waits on the network."""
    import os
    import subprocess
    if _awsenv_state['tried'] == key:
        # Started: quiet while it runs; after a failure, which said so, only the expiry.
        if not _awsenv_state['renewal']:
            _awsenv_hook_warn(key, left)
        return
    _awsenv_state['tried'] = key
    # The renewal speaks for this session from now on, its failure included.
    _awsenv_state['warned_soon'] = key
    if left <= 0:
        _awsenv_state['warned_expired'] = key
    run = subprocess.run([_awsenv_exe(), 'renew', '--shell', 'xonsh', '--pid', str(os.getpid())],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, env=${...}.detype())
    path = run.stdout.decode('utf-8', 'replace').strip()
    if run.returncode == 0 and path:
        _awsenv_state['renewal'] = path
        _awsenv_state['renewing'] = key


def _awsenv_take_renewal():
    """The renewal's result, once written: applied when the session is still the one it
    renews and the file is the user's own and nobody else's to write, then removed; all in
    this process. Until it is written this costs a failed open."""
    import os
    import stat
    import sys
    env = ${...}
    path = _awsenv_state['renewal']
    session = f"{env.get('AWSENV_PROFILE', '')}@{env.get('AWSENV_EXPIRES_AT', '')}"
    if session != _awsenv_state['renewing']:
        # `assume` or `unset` since: the result is for a session that is gone.
        _awsenv_state['renewal'] = None
        return
    flags = os.O_RDONLY | getattr(os, 'O_NOFOLLOW', 0) | getattr(os, 'O_NONBLOCK', 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return
    except OSError:
        fd = None
    _awsenv_state['renewal'] = None
    why = 'it is not a file of your own'
    code = None
    if fd is not None:
        with os.fdopen(fd, 'rb') as f:
            st = os.fstat(f.fileno())
            mine = not hasattr(os, 'geteuid') or st.st_uid == os.geteuid()
            if stat.S_ISREG(st.st_mode) and mine:
                why = 'others may write to it' if st.st_mode & 0o022 else None
                code = f.read().decode('utf-8') if why is None else None
    if why is not None:
        print(f'awsenv: not applying the renewal in {path}: {why}', file=sys.stderr)
        return
    os.remove(path)
    _awsenv_apply(code)


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
