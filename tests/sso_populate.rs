//! `awsenv sso populate` against a local SSO portal stub: every page fetched, the block
//! written once and left alone after, every other byte of the config file kept, names valid
//! for the SDKs' parser, `--prune`, `--dry-run`, and the token errors.

mod common;

use std::time::Duration;

use common::portal::{Account, Portal, TOKEN};
use common::{Fixture, stderr, stdout};

const START_URL: &str = "https://d-1234567890.awsapps.com/start";

/// What the user wrote, around which the block must go: odd spacing, comments, no final
/// newline after the block is appended in front of the tail.
const HEAD: &str = "\
# my own settings   \n\
[default]\n\
region = eu-west-1\n\
\n\
[sso-session corp]\n\
sso_start_url = https://d-1234567890.awsapps.com/start\n\
sso_region = eu-central-1\n\
sso_registration_scopes = sso:account:access\n\
;  keep this comment\n\
[profile mine]\n\
region=us-east-1 \n\
";

fn accounts() -> Vec<Account> {
    vec![
        Account::new(
            "111111111111",
            "Dev Account",
            &["Admin", "ReadOnly", "Billing"],
        ),
        Account::new("222222222222", "Prod (EU)", &["Admin"]),
        Account::new("333333333333", "Sandbox", &["Power,User"]),
    ]
}

/// A fixture with HEAD as its config, a valid token for `corp`, and the portal's endpoint.
fn fixture(portal: &Portal) -> Fixture {
    let f = Fixture::new()
        .with_config(HEAD)
        .var("AWS_ENDPOINT_URL_SSO", portal.endpoint())
        .var("AWSENV_STS_TIMEOUT", "10");
    write_token(&f, "corp", TOKEN, 3600);
    f
}

/// The token file the AWS CLI writes for `session`, expiring `expires_in` seconds from now.
fn write_token(f: &Fixture, session: &str, token: &str, expires_in: i64) {
    let at = chrono::Utc::now() + chrono::Duration::seconds(expires_in);
    let name = token_file_name(session);
    f.write(
        &format!(".aws/sso/cache/{name}"),
        &format!(
            r#"{{"startUrl": "{START_URL}", "region": "eu-central-1", "accessToken": "{token}", "expiresAt": "{}", "clientId": "c", "clientSecret": "s", "refreshToken": "r"}}"#,
            at.format("%Y-%m-%dT%H:%M:%SZ")
        ),
    );
}

/// sha1 hex of the session name, computed by the AWS CLI's own Python.
fn token_file_name(session: &str) -> String {
    let python = common::repo().join(".venv/bin/python");
    let out = std::process::Command::new(python)
        .args([
            "-c",
            "import hashlib,sys; print(hashlib.sha1(sys.argv[1].encode()).hexdigest())",
            session,
        ])
        .output()
        .expect("run the virtualenv's python (.ci/run installs it)");
    format!("{}.json", String::from_utf8_lossy(&out.stdout).trim())
}

fn config(f: &Fixture) -> String {
    std::fs::read_to_string(f.path(".aws/config")).unwrap()
}

fn populate(f: &Fixture, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["sso", "populate", "corp"];
    args.extend_from_slice(extra);
    f.run(args)
}

