//! Real shells read what `awsenv assume` and `awsenv unset` print. bash, dash, zsh and fish
//! each run hundreds of `eval "$(awsenv assume …)"` (fish: `… | source`) on adversarial values
//! in one process, and what the shell then holds is compared byte for byte with what went in.
//! Also: a failed assume returns non-zero and leaves the variables alone; unset clears
//! what awsenv set and nothing the user set; every snippet ends with status 0.
#![cfg(unix)] // real Unix shells; the Windows suite is tests/windows.rs

mod adversarial;
mod common;

use adversarial::{Case, NAMES, PROFILE};
use common::shells::EVERY;
use common::{Fixture, stderr};

/// A shell under test and the `--shell` dialect it is given.
#[derive(Clone, Copy)]
struct Dialect {
    shell: &'static str,
    flag: &'static str,
}

const BASH: Dialect = Dialect {
    shell: "bash",
    flag: "bash",
};
const DASH: Dialect = Dialect {
    shell: "dash",
    flag: "sh",
};
const ZSH: Dialect = Dialect {
    shell: "zsh",
    flag: "zsh",
};
const FISH: Dialect = Dialect {
    shell: "fish",
    flag: "fish",
};
const ALL: [Dialect; 4] = [BASH, DASH, ZSH, FISH];

impl Dialect {
    fn is_fish(self) -> bool {
        self.shell == "fish"
    }

    /// Apply `awsenv ARGS` the way users do, then print `s<status>` and a NUL.
    fn apply(self, args: &str) -> String {
        if self.is_fish() {
            format!("awsenv {args} --shell fish | source\nprintf 's%s\\0' $status\n")
        } else {
            format!(
                "eval \"$(awsenv {args} --shell {})\"\nprintf 's%s\\0' \"$?\"\n",
                self.flag
            )
        }
    }

    /// Print each variable as `+VALUE` or `-` when unset, each followed by a NUL: no value can
    /// hold a NUL, so the records cannot run into each other.
    fn report(self, names: &[&str]) -> String {
        names
            .iter()
            .map(|name| {
                if self.is_fish() {
                    format!(
                        "if set -q {name}; and test (count ${name}) -ne 1; printf 'list\\0'\n\
                         else if set -q {name}; printf '+%s\\0' \"${name}\"\n\
                         else; printf '%s\\0' -; end\n"
                    )
                } else {
                    format!(
                        "if [ \"${{{name}+x}}\" = x ]; then printf '+%s\\0' \"${name}\"; \
                         else printf '%s\\0' -; fi\n"
                    )
                }
            })
            .collect()
    }

    /// One loop over `n` cases: case I's credentials file is `$CREDS/I`, its region `$R_I`.
    fn round_trip_script(self, n: usize) -> String {
        if self.is_fish() {
            format!(
                "for i in (seq 0 {last})\n\
                 set -l r R_$i\n\
                 AWS_SHARED_CREDENTIALS_FILE=$CREDS/$i awsenv assume {PROFILE} --shell fish --region=$$r | source\n\
                 printf 's%s\\0' $status\n{report}end\n",
                last = n - 1,
                report = self.report(&NAMES),
            )
        } else {
            format!(
                "i=0\nwhile [ \"$i\" -lt {n} ]; do\n\
                 eval \"r=\\$R_$i\"\n\
                 eval \"$(AWS_SHARED_CREDENTIALS_FILE=\"$CREDS/$i\" awsenv assume {PROFILE} --shell {flag} --region=\"$r\")\"\n\
                 printf 's%s\\0' \"$?\"\n{report}i=$((i + 1))\ndone\n",
                flag = self.flag,
                report = self.report(&NAMES),
            )
        }
    }
}

/// `x` when a child process sees `name` in its environment, else `n` (the same in every shell).
fn exported(name: &str) -> String {
    format!("printenv {name} >/dev/null && printf 'x\\0' || printf 'n\\0'\n")
}

/// The NUL-separated records a script printed.
fn records(stdout: &[u8]) -> Vec<&[u8]> {
    let mut records: Vec<&[u8]> = stdout.split(|b| *b == 0).collect();
    assert_eq!(records.pop(), Some(&b""[..]), "output ends with a NUL");
    records
}

/// `+VALUE` or `-`.
fn record(value: Option<&str>) -> Vec<u8> {
    value.map_or_else(|| b"-".to_vec(), |v| format!("+{v}").into_bytes())
}

fn show(bytes: &[u8]) -> String {
    let text = format!("{:?}", String::from_utf8_lossy(bytes));
    if text.len() > 200 {
        format!(
            "{}… ({} bytes)",
            &text[..text.floor_char_boundary(200)],
            bytes.len()
        )
    } else {
        text
    }
}

