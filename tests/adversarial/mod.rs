//! Adversarial values for the quoting tests, shared by `tests/shells.rs` and
//! `tests/powershell.rs`: a fixed list naming every character class of DESIGN.md, one 64 KiB
//! value, and values drawn by proptest from a seed that is fresh each run and printed.
//!
//! Values reach awsenv two ways: `--region=VALUE` on argv carries any value, and a credentials
//! file carries the key, secret and token where the INI format can hold them.
#![allow(dead_code)]

use std::hash::{BuildHasher, Hasher};
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// The profile every case's credentials file holds.
pub const PROFILE: &str = "p";

/// How many drawn cases each run adds to the fixed ones.
pub const RANDOM_CASES: usize = 500;

/// Every character class DESIGN.md names, alone and in the combinations shells trip on.
pub fn explicit() -> Vec<String> {
    let singles = [
        "'",
        "\"",
        "$",
        "`",
        "\\",
        "!",
        "{a,b}",
        "~",
        "=",
        "*",
        "?",
        "[",
        "]",
        "#",
        ";",
        "&",
        "|",
        "<",
        ">",
        "(",
        ")",
        " ",
        "\t",
        "\n",
        "\r",
        "-",
        "",
        "%",
        "^",
        "{",
        "}",
        "\u{2018}",
        "\u{2019}",
        "\u{201A}",
        "\u{201B}",
        "😀",
        "é",
        "\u{a0}",
        "\u{2028}",
        "\u{feff}",
        "\u{f600}",
        "\u{fdd0}",
        "\u{ffff}",
        "\u{10ffff}",
    ];
    let combined = [
        "it's",
        "'\\''",
        "\\'",
        "'\\",
        "\\\\'",
        "a\\",
        "\\n",
        "\\0",
        "%s%n%d",
        "$HOME",
        "${HOME}",
        "$(id)",
        "`id`",
        "$((1+1))",
        "\"$x\"",
        "!!",
        "!$",
        "~root",
        "~/x",
        "a=b",
        "*.*",
        "[a-z]",
        "# not a comment",
        "x # y",
        "a;b",
        "a && b || c",
        "a|b",
        "<in >out 2>&1",
        "(sub)",
        "{a,b}{c,d}",
        "-n",
        "-e",
        "--region",
        "--",
        "-",
        " leading",
        "trailing ",
        "\tboth\t",
        "line\nbreak",
        "ends with newline\n",
        "\n\n",
        "crlf\r\n",
        "\r",
        "a\rb",
        "'‘’‚‛",
        "‛x‚y’z‘w'",
        "''''",
        "‘‘",
        "$env:PATH",
        "@'\nhere\n'@",
        "`n`t`0",
        "😀👍🏽🇪🇺",
        "ünïcödé",
        "日本語",
        "\u{202e}rtl",
        "\u{7f}\u{1}\u{1b}[31m",
    ];
    singles
        .iter()
        .chain(combined.iter())
        .map(|s| (*s).to_owned())
        .collect()
}

/// Exactly 64 KiB, every explicit value in it, over and over.
pub fn big() -> String {
    let pattern: String = explicit().concat();
    let mut value = String::with_capacity(65536);
    while value.len() + pattern.len() <= 65536 {
        value.push_str(&pattern);
    }
    while value.len() < 65536 {
        value.push('x');
    }
    value
}

/// The pieces drawn values are made of: the explicit classes, plain text, any character.
fn value_strategy() -> impl Strategy<Value = String> {
    let atom = prop_oneof![
        4 => prop::sample::select(explicit()),
        2 => "[a-zA-Z0-9]{1,4}",
        1 => any::<char>().prop_filter("no NUL", |c| *c != '\0').prop_map(String::from),
    ];
    prop::collection::vec(atom, 0..24).prop_map(|parts| parts.concat())
}

/// The seed for this run: `AWSENV_TEST_SEED` to repeat one, else a fresh one.
pub fn seed() -> u64 {
    if let Some(seed) = std::env::var("AWSENV_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        return seed;
    }
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    hasher.finish()
}

/// `n` values drawn by proptest from `seed`.
pub fn random(seed: u64, n: usize) -> Vec<String> {
    let bytes: Vec<u8> = seed.to_le_bytes().repeat(4);
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &bytes);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    let strategy = value_strategy();
    (0..n)
        .map(|_| strategy.new_tree(&mut runner).expect("a value").current())
        .collect()
}