#[test]
fn populate_writes_the_block_once_and_keeps_every_other_byte() {
    let portal = Portal::start(accounts(), 2);
    let f = fixture(&portal).var("AWS_REGION", "us-west-2");
    let tail = "\n[profile after]\nregion = ap-south-1";

    let out = populate(&f, &["--region", "eu-west-1"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let first = config(&f);
    assert!(first.starts_with(HEAD), "{first}");
    let block = &first[HEAD.len()..];
    assert!(
        block.starts_with("\n# BEGIN awsenv sso populate corp"),
        "{block}"
    );
    assert!(block.contains(
        "[profile Dev-Account/Admin]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = Admin\nregion = eu-west-1\n"
    ), "{block}");
    assert!(
        block.ends_with("# END awsenv sso populate corp\n"),
        "{block}"
    );
    let diff = stdout(&out);
    assert!(diff.contains("+[profile Prod-EU/Admin]\n"), "{diff}");
    assert!(diff.contains("+[profile Sandbox/Power-User]\n"), "{diff}");
    assert!(stderr(&out).contains("5 added"), "{}", stderr(&out));

    // The user adds lines after the block; a second run with the same grants changes nothing.
    std::fs::write(f.path(".aws/config"), format!("{first}{tail}")).unwrap();
    let before = std::fs::read(f.path(".aws/config")).unwrap();
    let again = populate(&f, &["--region", "eu-west-1"]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert_eq!(stdout(&again), "", "no change, nothing to show");
    assert!(
        stderr(&again).contains("needs no change"),
        "{}",
        stderr(&again)
    );
    assert_eq!(std::fs::read(f.path(".aws/config")).unwrap(), before);

    // A new grant rewrites the block in place: the head and the tail stay byte for byte.
    let mut more = accounts();
    more[1].roles.push("Audit".into());
    portal.set_accounts(more);
    let out = populate(&f, &["--region", "eu-west-1"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).lines().next(),
        Some("+[profile Prod-EU/Audit]")
    );
    let third = config(&f);
    assert!(third.starts_with(HEAD) && third.ends_with(tail), "{third}");
    assert!(third.contains("[profile Prod-EU/Audit]"), "{third}");
}

#[test]
fn every_page_is_fetched_with_the_token() {
    let many: Vec<Account> = (1..=7)
        .map(|i| {
            Account::new(
                &format!("{i:012}"),
                &format!("acct{i}"),
                &["A", "B", "C", "D", "E"],
            )
        })
        .collect();
    let portal = Portal::start(many, 2);
    let f = fixture(&portal);
    let out = populate(&f, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // 7 accounts, 2 a page: 4 pages; 5 roles each, 2 a page: 3 pages per account.
    let pages = portal.requests_to("/assignment/accounts");
    assert_eq!(pages.len(), 4);
    let tokens: Vec<Option<&str>> = pages
        .iter()
        .map(|r| r.query.get("next_token").map(String::as_str))
        .collect();
    assert_eq!(
        tokens,
        [None, Some("page-2"), Some("page-4"), Some("page-6")]
    );
    assert_eq!(portal.requests_to("/assignment/roles").len(), 7 * 3);
    for request in portal.requests() {
        assert_eq!(
            request
                .headers
                .get("x-amz-sso_bearer_token")
                .map(String::as_str),
            Some(TOKEN)
        );
    }
    assert!(!stderr(&out).contains(TOKEN) && !stdout(&out).contains(TOKEN));
    // Every profile loads through aws-config's parser.
    let names = stdout(&f.run(["list", "--names"]));
    for i in 1..=7 {
        for role in ["A", "B", "C", "D", "E"] {
            assert!(
                names.lines().any(|n| n == format!("acct{i}/{role}")),
                "acct{i}/{role} missing:\n{names}"
            );
        }
    }
    assert_eq!(names.lines().count(), 35 + 2, "{names}");
}

#[test]
fn role_listings_run_a_few_at_a_time() {
    let many: Vec<Account> = (1..=20)
        .map(|i| Account::new(&format!("{i:012}"), &format!("a{i}"), &["R"]))
        .collect();
    let portal = Portal::with_delay(many, 100, Duration::from_millis(150));
    let f = fixture(&portal);
    let out = populate(&f, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(portal.requests_to("/assignment/roles").len(), 20);
    let most = portal.max_in_flight();
    assert!((2..=8).contains(&most), "{most} requests at once");
}

#[test]
fn throttling_is_retried_and_a_dead_portal_fails_in_time() {
    let portal = Portal::start(accounts(), 10);
    portal.throttle(2);
    let f = fixture(&portal);
    let out = populate(&f, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("5 added"), "{}", stderr(&out));
    assert_eq!(portal.requests_to("/assignment/accounts").len(), 3);

    // No AWS_ENDPOINT_URL_SSO: the fixture's AWS_ENDPOINT_URL, a port nothing listens on.
    let mut dead = fixture(&portal).var("AWSENV_STS_TIMEOUT", "2");
    dead.vars.remove("AWS_ENDPOINT_URL_SSO");
    let out = populate(&dead, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("SSO portal at http://127.0.0.1:9"), "{err}");
    assert_eq!(config(&dead), HEAD);
}

#[test]
fn names_are_made_valid_and_unique_and_load() {
    let portal = Portal::start(
        vec![
            Account::new("111111111111", "Dev Account", &["Admin"]),
            Account::new("222222222222", "Dev Account", &["Admin"]),
            Account::new("333333333333", "Ünïcode 本番", &["Admin"]),
            Account::new("444444444444", "mine", &["Admin"]),
        ],
        10,
    );
    // A profile of the user's own already has the name `mine/Admin`.
    let f = fixture(&portal);
    let head_with_clash = format!("{HEAD}[profile mine/Admin]\nregion = x\n");
    std::fs::write(f.path(".aws/config"), &head_with_clash).unwrap();
    let out = populate(&f, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let names = stdout(&f.run(["list", "--names"]));
    let mut got: Vec<&str> = names.lines().collect();
    got.sort_unstable();
    assert_eq!(
        got,
        [
            "Dev-Account/Admin-111111111111",
            "Dev-Account/Admin-222222222222",
            "default",
            "mine",
            "mine/Admin",
            "mine/Admin-444444444444",
            "n-code/Admin",
        ]
    );
    // The user's own profile is untouched.
    assert!(config(&f).starts_with(&head_with_clash));
    // The AWS CLI reads the generated profiles too.
    let aws = common::repo().join(".venv/bin/aws");
    let cli = std::process::Command::new(aws)
        .args([
            "configure",
            "get",
            "sso_account_id",
            "--profile",
            "Dev-Account/Admin-222222222222",
        ])
        .env_clear()
        .envs(&f.vars)
        .output()
        .expect("run the AWS CLI from .venv");
    assert_eq!(String::from_utf8_lossy(&cli.stdout).trim(), "222222222222");
}

#[test]
fn prune_drops_what_is_no_longer_granted() {
    let portal = Portal::start(accounts(), 10);
    let f = fixture(&portal);
    assert_eq!(populate(&f, &[]).status.code(), Some(0));
    let full = config(&f);
    portal.set_accounts(accounts()[..1].to_vec());

    let kept = populate(&f, &[]);
    assert_eq!(kept.status.code(), Some(0), "{}", stderr(&kept));
    assert_eq!(config(&f), full, "without --prune nothing goes");
    assert!(
        stderr(&kept).contains("2 no longer granted, kept (--prune removes them)"),
        "{}",
        stderr(&kept)
    );

    let pruned = populate(&f, &["--prune"]);
    assert_eq!(pruned.status.code(), Some(0), "{}", stderr(&pruned));
    let diff = stdout(&pruned);
    assert!(diff.contains("-[profile Prod-EU/Admin]\n"), "{diff}");
    assert!(diff.contains("-[profile Sandbox/Power-User]\n"), "{diff}");
    assert!(!diff.contains('+'), "{diff}");
    let now = config(&f);
    assert!(now.starts_with(HEAD), "{now}");
    assert!(!now.contains("Prod-EU") && now.contains("[profile Dev-Account/Billing]"));
    assert!(stderr(&pruned).contains("2 removed"), "{}", stderr(&pruned));
}

#[test]
fn dry_run_prints_the_change_and_writes_nothing() {
    let portal = Portal::start(accounts(), 10);
    let f = fixture(&portal);
    let out = populate(&f, &["--dry-run", "--template", "{account_id}-{role_name}"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(config(&f), HEAD);
    let diff = stdout(&out);
    assert!(
        diff.starts_with(
            "+[profile 111111111111-Admin]\n+sso_session = corp\n+sso_account_id = 111111111111\n+sso_role_name = Admin\n"
        ),
        "{diff}"
    );
    assert!(stderr(&out).contains("dry run"), "{}", stderr(&out));
    let entries: Vec<_> = std::fs::read_dir(f.path(".aws"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(entries.len(), 2, "no temporary file left: {entries:?}");
}

#[test]
fn a_missing_or_expired_token_says_how_to_log_in() {
    let portal = Portal::start(accounts(), 10);
    let f = fixture(&portal);
    std::fs::remove_dir_all(f.path(".aws/sso")).unwrap();
    let advice = "run `awsenv sso login --sso-session corp`";
    let out = populate(&f, &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("not logged in") && err.contains(advice),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");

    write_token(&f, "corp", TOKEN, -60);
    let out = populate(&f, &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("expired") && err.contains(advice), "{err}");
    assert!(!err.contains(TOKEN), "{err}");
    assert!(portal.requests().is_empty(), "no call without a token");

    // A token the portal no longer accepts (signed out elsewhere).
    write_token(&f, "corp", "REVOKEDTOKEN", 3600);
    let out = populate(&f, &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("refused the token") && err.contains(advice),
        "{err}"
    );
    assert!(!err.contains("REVOKEDTOKEN"), "{err}");
    assert_eq!(config(&f), HEAD, "nothing written");
}

#[test]
fn bad_sessions_templates_and_blocks_exit_2_before_any_call() {
    let portal = Portal::start(accounts(), 10);
    let f = fixture(&portal);
    let out = f.run(["sso", "populate", "crop"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no [sso-session crop]") && stderr(&out).contains("`corp`"));

    let out = populate(&f, &["--template", "{account}/{role_name}"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("unknown placeholder `{account}`"),
        "{}",
        stderr(&out)
    );

    let out = populate(&f, &["--region", "eu west"]);
    assert_eq!(out.status.code(), Some(2));

    let broken = format!("{HEAD}# BEGIN awsenv sso populate corp\n[profile x]\n");
    std::fs::write(f.path(".aws/config"), &broken).unwrap();
    let out = populate(&f, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("no END line"), "{}", stderr(&out));
    assert_eq!(config(&f), broken);
    assert!(portal.requests().is_empty());
}

#[test]
fn an_edit_made_while_the_portal_answers_is_not_overwritten() {
    let portal = Portal::start(accounts(), 10);
    let f = fixture(&portal);
    let path = f.path(".aws/config");
    let edited = format!("{HEAD}[profile typed-meanwhile]\nregion = x\n");
    let write = edited.clone();
    portal.on_next_request(move || std::fs::write(path, write).unwrap());
    let out = populate(&f, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("changed while"), "{}", stderr(&out));
    assert_eq!(config(&f), edited);
}

#[test]
fn the_session_completes_from_the_config() {
    // What bash's registered function runs for `awsenv sso populate <TAB>`.
    let f = Fixture::new().with_config(&format!("{HEAD}[sso-session other]\nsso_region = x\n"));
    let out = f
        .var("COMPLETE", "bash")
        .var("_CLAP_COMPLETE_INDEX", "3")
        .var("_CLAP_COMPLETE_COMP_TYPE", "9")
        .var("_CLAP_COMPLETE_SPACE", "true")
        .var("_CLAP_IFS", "\n")
        .run(["--", "awsenv", "sso", "populate", ""]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let offered: Vec<String> = stdout(&out)
        .lines()
        .filter(|l| !l.starts_with('-'))
        .map(str::to_owned)
        .collect();
    assert_eq!(offered, ["corp", "other"]);
}

#[test]
fn help_snapshot() {
    let f = Fixture::new();
    insta::assert_snapshot!(
        "help_sso_populate",
        stdout(&f.run(["sso", "populate", "--help"]))
    );
}
