//! The everyday commands as a user meets them: `list`, `status`, `exec`, `completions` and
//! `credential-process`, each run through a fixture with a temporary HOME.

mod common;

use common::moto::shared;
use common::stub::{Behaviour, SECRET_MARK, Stub};
use common::{Fixture, stderr, stdout};

const CONFIG: &str = "\
[sso-session corp]
sso_start_url = https://corp.example/start
sso_region = eu-west-1
[profile dev]
region = eu-west-1
[profile prod]
role_arn = arn:aws:iam::123456789012:role/admin
source_profile = dev
[profile ec2]
role_arn = arn:aws:iam::123456789012:role/ec2
credential_source = Ec2InstanceMetadata
[profile sso]
sso_session = corp
sso_account_id = 123456789012
sso_role_name = ReadOnly
[profile proc]
credential_process = /usr/bin/get-creds --id 7
[profile web]
role_arn = arn:aws:iam::123456789012:role/web
web_identity_token_file = /var/run/token
";

const CREDENTIALS: &str = "\
[dev]
aws_access_key_id = AKIADEVEXAMPLE0001
aws_secret_access_key = devsecret/+=
";

fn fixture() -> Fixture {
    Fixture::new()
        .with_config(CONFIG)
        .with_credentials(CREDENTIALS)
}