/// Feed every adversarial case through `dialect`'s shell; check each value byte for byte.
fn round_trip(dialect: Dialect) {
    let seed = adversarial::seed();
    let cases = adversarial::cases(seed);
    let mut f = Fixture::new();
    let creds = adversarial::write_credentials(&f.path("creds"), &cases);
    f.set("CREDS", creds.display().to_string());
    for (i, case) in cases.iter().enumerate() {
        f.set(&format!("R_{i}"), case.region.clone());
    }
    let out = f.shell(dialect.shell, &dialect.round_trip_script(cases.len()));
    let got = records(&out.stdout);
    let context = || {
        format!(
            "{}: {}\nstderr: {}",
            dialect.shell,
            adversarial::repeat_hint(seed),
            show(&out.stderr)
        )
    };
    let width = 1 + NAMES.len();
    assert_eq!(got.len(), cases.len() * width, "{}", context());
    let mismatches: Vec<String> = cases
        .iter()
        .zip(got.chunks(width))
        .enumerate()
        .flat_map(|(i, (case, got))| mismatches(i, case, got))
        .collect();
    assert!(
        mismatches.is_empty(),
        "{} differences in {} cases; the first ones:\n{}\n{}",
        mismatches.len(),
        cases.len(),
        mismatches[..mismatches.len().min(8)].join("\n"),
        context()
    );
    assert!(cases.len() > adversarial::RANDOM_CASES);
}

fn mismatches(i: usize, case: &Case, got: &[&[u8]]) -> Vec<String> {
    let mut out = Vec::new();
    if got[0] != b"s0" {
        out.push(format!("case {i}: status {}", show(got[0])));
    }
    for ((name, want), got) in NAMES.iter().zip(case.expected()).zip(&got[1..]) {
        let want = record(want);
        if want != *got {
            out.push(format!(
                "case {i}: {name}: want {} got {}",
                show(&want),
                show(got)
            ));
        }
    }
    out
}

#[test]
fn bash_holds_every_adversarial_value_byte_for_byte() {
    round_trip(BASH);
}

#[test]
fn dash_holds_every_adversarial_value_byte_for_byte() {
    round_trip(DASH);
}

#[test]
fn zsh_holds_every_adversarial_value_byte_for_byte() {
    round_trip(ZSH);
}

#[test]
fn fish_holds_every_adversarial_value_byte_for_byte() {
    round_trip(FISH);
}

/// Profiles with and without a region, and one whose secret holds a NUL.
fn profiles() -> Fixture {
    Fixture::new()
        .with_config("[profile withregion]\nregion = eu-west-1\n")
        .with_credentials(
            "[withregion]\naws_access_key_id = AKIDWITH\naws_secret_access_key = s1\n\
             [noregion]\naws_access_key_id = AKIDNO\naws_secret_access_key = s2\n\
             [nul]\naws_access_key_id = AKIDNUL\naws_secret_access_key = a\0b\n",
        )
}

/// Run `script` in `dialect`'s shell; its records as text. Its stderr goes to the test's
/// output, so a failed assertion shows what the shell said.
fn run(f: &Fixture, dialect: Dialect, script: &str) -> Vec<String> {
    let out = f.shell(dialect.shell, script);
    eprintln!("{} stderr:\n{}", dialect.shell, stderr(&out));
    records(&out.stdout)
        .into_iter()
        .map(|r| String::from_utf8_lossy(r).into_owned())
        .collect()
}

/// The records `report(EVERY)` prints for these values, the rest unset.
fn expect(status: &str, set: &[(&str, &str)]) -> Vec<String> {
    std::iter::once(format!("s{status}"))
        .chain(EVERY.iter().map(|name| {
            set.iter()
                .find(|(n, _)| n == name)
                .map_or_else(|| "-".to_owned(), |(_, v)| format!("+{v}"))
        }))
        .collect()
}

#[test]
fn a_failed_assume_returns_non_zero_and_changes_nothing() {
    let before = [
        ("AWS_ACCESS_KEY_ID", "keep-key"),
        ("AWS_SECRET_ACCESS_KEY", "keep-secret"),
        ("AWS_SESSION_TOKEN", "keep-token"),
        ("AWS_REGION", "keep-region"),
        ("AWS_DEFAULT_REGION", "keep-default-region"),
        ("AWSENV_PROFILE", "keep-profile"),
        ("AWS_PROFILE", "keep-aws-profile"),
    ];
    let mut f = profiles();
    for (name, value) in before {
        f.set(name, value);
    }
    for dialect in ALL {
        let failures = [
            "assume nosuch",
            "assume withregion --duration 5",
            "assume withregion --bogus",
            "assume nul",
        ];
        let script: String = failures
            .iter()
            .map(|args| dialect.apply(args) + &dialect.report(&EVERY))
            .collect();
        let got = run(&f, dialect, &script);
        let want: Vec<String> = failures.iter().flat_map(|_| expect("1", &before)).collect();
        assert_eq!(got, want, "{}", dialect.shell);
    }
}

