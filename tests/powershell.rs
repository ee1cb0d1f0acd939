//! The PowerShell snippets, read with the tree-sitter PowerShell grammar: every snippet parses
//! with no error node, and the single-quoted literals, decoded by PowerShell's own rule
//! (any of `'` `‘` `’` `‚` `‛` ends the string unless doubled), give back every adversarial
//! value byte for byte. Where `pwsh` is on PATH, a real PowerShell does the same round trip.

mod adversarial;
mod common;

use std::collections::BTreeMap;

use adversarial::{Case, PROFILE};
use common::pwsh::{QUOTES, Statement, apply, decode_verbatim, seven_only, statements};
use common::{Fixture, stderr, stdout};

fn expected(case: &Case) -> BTreeMap<String, String> {
    [
        ("AWS_ACCESS_KEY_ID", &case.key),
        ("AWS_SECRET_ACCESS_KEY", &case.secret),
        ("AWS_SESSION_TOKEN", &case.token),
        ("AWS_REGION", &case.region),
        ("AWS_DEFAULT_REGION", &case.region),
        ("AWSENV_REGION", &case.region),
        ("AWSENV_PROFILE", &PROFILE.to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.clone()))
    .collect()
}

/// `awsenv assume` for case `i`, whose credentials file is `creds/i`.
fn assume(f: &Fixture, i: usize, case: &Case) -> String {
    let mut cmd = f.cmd([
        "assume",
        PROFILE,
        "--shell",
        "powershell",
        &format!("--region={}", case.region),
    ]);
    cmd.env("AWS_SHARED_CREDENTIALS_FILE", f.path(&format!("creds/{i}")));
    let out = cmd.output().expect("run awsenv");
    assert!(out.status.success(), "case {i}: {}", stderr(&out));
    stdout(&out)
}

/// What went wrong with case `i`, if anything.
fn check(f: &Fixture, i: usize, case: &Case) -> Option<String> {
    let snippet = assume(f, i, case);
    match statements(&snippet) {
        Err(e) => Some(format!("case {i}: {e}\n{snippet:?}")),
        Ok(s) if apply(&s) != expected(case) => Some(format!(
            "case {i}: decoded {:?}\nwanted {:?}",
            apply(&s),
            expected(case)
        )),
        Ok(_) => None,
    }
}

#[test]
fn every_assume_snippet_parses_and_gives_back_each_value() {
    let seed = adversarial::seed();
    let cases = adversarial::cases(seed);
    let f = Fixture::new();
    adversarial::write_credentials(&f.path("creds"), &cases);
    let failures = adversarial::failures(cases.len(), 2, |i| check(&f, i, &cases[i]));
    adversarial::assert_none_fail(&failures, cases.len(), seed);
    assert!(cases.len() > adversarial::RANDOM_CASES);
}

#[test]
fn the_five_quote_characters_are_safe() {
    let f =
        Fixture::new().with_credentials("[q]\naws_access_key_id = k\naws_secret_access_key = s\n");
    let value = "'\u{2018}\u{2019}\u{201A}\u{201B}";
    let out = f.run(["assume", "q", "--shell", "pwsh", "--region", value]);
    let code = stdout(&out);
    assert!(
        code.contains(
            "$env:AWS_REGION = '''' + [char]0x2018 + [char]0x2019 + [char]0x201A + [char]0x201B\n"
        ),
        "{code}"
    );
    let env = apply(&statements(&code).expect("parses"));
    assert_eq!(env.get("AWS_REGION").map(String::as_str), Some(value));
}

#[test]
fn the_decoder_refuses_a_lone_quote_and_any_non_ascii() {
    assert!(decode_verbatim("'a'b'").is_err());
    assert_eq!(decode_verbatim("'a''b'"), Ok("a'b".to_owned()));
    for q in &QUOTES[1..] {
        assert!(decode_verbatim(&format!("'a{q}{q}b'")).is_err(), "{q:?}");
    }
    assert!(decode_verbatim("'a\nb'").is_err());
}