#[test]
fn list_shows_kind_region_role_and_source() {
    let out = fixture().run(["list"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<Vec<&str>> = text
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(lines[0], ["PROFILE", "KIND", "REGION", "ROLE", "SOURCE"]);
    let row = |name: &str| {
        lines
            .iter()
            .find(|l| l[0] == name)
            .unwrap_or_else(|| panic!("{name} missing:\n{text}"))
            .clone()
    };
    assert_eq!(row("dev"), ["dev", "static", "eu-west-1", "-", "-"]);
    assert_eq!(
        row("prod"),
        [
            "prod",
            "role",
            "-",
            "arn:aws:iam::123456789012:role/admin",
            "source_profile=dev"
        ]
    );
    assert_eq!(row("ec2")[4], "credential_source=Ec2InstanceMetadata");
    assert_eq!(row("sso")[1..], ["sso", "-", "-", "sso_session=corp"]);
    assert_eq!(
        row("proc")[1..],
        [
            "process",
            "-",
            "-",
            "credential_process=/usr/bin/get-creds",
            "--id",
            "7"
        ]
    );
    assert_eq!(row("web")[1], "web-identity");
    assert_eq!(row("web")[4], "web_identity_token_file=/var/run/token");
    assert!(!text.contains("devsecret"), "a secret in the listing");
}

#[test]
fn list_json_is_an_array_of_objects() {
    let out = fixture().run(["list", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rows: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 6);
    let prod = rows.iter().find(|r| r["profile"] == "prod").unwrap();
    assert_eq!(prod["kind"], "role");
    assert_eq!(prod["role"], "arn:aws:iam::123456789012:role/admin");
    assert_eq!(prod["source"], "dev");
    assert_eq!(prod["source_setting"], "source_profile");
    assert!(prod["region"].is_null());
}

#[test]
fn list_names_prints_one_a_line_sorted() {
    let out = fixture().run(["list", "--names"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "dev\nec2\nproc\nprod\nsso\nweb\n");
    let empty = Fixture::new().run(["list", "--names"]);
    assert_eq!(empty.status.code(), Some(0));
    assert_eq!(stdout(&empty), "");
}

#[test]
fn list_of_a_malformed_config_exits_2() {
    let out = Fixture::new()
        .with_config("[profile broken\n")
        .run(["list"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stdout(&out), "");
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
}

#[test]
fn list_handles_a_generated_large_config() {
    let f = Fixture::new();
    let script = common::repo().join("benches/gen-profiles.sh");
    let config = std::process::Command::new("sh")
        .arg(script)
        .arg("400")
        .output()
        .unwrap();
    assert!(config.status.success());
    f.write(".aws/config", &stdout(&config));
    let out = f.run(["list", "--names"]);
    assert_eq!(stdout(&out).lines().count(), 400);
    let table = stdout(&f.run(["list"]));
    for kind in ["static", "role", "sso", "process"] {
        assert!(table.contains(kind), "{kind}");
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[test]
fn status_with_nothing_exported_says_so_and_exits_0() {
    let out = fixture().run(["status"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("nothing exported"),
        "{}",
        stdout(&out)
    );
    let out = fixture().run(["status", "--json"]);
    let value: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(value["exported"], false);
}

#[test]
fn status_reports_profile_masked_key_expiry_region_and_shadowing() {
    let expires = now() + 42 * 60 + 30;
    let f = fixture()
        .var("AWSENV_PROFILE", "prod")
        .var("AWS_ACCESS_KEY_ID", "ASIAEXAMPLEKEY4321")
        .var("AWS_SECRET_ACCESS_KEY", "topsecretvalue")
        .var("AWS_SESSION_TOKEN", "tokenvalue")
        .var("AWSENV_EXPIRES_AT", expires.to_string())
        .var("AWS_REGION", "eu-west-1")
        .var("AWS_SECURITY_TOKEN", "tokenvalue")
        .var("AWS_PROFILE", "dev");
    let out = f.run(["status"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    for wanted in [
        "profile:   prod",
        "exported by awsenv",
        "…4321 (temporary)",
        "42m left",
        "region:    eu-west-1",
        "AWS_SECURITY_TOKEN is set",
        "AWS_PROFILE is set",
    ] {
        assert!(text.contains(wanted), "{wanted} missing:\n{text}");
    }
    for secret in ["ASIAEXAMPLEKEY4321", "topsecretvalue", "tokenvalue"] {
        assert!(!text.contains(secret), "{secret} shown:\n{text}");
    }
    let value: serde_json::Value =
        serde_json::from_str(&stdout(&f.run(["status", "--json"]))).unwrap();
    assert_eq!(value["exported"], true);
    assert_eq!(value["origin"], "awsenv");
    assert_eq!(value["profile"], "prod");
    assert_eq!(value["access_key_id"], "…4321");
    assert_eq!(value["expired"], false);
    assert_eq!(value["shadowing"].as_array().unwrap().len(), 2);
}

#[test]
fn status_reads_keys_set_by_other_tools() {
    let out = fixture()
        .var("AWS_ACCESS_KEY_ID", "ASIAOTHERTOOL0007")
        .var("AWS_SESSION_TOKEN", "t")
        .var("AWS_CREDENTIAL_EXPIRATION", "2001-01-01T00:00:00Z")
        .run(["status"]);
    let text = stdout(&out);
    assert!(text.contains("not exported by awsenv"), "{text}");
    assert!(text.contains("2001-01-01T00:00:00Z (expired"), "{text}");
}

/// The child's view: each named variable as `NAME=value` (or `NAME unset`), one a line.
const SHOW_ENV: &str = r#"for n in "$@"; do eval "v=\${$n+set}"; if [ "$v" = set ]; then eval "printf '%s=%s\n' \"$n\" \"\$$n\""; else printf '%s unset\n' "$n"; fi; done"#;

fn child_env(f: &Fixture, profile: &str, names: &[&str]) -> String {
    let mut args = vec!["exec", profile, "--", "sh", "-c", SHOW_ENV, "sh"];
    args.extend(names);
    let out = f.run(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    stdout(&out)
}

#[test]
fn exec_gives_the_child_the_keys_and_replaces_stale_ones() {
    let f = fixture()
        .var("AWS_SESSION_TOKEN", "stale-token")
        .var("AWS_SECURITY_TOKEN", "stale-token")
        .var("AWSENV_PROFILE", "other")
        .var("AWSENV_EXPIRES_AT", "1")
        .var("AWS_CREDENTIAL_EXPIRATION", "1970-01-01T00:00:01Z")
        .var("AWS_PROFILE", "other")
        .var("AWS_REGION", "us-east-1")
        .var("AWSENV_REGION", "us-east-1")
        .var("AWSENV_PROMPT", "other 1m")
        .var("UNRELATED", "kept");
    let env = child_env(
        &f,
        "dev",
        &[
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_SECURITY_TOKEN",
            "AWSENV_PROFILE",
            "AWSENV_EXPIRES_AT",
            "AWS_CREDENTIAL_EXPIRATION",
            "AWS_PROFILE",
            "AWS_REGION",
            "AWS_DEFAULT_REGION",
            "AWSENV_PROMPT",
            "UNRELATED",
        ],
    );
    assert_eq!(
        env,
        "AWS_ACCESS_KEY_ID=AKIADEVEXAMPLE0001\n\
         AWS_SECRET_ACCESS_KEY=devsecret/+=\n\
         AWS_SESSION_TOKEN unset\n\
         AWS_SECURITY_TOKEN unset\n\
         AWSENV_PROFILE=dev\n\
         AWSENV_EXPIRES_AT unset\n\
         AWS_CREDENTIAL_EXPIRATION unset\n\
         AWS_PROFILE unset\n\
         AWS_REGION=eu-west-1\n\
         AWS_DEFAULT_REGION=eu-west-1\n\
         AWSENV_PROMPT unset\n\
         UNRELATED=kept\n"
    );
}

#[test]
fn exec_keeps_a_region_the_user_set() {
    let f = Fixture::new()
        .with_credentials(CREDENTIALS)
        .var("AWS_REGION", "ap-south-1");
    let env = child_env(&f, "dev", &["AWS_REGION", "AWSENV_PROFILE"]);
    assert_eq!(env, "AWS_REGION=ap-south-1\nAWSENV_PROFILE=dev\n");
}

#[test]
fn exec_puts_no_secret_in_any_argv() {
    // The child prints its own argv and its parent's (awsenv's), then the secret it holds.
    let script = r#"tr '\0' ' ' < /proc/$PPID/cmdline; echo; tr '\0' ' ' < /proc/$$/cmdline; echo; ps -o args= -p $PPID -p $$; printf 'secret=%s\n' "$AWS_SECRET_ACCESS_KEY""#;
    let out = fixture().run(["exec", "dev", "--", "sh", "-c", script]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let (argvs, secret) = text.rsplit_once("secret=").unwrap();
    assert_eq!(secret, "devsecret/+=\n");
    assert!(argvs.contains("exec dev -- sh -c"), "{argvs}");
    assert!(!argvs.contains("devsecret"), "{argvs}");
    assert!(!argvs.contains("AKIADEVEXAMPLE0001"), "{argvs}");
}

#[test]
fn exec_passes_exit_codes_and_signal_deaths_through() {
    let f = fixture();
    let code = |script: &str| {
        f.run(["exec", "dev", "--", "sh", "-c", script])
            .status
            .code()
    };
    assert_eq!(code("exit 7"), Some(7));
    assert_eq!(code("exit 0"), Some(0));
    assert_eq!(code("kill -TERM $$"), Some(143));
    assert_eq!(code("kill -KILL $$"), Some(137));
}

#[test]
fn exec_inherits_stdin() {
    let f = fixture();
    let mut cmd = f.cmd(["exec", "dev", "--", "cat"]);
    cmd.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"through\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(stdout(&out), "through\n");
}

#[test]
fn exec_of_a_missing_or_unrunnable_command_exits_127_or_126() {
    let f = fixture();
    let out = f.run(["exec", "dev", "--", "no-such-command-here", "arg one"]);
    assert_eq!(out.status.code(), Some(127));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("`no-such-command-here 'arg one'`"), "{err}");
    let script = f.write("script.sh", "#!/bin/sh\necho hi\n");
    let out = f.run(["exec", "dev", "--", script.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(126), "{}", stderr(&out));
}

#[test]
fn exec_of_an_unknown_profile_exits_2_and_runs_nothing() {
    let f = fixture();
    let out = f.run(["exec", "nosuch", "--", "sh", "-c", "echo ran"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stdout(&out), "");
}

fn completion_script(f: &Fixture, shell: &str) -> std::path::PathBuf {
    let out = f.run(["completions", shell]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    f.write(&format!("completions.{shell}"), &stdout(&out))
}

#[test]
fn completion_scripts_pass_each_shells_syntax_check() {
    let f = fixture();
    for (shell, check) in [
        ("bash", vec!["bash", "-n"]),
        ("zsh", vec!["zsh", "-n"]),
        ("fish", vec!["fish", "--no-execute"]),
    ] {
        let path = completion_script(&f, shell);
        let out = std::process::Command::new(check[0])
            .args(&check[1..])
            .arg(&path)
            .output()
            .unwrap_or_else(|e| panic!("{}: {e}", check[0]));
        assert!(out.status.success(), "{shell}: {}", stderr(&out));
    }
}

#[test]
fn powershell_completion_script_parses() {
    let f = fixture();
    let text = std::fs::read_to_string(completion_script(&f, "powershell")).unwrap();
    assert!(text.contains("Register-ArgumentCompleter"), "{text}");
    let mut parser = tree_sitter::Parser::new();
    parser
        .set_language(&tree_sitter_powershell::LANGUAGE.into())
        .unwrap();
    let tree = parser.parse(&text, None).unwrap();
    assert!(!tree.root_node().has_error(), "{text}");
}

/// Packaged completion files are generated on the build machine: they must find awsenv on
/// the user's PATH, not where the generating binary happened to be.
#[test]
fn completion_scripts_call_awsenv_through_path() {
    let f = fixture();
    let bin = common::bin();
    let dir = bin.parent().unwrap().to_string_lossy().into_owned();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let text = std::fs::read_to_string(completion_script(&f, shell)).unwrap();
        assert!(text.contains("awsenv"), "{shell}: {text}");
        assert!(
            !text.contains(&dir),
            "{shell} names the build folder: {text}"
        );
    }
}

#[test]
fn completions_for_sh_is_a_usage_error() {
    let out = fixture().run(["completions", "sh"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stdout(&out), "");
}

#[test]
fn dynamic_protocol_offers_profile_names_from_the_config() {
    // What bash's registered function runs for `awsenv assume pr<TAB>`.
    let out = fixture()
        .var("COMPLETE", "bash")
        .var("_CLAP_COMPLETE_INDEX", "2")
        .var("_CLAP_COMPLETE_COMP_TYPE", "9")
        .var("_CLAP_COMPLETE_SPACE", "true")
        .var("_CLAP_IFS", "\n")
        .run(["--", "awsenv", "assume", "pr"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let offered: Vec<String> = stdout(&out).lines().map(str::to_owned).collect();
    assert_eq!(offered, ["proc", "prod"]);
}

#[test]
fn completion_covers_console_and_its_flags() {
    let complete = |index: &str, words: &[&str]| {
        let mut args = vec!["--", "awsenv"];
        args.extend_from_slice(words);
        let out = fixture()
            .var("COMPLETE", "bash")
            .var("_CLAP_COMPLETE_INDEX", index)
            .var("_CLAP_COMPLETE_COMP_TYPE", "9")
            .var("_CLAP_COMPLETE_SPACE", "true")
            .var("_CLAP_IFS", "\n")
            .run(args);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        stdout(&out).lines().map(str::to_owned).collect::<Vec<_>>()
    };
    assert_eq!(complete("1", &["cons"]), ["console"]);
    assert_eq!(complete("2", &["console", "pr"]), ["proc", "prod"]);
    assert_eq!(complete("2", &["exec", "pr"]), ["proc", "prod"]);
    assert!(complete("3", &["console", "prod", "--pr"]).contains(&"--print".to_owned()));
    assert!(complete("3", &["console", "prod", "--se"]).contains(&"--service".to_owned()));
}

#[test]
fn bash_tab_after_assume_offers_profile_names() {
    let f = fixture();
    let script = r#"
        eval "$(awsenv completions bash)"
        COMP_WORDS=(awsenv assume "")
        COMP_CWORD=2
        COMP_LINE="awsenv assume "
        COMP_POINT=${#COMP_LINE}
        COMP_TYPE=9
        _clap_complete_awsenv awsenv "" assume
        printf '%s\n' "${COMPREPLY[@]}"
        COMP_WORDS=(awsenv exec d)
        _clap_complete_awsenv awsenv d exec
        printf 'exec:%s\n' "${COMPREPLY[@]}"
    "#;
    let out = f.shell("bash", script);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for name in ["dev", "prod", "sso", "web"] {
        assert!(
            text.lines().any(|l| l == name),
            "{name} not offered:\n{text}"
        );
    }
    assert!(text.lines().any(|l| l == "exec:dev"), "{text}");
}

#[test]
fn fish_tab_after_assume_offers_profile_names() {
    let f = fixture();
    let script = "awsenv completions fish | source; complete --do-complete 'awsenv assume p'";
    let out = f.shell("fish", script);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.lines().any(|l| l.starts_with("prod")), "{text}");
}

/// A config whose `viaproc` profile gets its keys from `awsenv credential-process src`, run
/// with a cleared environment pointing at this fixture's files.
fn via_process() -> Fixture {
    let f = Fixture::new().with_credentials(
        "[src]\naws_access_key_id = AKIASRCEXAMPLE0042\naws_secret_access_key = srcsecret\n",
    );
    let command = format!(
        "env -i HOME={home} AWS_CONFIG_FILE={home}/.aws/config AWS_SHARED_CREDENTIALS_FILE={home}/.aws/credentials {bin} credential-process src",
        home = f.home.path().display(),
        bin = common::bin().display()
    );
    f.write(
        ".aws/config",
        &format!("[profile viaproc]\ncredential_process = {command}\nregion = us-east-1\n"),
    );
    f
}

#[test]
fn credential_process_prints_version_1_json_for_long_term_keys() {
    let out = via_process().run(["credential-process", "src"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let value: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        value,
        serde_json::json!({
            "Version": 1,
            "AccessKeyId": "AKIASRCEXAMPLE0042",
            "SecretAccessKey": "srcsecret",
        })
    );
    let static_token = Fixture::new()
        .with_credentials(
            "[t]\naws_access_key_id = A\naws_secret_access_key = S\naws_session_token = T\n",
        )
        .run(["credential-process", "t"]);
    let value: serde_json::Value = serde_json::from_str(&stdout(&static_token)).unwrap();
    assert_eq!(value["SessionToken"], "T");
}

#[test]
fn credential_process_failure_is_one_line_and_no_stdout() {
    let out = via_process().run(["credential-process", "nosuch"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stdout(&out), "");
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
}

#[test]
fn list_reports_a_credential_process_profile() {
    let out = via_process().run(["list", "--json"]);
    let rows: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["profile"] == "viaproc")
        .unwrap()
        .clone();
    assert_eq!(row["kind"], "process");
    assert!(
        row["source"]
            .as_str()
            .unwrap()
            .ends_with("credential-process src")
    );
}

#[test]
// `ProfileFiles` is aws-config's alias of a type in aws-runtime, which is no dependency of ours.
#[allow(deprecated)]
fn aws_config_uses_awsenv_as_a_credential_process_against_local_sts() {
    use aws_config::profile::ProfileFileCredentialsProvider;
    use aws_config::profile::profile_file::{ProfileFileKind, ProfileFiles};
    use aws_sdk_sts::config::ProvideCredentials;

    let f = via_process();
    let endpoint = shared();
    let files = ProfileFiles::builder()
        .with_file(ProfileFileKind::Config, f.path(".aws/config"))
        .with_file(ProfileFileKind::Credentials, f.path(".aws/credentials"))
        .build();
    let provider = ProfileFileCredentialsProvider::builder()
        .profile_files(files)
        .profile_name("viaproc")
        .build();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let creds = provider
            .provide_credentials()
            .await
            .expect("credential_process");
        assert_eq!(creds.access_key_id(), "AKIASRCEXAMPLE0042");
        assert_eq!(creds.secret_access_key(), "srcsecret");
        let config = aws_sdk_sts::Config::builder()
            .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
            .region(aws_sdk_sts::config::Region::new("us-east-1"))
            .endpoint_url(endpoint)
            .credentials_provider(provider)
            .build();
        let who = aws_sdk_sts::Client::from_conf(config)
            .get_caller_identity()
            .send()
            .await
            .expect("GetCallerIdentity against moto");
        assert!(who.account().is_some_and(|a| !a.is_empty()), "{who:?}");
    });
}

/// `via_process()` plus `onproc`, a role whose source is the `credential_process` profile.
fn role_via_process(endpoint: &str) -> Fixture {
    let f = via_process()
        .var("AWS_ENDPOINT_URL_STS", endpoint)
        .var("AWSENV_STS_TIMEOUT", "10");
    let config = std::fs::read_to_string(f.path(".aws/config")).unwrap();
    f.write(
        ".aws/config",
        &format!(
            "{config}[profile onproc]\nrole_arn = arn:aws:iam::123456789012:role/onproc\nsource_profile = viaproc\n[profile r]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = src\n"
        ),
    );
    f
}

#[test]
fn assume_of_a_role_on_awsenv_as_credential_process_against_moto() {
    let f = role_via_process(&shared());
    let out = f.run(["assume", "onproc", "--shell", "bash"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stderr(&out).contains("srcsecret"), "{}", stderr(&out));
    let text = stdout(&out);
    let value = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("export {name}=")))
            .map(|v| v.trim_matches('\'').to_owned())
            .unwrap_or_else(|| panic!("no {name} in {text}"))
    };
    assert!(value("AWS_ACCESS_KEY_ID").starts_with("ASIA"), "{text}");
    assert_ne!(value("AWS_ACCESS_KEY_ID"), "AKIASRCEXAMPLE0042");
    assert!(!value("AWS_SESSION_TOKEN").is_empty());
    assert!(!value("AWS_CREDENTIAL_EXPIRATION").is_empty());
    assert_eq!(value("AWSENV_PROFILE"), "onproc");
}

#[test]
fn credential_process_of_a_role_is_served_from_the_cache() {
    let stub = Stub::start(Behaviour::Ok);
    let f = role_via_process(&stub.endpoint());
    let first = f.run(["credential-process", "r"]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    assert_eq!(stub.count("AssumeRole"), 1);
    let second = f.run(["credential-process", "r"]);
    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));
    assert_eq!(
        stub.count("AssumeRole"),
        1,
        "the second call asked STS again"
    );
    assert_eq!(stdout(&first), stdout(&second));
    let value: serde_json::Value = serde_json::from_str(&stdout(&second)).unwrap();
    assert_eq!(value["Version"], 1);
    assert!(
        value["AccessKeyId"]
            .as_str()
            .unwrap()
            .starts_with("ASIASTUB")
    );
    assert!(
        value["SecretAccessKey"]
            .as_str()
            .unwrap()
            .starts_with(SECRET_MARK)
    );
    assert!(
        value["SessionToken"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
    assert!(
        value["Expiration"]
            .as_str()
            .is_some_and(|e| e.ends_with('Z'))
    );
    for out in [&first, &second] {
        assert!(!stderr(out).contains(SECRET_MARK), "{}", stderr(out));
    }
}

/// `credential_process = awsenv credential-process loop` in profile `loop` itself: one
/// clear error, and no process left behind.
#[test]
fn credential_process_that_calls_itself_fails_at_once() {
    let bin = common::bin();
    let f = Fixture::new().with_config(&format!(
        "[profile loop]\ncredential_process = {} credential-process loop\n\
         [profile a]\ncredential_process = {0} credential-process b\n\
         [profile b]\ncredential_process = {0} credential-process a\n",
        bin.display()
    ));
    for (profile, said) in [("loop", "awsenv keys add loop"), ("a", "loops back")] {
        let started = std::time::Instant::now();
        let out = f.run(["credential-process", profile]);
        assert_ne!(out.status.code(), Some(0), "{profile}");
        assert_eq!(stdout(&out), "");
        // Its own `credential-process` for itself is read from the keyring, never run.
        assert!(stderr(&out).contains(said), "{}", stderr(&out));
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
        let out = f.run(["assume", profile, "--shell", "sh"]);
        assert_eq!(stdout(&out), "false\n");
    }
}

#[test]
fn assume_dash_goes_back_to_the_profile_before() {
    let f = fixture().with_credentials(
        "[dev]\naws_access_key_id = AKIADEV\naws_secret_access_key = s\n[ops]\naws_access_key_id = AKIAOPS\naws_secret_access_key = s\n",
    );
    let out = f.run(["assume", "-", "--shell", "bash"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stdout(&out), "false\n");
    assert!(stderr(&out).contains("none yet"), "{}", stderr(&out));
    for name in ["dev", "ops"] {
        assert!(f.run(["assume", name, "--shell", "bash"]).status.success());
    }
    let back = f
        .cmd(["assume", "-", "--shell", "bash"])
        .env("AWSENV_PROFILE", "ops")
        .output()
        .unwrap();
    assert_eq!(back.status.code(), Some(0), "{}", stderr(&back));
    assert!(stdout(&back).contains("export AWSENV_PROFILE='dev'"));
    // exec records the profile too.
    assert!(f.run(["exec", "ops", "--", "true"]).status.success());
    let recent = std::fs::read_to_string(f.path("cache/recent-profiles")).unwrap();
    assert_eq!(recent, r#"{"recent":["ops","dev"]}"#);
}

#[test]
fn no_profile_and_no_terminal_is_the_usage_error() {
    let f = fixture();
    for args in [
        vec!["assume", "--shell", "bash"],
        vec!["exec", "--", "true"],
        vec!["console", "--print"],
    ] {
        let out = f.run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains("no profile given"), "{args:?}");
    }
}
