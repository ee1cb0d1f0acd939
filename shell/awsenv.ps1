# awsenv shell integration for PowerShell. One line in $PROFILE:
#     Invoke-Expression (& awsenv init powershell | Out-String)
# `awsenv assume`/`awsenv unset` then act on this session, `_awsenv_hook` runs before each
# prompt (warns, or renews in the background with AWSENV_AUTO=refresh) and keeps
# $env:AWSENV_PROMPT current.
# AWSENV_WARN: seconds, or one number with an s, m or h suffix (default 10m).

$env:AWSENV_SHELL = 'powershell'
$global:_awsenv_exe = (Get-Command -CommandType Application -Name awsenv -ErrorAction Stop |
    Select-Object -First 1).Source

function global:awsenv {
    $passThrough = ($args.Count -eq 0) -or ($args[0] -notin @('assume', 'unset')) -or
        ($args -contains '-h') -or ($args -contains '--help')
    if ($passThrough) {
        & $global:_awsenv_exe @args
        return
    }
    $code = & $global:_awsenv_exe @args --shell powershell | Out-String
    $ret = $LASTEXITCODE
    if ($ret -eq 0 -and $code) {
        Invoke-Expression $code
    }
    $global:LASTEXITCODE = $ret
}

# Seconds from AWSENV_WARN: `600`, `90s`, `10m`, `1h`; 600 when unset or malformed.
function global:_awsenv_warn_secs {
    $w = if ($env:AWSENV_WARN) { $env:AWSENV_WARN } else { '10m' }
    if ($w -notmatch '^([0-9]+)([smh]?)$') {
        return 600
    }
    $n = [long]$Matches[1]
    switch ($Matches[2]) {
        'h' { return $n * 3600 }
        'm' { return $n * 60 }
        default { return $n }
    }
}

# `42m`, `1h05m`, `30s`, `expired`: the same text as `awsenv prompt`.
function global:_awsenv_left_text([long]$left) {
    if ($left -le 0) { return 'expired' }
    if ($left -ge 3600) {
        return '{0}h{1:00}m' -f [math]::Floor($left / 3600), [math]::Floor(($left % 3600) / 60)
    }
    if ($left -ge 60) { return '{0}m' -f [math]::Floor($left / 60) }
    return '{0}s' -f $left
}

function global:_awsenv_hook {
    if ($global:_awsenv_renewal) { _awsenv_take_renewal }
    if (-not $env:AWSENV_PROFILE) {
        Remove-Item -LiteralPath Env:AWSENV_PROMPT -ErrorAction Ignore
        return
    }
    if ($env:AWSENV_EXPIRES_AT -notmatch '^[0-9]+$') {
        $env:AWSENV_PROMPT = $env:AWSENV_PROFILE
        return
    }
    $now = [DateTimeOffset]::UtcNow.ToUnixTimeSeconds()
    $left = [long]$env:AWSENV_EXPIRES_AT - $now
    if ($left -le (_awsenv_warn_secs)) {
        $key = "$($env:AWSENV_PROFILE)@$($env:AWSENV_EXPIRES_AT)"
        switch ($env:AWSENV_AUTO) {
            'refresh' { _awsenv_hook_refresh $key $left }
            'off' { }
            default { _awsenv_hook_warn $key $left }
        }
    }
    $env:AWSENV_PROMPT = "$($env:AWSENV_PROFILE) $(_awsenv_left_text $left)"
}

# Refresh mode: one renewal per session, in the background: `awsenv renew` checks that it
# needs no input (else it warns and starts nothing), starts it detached and prints the file
# it will write; a later prompt applies that. Nothing here waits on the network.
function global:_awsenv_hook_refresh([string]$key, [long]$left) {
    if ($global:_awsenv_tried -eq $key) {
        # Started: quiet while it runs; after a failure, which said so, only the expiry.
        if (-not $global:_awsenv_renewal) { _awsenv_hook_warn $key $left }
        return
    }
    $global:_awsenv_tried = $key
    # The renewal speaks for this session from now on, its failure included.
    $global:_awsenv_warned_soon = $key
    if ($left -le 0) { $global:_awsenv_warned_expired = $key }
    $file = "$(@() | & $global:_awsenv_exe renew --shell powershell --pid $PID | Out-String)".Trim()
    if ($LASTEXITCODE -ne 0 -or -not $file) { return }
    $global:_awsenv_renewal = $file
    $global:_awsenv_renewing = $key
}