#[test]
fn unset_removes_what_assume_set_including_its_region() {
    let f = profiles().var("AWSENV_PROMPT", "withregion 1h");
    for dialect in ALL {
        let script = [
            dialect.apply("assume withregion"),
            dialect.report(&EVERY),
            exported("AWS_ACCESS_KEY_ID"),
            exported("AWS_REGION"),
            dialect.apply("unset"),
            dialect.report(&EVERY),
        ]
        .concat();
        let mut want = expect(
            "0",
            &[
                ("AWS_ACCESS_KEY_ID", "AKIDWITH"),
                ("AWS_SECRET_ACCESS_KEY", "s1"),
                ("AWS_REGION", "eu-west-1"),
                ("AWS_DEFAULT_REGION", "eu-west-1"),
                ("AWSENV_REGION", "eu-west-1"),
                ("AWSENV_PROFILE", "withregion"),
                ("AWSENV_PROMPT", "withregion 1h"),
            ],
        );
        want.extend(["x".to_owned(), "x".to_owned()]);
        want.extend(expect("0", &[]));
        assert_eq!(run(&f, dialect, &script), want, "{}", dialect.shell);
    }
}

#[test]
fn a_region_the_user_set_survives_assume_and_unset() {
    let user = [
        ("AWS_REGION", "us-west-2"),
        ("AWS_DEFAULT_REGION", "ap-south-1"),
    ];
    let mut f = profiles();
    for (name, value) in user {
        f.set(name, value);
    }
    for dialect in ALL {
        let script = [
            dialect.apply("assume noregion"),
            dialect.report(&EVERY),
            dialect.apply("unset"),
            dialect.report(&EVERY),
        ]
        .concat();
        let mut want = expect(
            "0",
            &[
                ("AWS_ACCESS_KEY_ID", "AKIDNO"),
                ("AWS_SECRET_ACCESS_KEY", "s2"),
                ("AWSENV_PROFILE", "noregion"),
                user[0],
                user[1],
            ],
        );
        want.extend(expect("0", &user));
        assert_eq!(run(&f, dialect, &script), want, "{}", dialect.shell);
    }
}

#[test]
fn a_region_the_user_set_comes_back_after_a_profile_with_its_own() {
    let user = [
        ("AWS_REGION", "us-west-2"),
        ("AWS_DEFAULT_REGION", "ap-south-1"),
    ];
    let mut f = profiles();
    for (name, value) in user {
        f.set(name, value);
    }
    for dialect in ALL {
        let script = [
            dialect.apply("assume withregion"),
            dialect.report(&["AWS_REGION", "AWS_DEFAULT_REGION"]),
            dialect.apply("assume withregion"),
            dialect.apply("unset"),
            dialect.report(&EVERY),
        ]
        .concat();
        let mut want = vec![
            "s0".to_owned(),
            "+eu-west-1".to_owned(),
            "+eu-west-1".to_owned(),
        ];
        want.extend(["s0".to_owned(), "s0".to_owned()]);
        want.extend(expect("", &user)[1..].iter().cloned());
        assert_eq!(run(&f, dialect, &script), want, "{}", dialect.shell);
    }
}

#[test]
fn switching_to_a_profile_without_region_drops_the_previous_region() {
    let f = profiles();
    for dialect in ALL {
        let script = [
            dialect.apply("assume withregion"),
            dialect.apply("assume noregion"),
            dialect.report(&EVERY),
        ]
        .concat();
        let mut want = vec!["s0".to_owned()];
        want.extend(expect(
            "0",
            &[
                ("AWS_ACCESS_KEY_ID", "AKIDNO"),
                ("AWS_SECRET_ACCESS_KEY", "s2"),
                ("AWSENV_PROFILE", "noregion"),
            ],
        ));
        assert_eq!(run(&f, dialect, &script), want, "{}", dialect.shell);
    }
}

#[test]
fn unset_with_nothing_set_ends_with_status_0() {
    let f = profiles();
    for dialect in ALL {
        let mut script = dialect.apply("unset") + &dialect.report(&EVERY);
        if dialect.is_fish() {
            script.push_str(
                "eval \"$(awsenv unset --shell fish)\"\nprintf 's%s\\0' $status\n\
                 eval (awsenv unset --shell fish | string collect)\nprintf 's%s\\0' $status\n",
            );
        }
        let mut want = expect("0", &[]);
        if dialect.is_fish() {
            want.extend(["s0".to_owned(), "s0".to_owned()]);
        }
        assert_eq!(run(&f, dialect, &script), want, "{}", dialect.shell);
    }
}
