# awsenv shell integration for PowerShell. One line in $PROFILE:
#     Invoke-Expression (& awsenv init powershell | Out-String)
# `awsenv assume`/`awsenv unset` then act on this session, `_awsenv_hook` runs before each
# prompt (warns, or re-assumes with AWSENV_AUTO=refresh) and keeps $env:AWSENV_PROMPT current.
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

# One attempt to re-assume AWSENV_PROFILE with no input; on failure, one warning.
function global:_awsenv_refresh {
    $profileName = $env:AWSENV_PROFILE
    $errors = New-TemporaryFile
    # The cache must not hand back the session being replaced: entries inside the warning
    # window count as stale for this call. A prompt waits at most 5 s unless told otherwise.
    $window = $env:AWSENV_REFRESH_WINDOW
    $env:AWSENV_REFRESH_WINDOW = [string]((_awsenv_warn_secs) + 60)
    $timeout = $env:AWSENV_STS_TIMEOUT
    if (-not $timeout) { $env:AWSENV_STS_TIMEOUT = '5' }
    try {
        $code = @() | & $global:_awsenv_exe assume $profileName --no-input --shell powershell 2>$errors |
            Out-String
        $ret = $LASTEXITCODE
    } finally {
        if ($null -eq $window) {
            Remove-Item -LiteralPath Env:AWSENV_REFRESH_WINDOW -ErrorAction Ignore
        } else {
            $env:AWSENV_REFRESH_WINDOW = $window
        }
        if (-not $timeout) {
            Remove-Item -LiteralPath Env:AWSENV_STS_TIMEOUT -ErrorAction Ignore
        }
    }
    $reason = Get-Content -LiteralPath $errors -TotalCount 1
    Remove-Item -LiteralPath $errors -ErrorAction Ignore
    if ($ret -eq 0) {
        Invoke-Expression $code
        return $true
    }
    $reason = "$reason" -replace '^awsenv: ', ''
    [Console]::Error.WriteLine(
        "awsenv: could not refresh profile ``$profileName``, keeping the old credentials: $reason")
    return $false
}

function global:_awsenv_hook {
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
        if ($env:AWSENV_EXPIRES_AT -notmatch '^[0-9]+$') {
            $env:AWSENV_PROMPT = $env:AWSENV_PROFILE
            return
        }
        $left = [long]$env:AWSENV_EXPIRES_AT - $now
    }
    $env:AWSENV_PROMPT = "$($env:AWSENV_PROFILE) $(_awsenv_left_text $left)"
}

# Refresh mode: one attempt per session and stage (soon, expired); warn if it fails.
function global:_awsenv_hook_refresh([string]$key, [long]$left) {
    $stage = if ($left -gt 0) { 'soon' } else { 'expired' }
    if ($global:_awsenv_tried -eq "${key}:$stage") { return }
    $global:_awsenv_tried = "${key}:$stage"
    if (_awsenv_refresh) {
        if ("$($env:AWSENV_PROFILE)@$($env:AWSENV_EXPIRES_AT)" -ne $key) { return }
    } else {
        $global:_awsenv_warned_soon = $key
        if ($left -le 0) { $global:_awsenv_warned_expired = $key }
        return
    }
    _awsenv_hook_warn $key $left
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
