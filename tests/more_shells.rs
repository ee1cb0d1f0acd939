//! nushell, elvish, xonsh and tcsh read what `awsenv assume` and `awsenv unset` print, each
//! in one process over every adversarial value: the value goes in through the credentials
//! files and `--region`, and must come out of `env -0` run by that shell, byte for byte
//! (tcsh refuses values with control characters: exit 2, `false`, nothing changed). Also the
//! wrappers of `awsenv init`, a failing assume that changes nothing, and the hooks.
#![cfg(unix)] // real Unix shells

mod adversarial;
mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use adversarial::{Case, NAMES, PROFILE};
use common::shells::{EVERY, require, script_args};
use common::{Fixture, stderr, stdout};

/// Run `script` (written to a file) in the shell at `exe`, with the fixture's variables and
/// the binary's directory first on PATH.
fn run(f: &Fixture, name: &str, exe: &Path, script: &str) -> Output {
    let file = f.write(&format!("script.{name}"), script);
    let dir = common::bin().parent().unwrap().display().to_string();
    let path = format!("{dir}:{}", f.vars.get("PATH").cloned().unwrap_or_default());
    Command::new(exe)
        .args(script_args(name, &file.display().to_string()))
        .env_clear()
        .envs(&f.vars)
        .env("PATH", path)
        .current_dir(f.home.path())
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run {name}: {e}"))
}

/// `NAME=VALUE` records of `env -0`, for the names checked.
fn env_of(bytes: &[u8]) -> BTreeMap<String, String> {
    env_among(bytes, &NAMES)
}

/// `NAME=VALUE` records of `env -0`, for `names`.
fn env_among(bytes: &[u8], names: &[&str]) -> BTreeMap<String, String> {
    bytes
        .split(|b| *b == 0)
        .filter_map(|record| {
            let text = String::from_utf8_lossy(record);
            let (name, value) = text.split_once('=')?;
            names
                .contains(&name)
                .then(|| (name.to_owned(), value.to_owned()))
        })
        .collect()
}

fn show(text: &str) -> String {
    let text = format!("{text:?}");
    if text.len() > 160 {
        format!("{}…", &text[..text.floor_char_boundary(160)])
    } else {
        text
    }
}

/// What `env` must show after case `case` (or nothing of awsenv's, before any).
fn want(case: Option<&Case>) -> BTreeMap<String, String> {
    case.map(|case| {
        NAMES
            .iter()
            .zip(case.expected())
            .filter_map(|(n, v)| Some(((*n).to_owned(), v?.to_owned())))
            .collect()
    })
    .unwrap_or_default()
}

/// Whether tcsh must refuse the case.
fn refused_by_tcsh(case: &Case) -> bool {
    case.expected()
        .iter()
        .flatten()
        .any(|v| v.chars().any(char::is_control))
}