# The renewal's result, once written: applied when the session is still the one it renews
# and the file is the user's own and nobody else's to write, then removed; cmdlets and .NET
# only, no process. Until it is written this costs a stat.
function global:_awsenv_take_renewal {
    $file = $global:_awsenv_renewal
    if ("$($env:AWSENV_PROFILE)@$($env:AWSENV_EXPIRES_AT)" -ne $global:_awsenv_renewing) {
        # `assume` or `unset` since: the result is for a session that is gone.
        $global:_awsenv_renewal = $null
        return
    }
    $item = Get-Item -LiteralPath $file -Force -ErrorAction Ignore
    if (-not $item) { return }
    $global:_awsenv_renewal = $null
    $why = _awsenv_untrusted $item
    if ($why) {
        [Console]::Error.WriteLine("awsenv: not applying the renewal in ${file}: $why")
        return
    }
    $code = [IO.File]::ReadAllText($item.FullName)
    Remove-Item -LiteralPath $item.FullName -Force -ErrorAction Ignore
    if ($code) { Invoke-Expression $code }
}

# Why the renewal's file must not be applied, or nothing. On Windows its owner must be this
# user (its access list is the one it inherits from the user's profile); elsewhere
# PowerShell 7.3 and later show the owner and the mode.
function global:_awsenv_untrusted($item) {
    $notOwn = 'it is not a file of your own'
    if ($item.PSIsContainer -or ($item.Attributes -band [IO.FileAttributes]::ReparsePoint)) {
        return $notOwn
    }
    if ([Environment]::OSVersion.Platform -eq 'Win32NT') {
        $me = [Security.Principal.WindowsIdentity]::GetCurrent()
        $owner = (Get-Acl -LiteralPath $item.FullName).GetOwner(
            [Security.Principal.SecurityIdentifier])
        if ($owner -ne $me.User -and $owner -ne $me.Owner) { return $notOwn }
        return $null
    }
    if ($item.User -ne [Environment]::UserName) { return $notOwn }
    $mode = "$($item.UnixMode)"
    if ($mode.Length -ne 10 -or $mode[5] -ne '-' -or $mode[8] -ne '-') {
        return 'others may write to it'
    }
    return $null
}

# Warn mode: one line when the session enters the window, one when it has expired.
function global:_awsenv_hook_warn([string]$key, [long]$left) {
    $name = $env:AWSENV_PROFILE
    if ($left -le 0) {
        if ($global:_awsenv_warned_expired -eq $key) { return }
        $global:_awsenv_warned_expired = $key
        $global:_awsenv_warned_soon = $key
        [Console]::Error.WriteLine(
            "awsenv: profile ``$name`` expired; run ``awsenv assume $name`` to renew")
    } elseif ($global:_awsenv_warned_soon -ne $key) {
        $global:_awsenv_warned_soon = $key
        [Console]::Error.WriteLine(
            "awsenv: profile ``$name`` expires in $(_awsenv_left_text $left); run ``awsenv assume $name`` to renew")
    }
}

# Wrap the existing prompt once, however often this is sourced; $LASTEXITCODE is kept.
if (-not (Test-Path -LiteralPath Variable:global:_awsenv_prompt)) {
    $global:_awsenv_prompt = $function:prompt
    function global:prompt {
        $lastCode = $global:LASTEXITCODE
        _awsenv_hook
        $global:LASTEXITCODE = $lastCode
        if ($global:_awsenv_prompt) { & $global:_awsenv_prompt } else { 'PS> ' }
    }
}

# Completions: the binary prints its own registration for the command name `awsenv`.
$env:COMPLETE = 'powershell'
& $global:_awsenv_exe | Out-String | Invoke-Expression
Remove-Item -LiteralPath Env:COMPLETE -ErrorAction Ignore