#[test]
fn unset_and_failure_snippets_parse() {
    let f = Fixture::new()
        .var("AWSENV_REGION", "eu-west-1")
        .var("AWS_REGION", "eu-west-1");
    let out = f.run(["unset", "--shell", "powershell"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let removed: Vec<Statement> = statements(&stdout(&out)).expect("unset parses");
    for name in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_CREDENTIAL_EXPIRATION",
        "AWS_REGION",
        "AWSENV_PROFILE",
        "AWSENV_EXPIRES_AT",
        "AWSENV_REGION",
        "AWSENV_PROMPT",
        "AWS_SECURITY_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
    ] {
        assert!(
            removed.contains(&Statement::Remove(name.to_owned())),
            "{name}"
        );
    }
    assert!(removed.iter().all(|s| matches!(s, Statement::Remove(_))));

    let out = f.run(["assume", "nosuch", "--shell", "powershell"]);
    assert_eq!(out.status.code(), Some(2));
    // Empty: nothing for `Invoke-Expression` to run (the grammar, unlike PowerShell, calls an
    // empty script an error, so there is nothing to parse here).
    assert_eq!(stdout(&out), "");
}

/// The real round trip, only where PowerShell is installed. The snippet is read whole from
/// the child's stdout: `| Out-String` reads native output line by line, so it would turn a
/// lone CR in a value into a line break before the quoting is even reached.
#[test]
fn pwsh_holds_every_adversarial_value() {
    let Some(pwsh) = find_on_path("pwsh") else {
        eprintln!("note: pwsh is not on PATH; the real PowerShell round trip is skipped");
        return;
    };
    let seed = adversarial::seed();
    let cases = adversarial::cases(seed);
    let mut f = Fixture::new();
    adversarial::write_credentials(&f.path("creds"), &cases);
    for (i, case) in cases.iter().enumerate() {
        f.set(&format!("R_{i}"), case.region.clone());
    }
    f.set("N", cases.len().to_string());
    f.write("out/.keep", "");
    let script = f.write("round-trip.ps1", PWSH_ROUND_TRIP);
    let bin_dir = common::bin().parent().expect("bin dir").to_path_buf();
    let out = std::process::Command::new(pwsh)
        .args(["-NoProfile", "-NonInteractive", "-File"])
        .arg(&script)
        .env_clear()
        .envs(&f.vars)
        .env("PATH", format!("{}:{}", bin_dir.display(), f.vars["PATH"]))
        .current_dir(f.home.path())
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run pwsh");
    assert!(out.status.success(), "{}", stderr(&out));
    for (i, case) in cases.iter().enumerate() {
        let want = expected(case);
        for name in [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_REGION",
        ] {
            // PowerShell removes a variable set to '', so the script writes '' for a missing one.
            let got = std::fs::read(f.path(&format!("out/{i}.{name}"))).expect("a value file");
            assert_eq!(
                got,
                want[name].as_bytes(),
                "case {i} {name}; {}",
                adversarial::repeat_hint(seed)
            );
        }
    }
}

/// Case I's region is `$env:R_I`, its credentials `creds/I`; each value lands in `out/I.NAME`.
const PWSH_ROUND_TRIP: &str = r#"
$ErrorActionPreference = 'Stop'
$utf8 = [Text.UTF8Encoding]::new($false)
$names = 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_REGION'
for ($i = 0; $i -lt [int]$env:N; $i++) {
    $region = [Environment]::GetEnvironmentVariable("R_$i")
    if ($null -eq $region) { $region = '' }
    $env:AWS_SHARED_CREDENTIALS_FILE = Join-Path $HOME "creds/$i"
    $start = [Diagnostics.ProcessStartInfo]::new('awsenv')
    foreach ($arg in 'assume', 'p', '--shell', 'powershell', "--region=$region") {
        $start.ArgumentList.Add($arg)
    }
    $start.UseShellExecute = $false
    $start.RedirectStandardOutput = $true
    $start.StandardOutputEncoding = $utf8
    $child = [Diagnostics.Process]::Start($start)
    $code = $child.StandardOutput.ReadToEnd()
    $child.WaitForExit()
    if ($child.ExitCode -ne 0) { throw "case ${i}: awsenv failed" }
    Invoke-Expression $code
    foreach ($name in $names) {
        $value = [Environment]::GetEnvironmentVariable($name)
        if ($null -eq $value) { $value = '' }
        [IO.File]::WriteAllText((Join-Path $HOME "out/$i.$name"), $value, $utf8)
    }
}
"#;

fn find_on_path(name: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

#[test]
fn the_init_script_and_every_snippet_run_in_windows_powershell() {
    let f = Fixture::new()
        .with_credentials("[q]\naws_access_key_id = k\naws_secret_access_key = s\n")
        .var("AWSENV_REGION", "eu-west-1");
    let assume = f.run(["assume", "q", "--shell", "powershell", "--region", "é\n'x"]);
    let outputs = [
        f.run(["init", "powershell"]),
        f.run(["completions", "powershell"]),
        f.run(["unset", "--shell", "powershell"]),
        assume,
    ];
    for out in outputs {
        assert!(out.status.success(), "{}", stderr(&out));
        let code = stdout(&out);
        assert_eq!(seven_only(&code), Vec::<String>::new(), "{code}");
    }
    let samples = [
        "a && b\n",
        "a || b\n",
        "$x = $a ?? $b\n",
        "$x ??= 1\n",
        "$x = $a?.b\n",
        "$x = $c ? 1 : 2\n",
        "1..3 | ForEach-Object -Parallel { $_ }\n",
        "function f { process { 1 } clean { 2 } }\n",
    ];
    for sample in samples {
        assert!(
            !seven_only(sample).is_empty(),
            "{sample:?} is PowerShell 7 only"
        );
    }
}