/// The loop each shell runs: case I's credentials file is `$CREDS/I`, its region `$R_I`;
/// it writes its status to `$OUT/s.I` and `env -0` to `$OUT/e.I` (tcsh also the snippet
/// to `$OUT/c.I` and awsenv's status to `$OUT/x.I`).
fn round_trip_script(name: &str, n: usize, init: &Path) -> String {
    let init = init.display();
    match name {
        "nu" => format!(
            "source {init}\n\
             for i in 0..<{n} {{\n\
             $env.AWS_SHARED_CREDENTIALS_FILE = $\"($env.CREDS)/($i)\"\n\
             let r = ($env | get $\"R_($i)\")\n\
             let st = (try {{ awsenv assume {PROFILE} $\"--region=($r)\"; \"0\" }} catch {{ \"1\" }})\n\
             $st | save -f $\"($env.OUT)/s.($i)\"\n\
             ^env -0 o> $\"($env.OUT)/e.($i)\"\n\
             }}\n"
        ),
        "elvish" => format!(
            "for i [(range {n})] {{\n\
             set-env AWS_SHARED_CREDENTIALS_FILE $E:CREDS/$i\n\
             var r = (get-env R_$i)\n\
             var st = 0\n\
             try {{ eval (awsenv assume {PROFILE} --shell elvish --region=$r | slurp) }} catch {{ set st = 1 }}\n\
             echo $st > $E:OUT/s.$i\n\
             e:env -0 > $E:OUT/e.$i\n\
             }}\n"
        ),
        // Regions from a file: xonsh converts its whole environment for every command it
        // starts, and 601 regions in it make each case take a second.
        "xonsh" => format!(
            "import json\n\
             regions = json.load(open($REGIONS, encoding='utf-8'))\n\
             for i in range({n}):\n    \
             $AWS_SHARED_CREDENTIALS_FILE = f'{{$CREDS}}/{{i}}'\n    \
             p = !(awsenv assume {PROFILE} --shell xonsh @('--region=' + regions[i]))\n    \
             p.end()\n    \
             execx(p.out)\n    \
             print(p.returncode, file=open(f'{{$OUT}}/s.{{i}}', 'w'))\n    \
             $[env -0 > @(f'{{$OUT}}/e.{{i}}')]\n"
        ),
        "tcsh" => format!(
            "set i = 0\n\
             while ($i < {n})\n\
             setenv AWS_SHARED_CREDENTIALS_FILE \"$CREDS/$i\"\n\
             env I=$i sh -c 'eval \"r=\\$R_$I\"; exec awsenv assume {PROFILE} --shell tcsh --region=\"$r\"' > \"$OUT/c.$i\"\n\
             echo $status > \"$OUT/x.$i\"\n\
             source \"$OUT/c.$i\"\n\
             echo $status > \"$OUT/s.$i\"\n\
             env -0 > \"$OUT/e.$i\"\n\
             @ i++\n\
             end\n"
        ),
        other => panic!("no round trip for {other}"),
    }
}

/// The saved init script for `name` (nushell sources it from a file), written into HOME.
fn saved_init(f: &Fixture, name: &str) -> std::path::PathBuf {
    let out = f.run(["init", name]);
    assert!(out.status.success(), "{}", stderr(&out));
    f.write(&format!(".awsenv.{name}"), &stdout(&out))
}