/// Whether aws-config's INI parser reads `value` back unchanged after `key = `: one line,
/// nothing it trims (space, tab, a last CR), no `#`/`;` where a comment may start.
pub fn ini_safe(value: &str) -> bool {
    let mut after_space = true;
    for c in value.chars() {
        if c == '\n' || (after_space && matches!(c, '#' | ';')) {
            return false;
        }
        after_space = c.is_whitespace();
    }
    !value.is_empty() && !value.starts_with([' ', '\t']) && !value.ends_with([' ', '\t', '\r'])
}

/// `value` itself where the INI format can carry it, else a close relative that it can:
/// wrapped in `<…>`, newlines as `␤`, a `_` before a comment character after whitespace.
pub fn for_ini(value: &str) -> String {
    if ini_safe(value) {
        return value.to_owned();
    }
    let mut out = String::from("<");
    let mut after_space = false;
    for c in value.chars() {
        let c = if c == '\n' { '␤' } else { c };
        if after_space && matches!(c, '#' | ';') {
            out.push('_');
        }
        out.push(c);
        after_space = c.is_whitespace();
    }
    out.push('>');
    debug_assert!(ini_safe(&out), "{out:?}");
    out
}

/// One `awsenv assume` call: its credentials file and `--region`.
#[derive(Debug, Clone)]
pub struct Case {
    pub key: String,
    pub secret: String,
    pub token: String,
    pub region: String,
}

impl Case {
    /// The variables the shell must hold after the snippet, in `NAMES` order.
    pub fn expected(&self) -> [Option<&str>; 6] {
        [
            Some(&self.key),
            Some(&self.secret),
            Some(&self.token),
            Some(&self.region),
            Some(&self.region),
            Some(PROFILE),
        ]
    }

    pub fn credentials(&self) -> String {
        format!(
            "[{PROFILE}]\naws_access_key_id = {}\naws_secret_access_key = {}\naws_session_token = {}\n",
            self.key, self.secret, self.token
        )
    }
}

/// The variables each case is checked on.
pub const NAMES: [&str; 6] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWSENV_PROFILE",
];

/// The fixed cases, the 64 KiB one, then `RANDOM_CASES` drawn from `seed`.
pub fn cases(seed: u64) -> Vec<Case> {
    let fixed = explicit();
    let n = fixed.len();
    let mut cases: Vec<Case> = (0..n)
        .map(|i| Case {
            key: for_ini(&fixed[(i + 1) % n]),
            secret: for_ini(&fixed[(i + 2) % n]),
            token: for_ini(&fixed[i]),
            region: fixed[i].clone(),
        })
        .collect();
    let big = big();
    cases.push(Case {
        key: for_ini("AKIA big"),
        secret: for_ini(&big),
        token: for_ini(&big),
        region: big,
    });
    let drawn = random(seed, RANDOM_CASES * 4);
    cases.extend(drawn.chunks(4).map(|v| Case {
        key: for_ini(&v[0]),
        secret: for_ini(&v[1]),
        token: for_ini(&v[2]),
        region: v[3].clone(),
    }));
    cases
}

/// Write each case's credentials file as `dir/N`; the directory.
pub fn write_credentials(dir: &Path, cases: &[Case]) -> PathBuf {
    std::fs::create_dir_all(dir).expect("credentials directory");
    for (i, case) in cases.iter().enumerate() {
        std::fs::write(dir.join(i.to_string()), case.credentials()).expect("credentials file");
    }
    dir.to_path_buf()
}

/// What a failure report says so the run can be repeated.
pub fn repeat_hint(seed: u64) -> String {
    format!("values drawn from seed {seed}; AWSENV_TEST_SEED={seed} repeats this run")
}

/// `check` of every case index below `n`, spread over `workers` threads: what went wrong,
/// one line (or a few) per failing case.
pub fn failures(
    n: usize,
    workers: usize,
    check: impl Fn(usize) -> Option<String> + Sync,
) -> Vec<String> {
    let check = &check;
    std::thread::scope(|scope| {
        let running: Vec<_> = (0..workers)
            .map(|w| {
                scope.spawn(move || {
                    (w..n)
                        .step_by(workers)
                        .filter_map(check)
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        running
            .into_iter()
            .flat_map(|w| w.join().expect("worker"))
            .collect()
    })
}

/// Fail with the first failures and how to repeat the run, if there are any.
pub fn assert_none_fail(failures: &[String], n: usize, seed: u64) {
    assert!(
        failures.is_empty(),
        "{} of {} cases fail; the first ones:\n{}\n{}",
        failures.len(),
        n,
        failures[..failures.len().min(5)].join("\n"),
        repeat_hint(seed)
    );
}