fn round_trip(name: &str) {
    let Some(exe) = require(name) else { return };
    let seed = adversarial::seed();
    let cases = adversarial::cases(seed);
    let mut f = Fixture::new();
    let creds = adversarial::write_credentials(&f.path("creds"), &cases);
    f.set("CREDS", creds.display().to_string());
    let out_dir = f.path("out");
    std::fs::create_dir_all(&out_dir).unwrap();
    f.set("OUT", out_dir.display().to_string());
    if name == "xonsh" {
        let regions: Vec<&str> = cases.iter().map(|c| c.region.as_str()).collect();
        let file = f.write("regions.json", &serde_json::to_string(&regions).unwrap());
        f.set("REGIONS", file.display().to_string());
    } else {
        for (i, case) in cases.iter().enumerate() {
            f.set(&format!("R_{i}"), case.region.clone());
        }
    }
    let init = saved_init(&f, name);
    let out = run(&f, name, &exe, &round_trip_script(name, cases.len(), &init));
    let read = |kind: &str, i: usize| std::fs::read(out_dir.join(format!("{kind}.{i}")));
    let mut last_accepted: Option<&Case> = None;
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let Ok(env) = read("e", i) else {
            failures.push(format!("case {i}: no env output"));
            break;
        };
        let status = String::from_utf8_lossy(&read("s", i).unwrap_or_default())
            .trim()
            .to_owned();
        let refused = name == "tcsh" && refused_by_tcsh(case);
        if refused {
            let snippet = read("c", i).unwrap_or_default();
            let exit = String::from_utf8_lossy(&read("x", i).unwrap_or_default())
                .trim()
                .to_owned();
            if snippet != b"false\n" || exit != "2" || status == "0" {
                failures.push(format!(
                    "case {i}: refusal: exit {exit}, status {status}, snippet {}",
                    show(&String::from_utf8_lossy(&snippet))
                ));
            }
        } else {
            last_accepted = Some(case);
            if status != "0" {
                failures.push(format!("case {i}: status {status}"));
            }
        }
        let got = env_of(&env);
        let want = want(last_accepted);
        for name in NAMES {
            if got.get(name) != want.get(name) {
                failures.push(format!(
                    "case {i}: {name}: want {} got {}",
                    show(want.get(name).map_or("(unset)", String::as_str)),
                    show(got.get(name).map_or("(unset)", String::as_str))
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{name}: {} differences in {} cases; the first ones:\n{}\n{}\nstderr: {}",
        failures.len(),
        cases.len(),
        failures[..failures.len().min(8)].join("\n"),
        adversarial::repeat_hint(seed),
        show(&stderr(&out))
    );
    if name == "tcsh" {
        assert!(cases.iter().any(refused_by_tcsh) && !cases.iter().all(refused_by_tcsh));
    }
}

#[test]
fn nushell_holds_every_adversarial_value_byte_for_byte() {
    round_trip("nu");
}

#[test]
fn elvish_holds_every_adversarial_value_byte_for_byte() {
    round_trip("elvish");
}

#[test]
fn xonsh_holds_every_adversarial_value_byte_for_byte() {
    round_trip("xonsh");
}

#[test]
fn tcsh_holds_every_value_it_can_and_refuses_the_rest() {
    round_trip("tcsh");
}

/// What the user had before, which a failed assume must leave alone.
const BEFORE: [(&str, &str); 7] = [
    ("AWS_ACCESS_KEY_ID", "keep-key"),
    ("AWS_SECRET_ACCESS_KEY", "keep-secret"),
    ("AWS_SESSION_TOKEN", "keep-token"),
    ("AWS_REGION", "keep-region"),
    ("AWS_DEFAULT_REGION", "keep-default-region"),
    ("AWSENV_PROFILE", "keep-profile"),
    ("AWS_PROFILE", "keep-aws-profile"),
];

/// The `assume` arguments that fail: unknown profile, bad duration, bad flag, a NUL secret.
const FAILURES: [&str; 4] = [
    "assume nosuch",
    "assume withregion --duration 5",
    "assume withregion --bogus",
    "assume nul",
];

/// Profiles with and without a region, and one whose secret holds a NUL.
fn profiles() -> Fixture {
    Fixture::new()
        .with_config("[profile withregion]\nregion = eu-west-1\n")
        .with_credentials(
            "[withregion]\naws_access_key_id = AKIDWITH\naws_secret_access_key = s1!$`'\"\n\
             [noregion]\naws_access_key_id = AKIDNO\naws_secret_access_key = s2\n\
             [nul]\naws_access_key_id = AKIDNUL\naws_secret_access_key = a\0b\n",
        )
}

/// One step of a wrapper script: `awsenv ARGS` through the init wrapper, then its status
/// to `$OUT/s.N` and `env -0` to `$OUT/e.N`.
fn step(name: &str, n: usize, args: &str) -> String {
    match name {
        "nu" => format!(
            "let st = (try {{ awsenv {args}; \"0\" }} catch {{ \"1\" }})\n\
             $st | save -f $\"($env.OUT)/s.{n}\"\n^env -0 o> $\"($env.OUT)/e.{n}\"\n"
        ),
        "xonsh" => format!(
            "p = !(awsenv {args})\np.end()\n\
             print(p.returncode, file=open(f'{{$OUT}}/s.{n}', 'w'))\n\
             $[env -0 > @(f'{{$OUT}}/e.{n}')]\n"
        ),
        "tcsh" => {
            format!("awsenv {args}\necho $status > \"$OUT/s.{n}\"\nenv -0 > \"$OUT/e.{n}\"\n")
        }
        "elvish" => format!(
            "var st = 0; try {{ awsenv {args} }} catch {{ set st = 1 }}; \
             e:env -0 > $E:OUT/e.{n}; echo $st > $E:OUT/s.{n}"
        ),
        other => panic!("no wrapper steps for {other}"),
    }
}

/// The lines that load the integration twice (it must stay idempotent), then print how
/// many awsenv hooks are installed to `$OUT/hooks`.
fn load_twice(name: &str, init: &Path) -> String {
    let init = init.display();
    match name {
        "nu" => format!(
            "source {init}\nsource {init}\n\
             $env.config.hooks.pre_prompt | length | into string | save -f $\"($env.OUT)/hooks\"\n"
        ),
        "xonsh" => "execx($(awsenv init xonsh), 'exec', __xonsh__.ctx, filename='awsenv')\n\
                    execx($(awsenv init xonsh), 'exec', __xonsh__.ctx, filename='awsenv')\n\
                    print(len([h for h in events.on_pre_prompt if h.__name__ == '_awsenv_hook']), \
                    file=open(f'{$OUT}/hooks', 'w'))\n"
            .to_owned(),
        "tcsh" => format!(
            "alias precmd 'echo user-precmd'\nset awsenv_init = {init}\n\
             source {init}\nsource {init}\nalias precmd > \"$OUT/hooks\"\n"
        ),
        "elvish" => "eval (awsenv init elvish | slurp); eval (awsenv init elvish | slurp); \
                     echo (count $edit:before-readline) > $E:OUT/hooks\n"
            .to_owned(),
        other => panic!("no init for {other}"),
    }
}

/// elvish's wrapper needs its line editor: an interactive elvish in tmux whose rc.elv holds
/// `rc`, then each line of `lines` typed at its prompt; each writes `$OUT/s.N` when done.
fn run_elvish_interactive(f: &Fixture, exe: &Path, rc: &str, lines: &[String]) {
    let rc = f.write(
        ".config/elvish/rc.elv",
        &format!("set edit:prompt = {{ put 'PROMPT> ' }}\n{rc}"),
    );
    let dir = common::bin().parent().unwrap().display().to_string();
    let path = format!("{dir}:{}", f.vars.get("PATH").cloned().unwrap_or_default());
    let mut argv = vec!["env".to_owned(), "-i".to_owned()];
    argv.extend(
        f.vars
            .iter()
            .filter(|(k, _)| *k != "PATH")
            .map(|(k, v)| format!("{k}={v}")),
    );
    argv.extend([
        format!("PATH={path}"),
        "TERM=xterm".to_owned(),
        exe.display().to_string(),
        "-rc".to_owned(),
        rc.display().to_string(),
    ]);
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    let tmux = common::tmux::Tmux::start(f.path("tmux.sock"), 40, f.home.path(), &argv);
    let patience = std::time::Duration::from_secs(30);
    tmux.wait("the prompt", patience, |s| s.contains("PROMPT>"));
    for (n, line) in lines.iter().enumerate() {
        tmux.text(line);
        tmux.keys(&["Enter"]);
        let done = f.path(&format!("out/s.{n}"));
        let deadline = std::time::Instant::now() + patience;
        while !done.exists() {
            assert!(
                std::time::Instant::now() < deadline,
                "elvish: {}",
                tmux.screen()
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

/// The wrappers of `awsenv init`: hooks installed once, assume, every failure changing
/// nothing, unset removing everything, a user's own region given back.
fn wrapper(name: &str) {
    let Some(exe) = require(name) else { return };
    let mut f = profiles();
    for (n, v) in BEFORE {
        f.set(n, v);
    }
    let out_dir = f.path("out");
    std::fs::create_dir_all(&out_dir).unwrap();
    f.set("OUT", out_dir.display().to_string());
    let init = saved_init(&f, name);
    let mut steps = vec!["assume withregion"];
    steps.extend(FAILURES);
    steps.push("unset");
    let steps: Vec<String> = steps
        .iter()
        .enumerate()
        .map(|(n, args)| step(name, n, args))
        .collect();
    let out = if name == "elvish" {
        run_elvish_interactive(&f, &exe, &load_twice(name, &init), &steps);
        None
    } else {
        Some(run(
            &f,
            name,
            &exe,
            &(load_twice(name, &init) + &steps.concat()),
        ))
    };
    let context = || {
        out.as_ref()
            .map(|o| format!("{}{}", stdout(o), stderr(o)))
            .unwrap_or_default()
    };
    let read = |file: &str| {
        std::fs::read(out_dir.join(file))
            .unwrap_or_else(|e| panic!("{name}: {file}: {e}\n{}", context()))
    };
    let hooks = String::from_utf8_lossy(&read("hooks")).trim().to_owned();
    match name {
        "tcsh" => assert_eq!(hooks, "echo user-precmd ; _awsenv_hook", "{}", context()),
        _ => assert_eq!(hooks, "1", "{name}: {}", context()),
    }
    // elvish runs its hook at each real prompt: the first one showed the user's profile.
    let prompt_names: Vec<&str> = EVERY
        .into_iter()
        .filter(|n| name != "elvish" || *n != "AWSENV_PROMPT")
        .collect();
    if name == "elvish" {
        let first = env_among(&read("e.0"), &["AWSENV_PROMPT"]);
        assert_eq!(
            first.get("AWSENV_PROMPT").map(String::as_str),
            Some("keep-profile")
        );
    }
    let env = |n: usize| env_among(&read(&format!("e.{n}")), &prompt_names);
    let status = |n: usize| {
        String::from_utf8_lossy(&read(&format!("s.{n}")))
            .trim()
            .to_owned()
    };
    let owned = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    let assumed = owned(&[
        ("AWS_ACCESS_KEY_ID", "AKIDWITH"),
        ("AWS_SECRET_ACCESS_KEY", "s1!$`'\""),
        ("AWS_REGION", "eu-west-1"),
        ("AWS_DEFAULT_REGION", "eu-west-1"),
        ("AWSENV_REGION", "eu-west-1"),
        ("AWSENV_PROFILE", "withregion"),
        ("AWSENV_SAVED_REGION", "keep-region"),
        ("AWSENV_SAVED_DEFAULT_REGION", "keep-default-region"),
    ]);
    assert_eq!(status(0), "0", "{name}: assume: {}", context());
    assert_eq!(env(0), assumed, "{name}: after assume");
    for (i, args) in FAILURES.iter().enumerate() {
        assert_ne!(status(i + 1), "0", "{name}: {args} succeeded");
        assert_eq!(env(i + 1), assumed, "{name}: {args} changed the variables");
    }
    let n = FAILURES.len() + 1;
    assert_eq!(status(n), "0", "{name}: unset");
    let given_back = owned(&[
        ("AWS_REGION", "keep-region"),
        ("AWS_DEFAULT_REGION", "keep-default-region"),
    ]);
    assert_eq!(env(n), given_back, "{name}: after unset");
}

#[test]
fn nushell_wrapper_assumes_fails_cleanly_and_unsets() {
    wrapper("nu");
}

#[test]
fn elvish_wrapper_assumes_fails_cleanly_and_unsets() {
    wrapper("elvish");
}

#[test]
fn xonsh_wrapper_assumes_fails_cleanly_and_unsets() {
    wrapper("xonsh");
}

#[test]
fn tcsh_wrapper_assumes_fails_cleanly_and_unsets() {
    wrapper("tcsh");
}

#[test]
fn a_failure_prints_false_for_tcsh_and_nothing_for_the_others() {
    let f = profiles();
    for (shell, want) in [
        ("nu", ""),
        ("nushell", ""),
        ("elvish", ""),
        ("xonsh", ""),
        ("tcsh", "false\n"),
        ("csh", "false\n"),
    ] {
        for args in FAILURES {
            let mut argv: Vec<&str> = args.split(' ').collect();
            argv.extend(["--shell", shell]);
            let out = f.run(&argv);
            assert_ne!(out.status.code(), Some(0), "{shell} {args}");
            assert_eq!(stdout(&out), want, "{shell} {args}");
        }
    }
}

#[test]
fn tcsh_refuses_a_control_character_naming_the_variable() {
    let f = Fixture::new().with_credentials(
        "[tab]\naws_access_key_id = AKID\naws_secret_access_key = a\tb\n\
         [ok]\naws_access_key_id = AKID\naws_secret_access_key = ok\n",
    );
    let cases = [
        ("tab", None, "AWS_SECRET_ACCESS_KEY"),
        ("ok", Some("eu\nwest"), "AWS_REGION"),
        ("ok", Some("cr\r"), "AWS_REGION"),
        ("ok", Some("esc\u{1b}[31m"), "AWS_REGION"),
        ("ok", Some("del\u{7f}"), "AWS_REGION"),
        ("ok", Some("c1\u{85}"), "AWS_REGION"),
    ];
    for (profile, region, var) in cases {
        let mut args = vec!["assume", profile, "--shell", "tcsh"];
        if let Some(region) = region {
            args.extend(["--region", region]);
        }
        let out = f.run(&args);
        assert_eq!(out.status.code(), Some(2), "{profile} {region:?}");
        assert_eq!(stdout(&out), "false\n");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains(var) && err.contains("control character"),
            "{err}"
        );
        assert!(!err.contains("a\tb"), "{err}");
    }
}

/// `eval "`awsenv assume …`"`, the read without the wrapper, on values from the files that
/// tcsh's history expansion, `$`, backquotes and parentheses would trip on.
#[test]
fn tcsh_reads_the_snippet_through_eval_and_backquotes() {
    let Some(exe) = require("tcsh") else { return };
    let secret = "a!b !! !$ $HOME `id` $(x) (y) {a,b} ~ * ' \" \\ é😀";
    let f = Fixture::new().with_credentials(&format!(
        "[q]\naws_access_key_id = AKID\naws_secret_access_key = {secret}\n"
    ));
    let out = run(
        &f,
        "tcsh",
        &exe,
        "eval \"`awsenv assume q --shell tcsh`\"\necho \"st=$status\"\nprintenv AWS_SECRET_ACCESS_KEY\n",
    );
    assert_eq!(
        stdout(&out),
        format!("st=0\n{secret}\n"),
        "{}",
        stderr(&out)
    );
}

/// A script that runs the hook twice for a session with `left` seconds, then prints
/// AWSENV_PROMPT and `awsenv prompt --no-color` on two lines.
fn hook_script(name: &str, init: &Path, left: i64) -> String {
    let init = init.display();
    match name {
        "nu" => format!(
            "source {init}\n$env.AWSENV_PROFILE = \"prod\"\n\
             $env.AWSENV_EXPIRES_AT = ((date now | into int) // 1_000_000_000 + ({left}) | into string)\n\
             _awsenv_hook\n_awsenv_hook\nprint $env.AWSENV_PROMPT\n^awsenv prompt --no-color\n"
        ),
        "xonsh" => format!(
            "import time\nexecx($(awsenv init xonsh), 'exec', __xonsh__.ctx, filename='awsenv')\n\
             $AWSENV_PROFILE = 'prod'\n$AWSENV_EXPIRES_AT = str(int(time.time()) + ({left}))\n\
             _awsenv_hook()\n_awsenv_hook()\nprint($AWSENV_PROMPT)\nawsenv prompt --no-color\n"
        ),
        "tcsh" => format!(
            "source {init}\nsetenv AWSENV_PROFILE prod\nset t = `date +%s`\n\
             @ t = $t + {left}\nsetenv AWSENV_EXPIRES_AT $t\n\
             _awsenv_hook\n_awsenv_hook\necho \"$AWSENV_PROMPT\"\nawsenv prompt --no-color\n"
        ),
        other => panic!("no hook script for {other}"),
    }
}

/// The hook's AWSENV_PROMPT is `awsenv prompt`'s text, and it warns once, however many
/// prompts there are, when the session is inside AWSENV_WARN, and once when it expired.
fn hook(name: &str) {
    let Some(exe) = require(name) else { return };
    let f = Fixture::new();
    let init = saved_init(&f, name);
    for left in [-30, 1, 59, 61, 599, 1201, 3599, 3601, 43_200] {
        // A second may tick between the two; a second try then agrees.
        let attempt = || {
            let out = run(&f, name, &exe, &hook_script(name, &init, left));
            let text = stdout(&out);
            let lines: Vec<String> = text.lines().map(str::to_owned).collect();
            (lines, stderr(&out))
        };
        let (mut lines, mut err) = attempt();
        if lines.len() == 2 && lines[0] != lines[1] {
            (lines, err) = attempt();
        }
        assert_eq!(lines.len(), 2, "{name} {left}: {lines:?} {err}");
        assert_eq!(lines[0], lines[1], "{name}, {left} s left");
        assert!(lines[0].starts_with("prod "), "{name}: {lines:?}");
        let warnings = err
            .lines()
            .filter(|l| l.starts_with("awsenv: profile `prod`"))
            .count();
        let want = usize::from(left <= 600);
        assert_eq!(warnings, want, "{name}, {left} s left: {err}");
        if left <= 0 {
            assert!(err.contains("expired"), "{err}");
        }
    }
}

#[test]
fn nushell_hook_matches_awsenv_prompt_and_warns_once() {
    hook("nu");
}

#[test]
fn xonsh_hook_matches_awsenv_prompt_and_warns_once() {
    hook("xonsh");
}

#[test]
fn tcsh_hook_matches_awsenv_prompt_and_warns_once() {
    hook("tcsh");
}

/// Each shell loads its completion script and knows `awsenv` afterwards.
#[test]
fn completions_are_accepted_by_each_shell() {
    let f = Fixture::new()
        .with_credentials("[dev]\naws_access_key_id = k\naws_secret_access_key = s\n");
    for name in ["nu", "xonsh", "tcsh"] {
        let Some(exe) = require(name) else { continue };
        let out = f.run(["completions", name]);
        assert!(out.status.success(), "{}", stderr(&out));
        let file = f.write(&format!("completions.{name}"), &stdout(&out));
        let file = file.display();
        let script = match name {
            "nu" => format!(
                "source {file}\nprint (scope externs | where name == 'awsenv assume' | length)\n\
                 ^awsenv list --names\n"
            ),
            "xonsh" => format!(
                "execx(open('{file}').read(), 'exec', __xonsh__.ctx, filename='awsenv')\n\
                 print(int('awsenv' in __xonsh__.completers))\n\
                 print($(awsenv list --names).strip())\n"
            ),
            _ => format!(
                "source {file}\ncomplete awsenv > /dev/null && echo 1\nawsenv list --names\n"
            ),
        };
        let out = run(&f, name, &exe, &script);
        let text = stdout(&out);
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        assert!(
            lines.first() == Some(&"1") && text.contains("dev"),
            "{name}: {text}{}",
            stderr(&out)
        );
    }
    // elvish's completer is part of its init script, which the interactive test loads; its
    // registration must at least compile as elvish.
    if let Some(exe) = require("elvish") {
        let out = f.run(["completions", "elvish"]);
        let code = stdout(&out).replace("set edit:completion:arg-completer[awsenv] =", "var c =");
        let out = run(&f, "elvish", &exe, &format!("{code}\necho (kind-of $c)\n"));
        assert_eq!(stdout(&out), "fn\n", "{}", stderr(&out));
    }
}
