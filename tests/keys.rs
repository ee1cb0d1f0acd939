//! `awsenv keys` against real parts: a private GNOME Keyring on a private session bus
//! (`secret-tool` as the second client), the age file backend, moto_server as STS and IAM,
//! and the AWS CLI from `.venv` as the profile's user after `import`.
#![cfg(unix)] // the Windows Credential Manager runs in tests/windows.rs

mod common;

use std::collections::HashMap;
use std::process::{Command, Output};

use common::keyring::SecretService;
use common::moto::{aws_admin, iam_user, key_ids, shared};
use common::{Fixture, stderr, stdout};

/// A fixture on moto (STS and IAM) and the given Secret Service.
fn fixture(moto: &str, ss: &SecretService) -> Fixture {
    let mut f = Fixture::new()
        .var("AWS_ENDPOINT_URL_STS", moto)
        .var("AWS_ENDPOINT_URL_IAM", moto)
        .var("AWSENV_STS_TIMEOUT", "10");
    for (k, v) in ss.client_env() {
        f.set(&k, v);
    }
    let data = f.path("data").display().to_string();
    f.set("XDG_DATA_HOME", data);
    f
}

fn ok(out: &Output, what: &str) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{what}: {}{}",
        stdout(out),
        stderr(out)
    );
}

fn exports(text: &str) -> HashMap<String, String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("export "))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.trim_matches('\'').to_owned()))
        .collect()
}

/// `keys add PROFILE --from-env` with the given pair.
fn add(f: &Fixture, profile: &str, id: &str, secret: &str, verify: bool) -> Output {
    let mut args = vec!["keys", "add", profile, "--from-env"];
    if !verify {
        args.push("--no-verify");
    }
    f.cmd(args)
        .env("AWS_ACCESS_KEY_ID", id)
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .output()
        .unwrap()
}

// ---------------------------------------------------------------------------------------
// The Secret Service

#[test]
fn add_stores_in_the_secret_service_and_assume_exports_a_session() {
    let moto = shared();
    let ss = SecretService::start();
    let (_, id, secret) = iam_user(&moto, "assume");
    let f = fixture(&moto, &ss);
    ok(&add(&f, "prod", &id, &secret, true), "add");

    let found = ss.secret_tool(&["search", "--all", "service", "awsenv"]);
    let text = format!("{}{}", stdout(&found), stderr(&found));
    assert!(text.contains("attribute.profile = prod"), "{text}");
    assert!(text.contains(&id), "secret-tool sees the entry: {text}");
    let config = std::fs::read_to_string(f.path(".aws/config")).unwrap();
    assert!(config.contains("[profile prod]"), "{config}");

    let list = f.run(["list"]);
    assert!(
        stdout(&list)
            .lines()
            .any(|l| l.starts_with("prod") && l.contains("keyring")),
        "{}",
        stdout(&list)
    );
    let out = f.run(["assume", "prod", "--shell", "bash"]);
    ok(&out, "assume");
    let vars = exports(&stdout(&out));
    assert_ne!(vars["AWS_ACCESS_KEY_ID"], id);
    assert!(
        !stdout(&out).contains(&secret),
        "the long-term secret was exported"
    );
    assert!(!vars["AWS_SESSION_TOKEN"].is_empty());
    assert!(!stderr(&out).contains(&secret));

    // A cache hit touches no keyring: it works with the Secret Service gone.
    drop(ss);
    let again = f.run(["assume", "prod", "--shell", "bash"]);
    ok(&again, "cache hit without the keyring");
    assert_eq!(
        exports(&stdout(&again))["AWS_ACCESS_KEY_ID"],
        vars["AWS_ACCESS_KEY_ID"]
    );
    // A miss needs it, and says what is missing.
    let miss = f.run(["assume", "prod", "--shell", "bash", "--refresh"]);
    assert_eq!(miss.status.code(), Some(1), "{}", stderr(&miss));
    let err = stderr(&miss);
    assert!(
        err.contains("Secret Service") && err.contains("AWSENV_KEYRING=file"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[test]
fn no_session_hands_out_the_key_and_roles_sign_with_it() {
    let moto = shared();
    let ss = SecretService::start();
    let (_, id, secret) = iam_user(&moto, "nosession");
    let f = fixture(&moto, &ss).with_config(
        "[profile admin]\nrole_arn = arn:aws:iam::123456789012:role/admin\nsource_profile = base\n",
    );
    ok(&add(&f, "base", &id, &secret, false), "add");
    let out = f.run(["assume", "base", "--shell", "bash", "--no-session"]);
    ok(&out, "assume --no-session");
    assert_eq!(exports(&stdout(&out))["AWS_ACCESS_KEY_ID"], id);
    let role = f.run(["assume", "admin", "--shell", "bash"]);
    ok(&role, "assume role");
    let vars = exports(&stdout(&role));
    assert!(vars["AWS_ACCESS_KEY_ID"].starts_with("ASIA"), "{vars:?}");
    assert!(!stdout(&role).contains(&secret));
    let cp = f.run(["credential-process", "base"]);
    ok(&cp, "credential-process");
    let json: serde_json::Value = serde_json::from_str(&stdout(&cp)).unwrap();
    assert!(json["SessionToken"].as_str().is_some_and(|t| !t.is_empty()));
    assert_ne!(json["AccessKeyId"], id.as_str());
}

const CONFIG: &str = "# my config\r\n[default]\r\nregion = eu-west-1\r\n\r\n[profile prod]\r\n# mine\r\nregion = us-west-2\r\noutput = json\r\n\r\n[profile other]\r\nregion = ap-south-1\r\n";

fn credentials(id: &str, secret: &str) -> String {
    format!(
        "# keep this comment\r\n[other]\r\naws_access_key_id = AKIAOTHEREXAMPLE0001\r\naws_secret_access_key = othersecret\r\n\r\n[prod]\r\n# prod's key\r\naws_access_key_id = {id}\r\naws_secret_access_key = {secret}\r\n\r\n[lonely]\r\naws_access_key_id = AKIALONELYEXAMPLE001\r\naws_secret_access_key = lonelysecret\r\n"
    )
}

#[test]
fn import_moves_keys_keeping_every_other_byte_and_the_aws_cli_still_works() {
    let moto = shared();
    let ss = SecretService::start();
    let (_, id, secret) = iam_user(&moto, "import");
    let f = fixture(&moto, &ss)
        .with_config(CONFIG)
        .with_credentials(&credentials(&id, &secret));
    std::fs::set_permissions(
        f.path(".aws/credentials"),
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();

    let dry = f.run(["keys", "import", "prod", "lonely", "--dry-run"]);
    ok(&dry, "dry run");
    assert!(stdout(&dry).contains("credential_process = awsenv credential-process prod"));
    assert!(!stdout(&dry).contains(&secret) && !stdout(&dry).contains(&id));
    assert_eq!(
        std::fs::read_to_string(f.path(".aws/credentials")).unwrap(),
        credentials(&id, &secret)
    );

    let out = f.run(["keys", "import", "prod", "lonely"]);
    ok(&out, "import");
    let creds = std::fs::read_to_string(f.path(".aws/credentials")).unwrap();
    assert_eq!(
        creds,
        "# keep this comment\r\n[other]\r\naws_access_key_id = AKIAOTHEREXAMPLE0001\r\naws_secret_access_key = othersecret\r\n\r\n[prod]\r\n# prod's key\r\n\r\n"
    );
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(f.path(".aws/credentials"))
            .unwrap()
            .permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    let config = std::fs::read_to_string(f.path(".aws/config")).unwrap();
    assert_eq!(
        config,
        "# my config\r\n[default]\r\nregion = eu-west-1\r\n\r\n[profile prod]\r\n# mine\r\nregion = us-west-2\r\noutput = json\r\ncredential_process = awsenv credential-process prod\r\n\r\n[profile other]\r\nregion = ap-south-1\r\n\r\n[profile lonely]\r\ncredential_process = awsenv credential-process lonely\r\n"
    );
    let found = ss.secret_tool(&["search", "--all", "service", "awsenv"]);
    let text = stdout(&found) + &stderr(&found);
    assert!(
        text.contains("attribute.profile = prod") && text.contains("attribute.profile = lonely"),
        "{text}"
    );

    // The AWS CLI, with awsenv on PATH, acts as prod through credential_process.
    let bin_dir = common::bin().parent().unwrap().to_path_buf();
    let path = format!("{}:{}", bin_dir.display(), f.vars["PATH"]);
    let who = Command::new(common::aws_cli())
        .args([
            "sts",
            "get-caller-identity",
            "--profile",
            "prod",
            "--output",
            "json",
        ])
        .env_clear()
        .envs(&f.vars)
        .env("PATH", path)
        .env("AWS_ENDPOINT_URL", &moto)
        .output()
        .unwrap();
    ok(&who, "aws sts get-caller-identity");
    let identity: serde_json::Value = serde_json::from_str(&stdout(&who)).unwrap();
    assert_eq!(
        identity["Account"].as_str().unwrap().len(),
        12,
        "{identity}"
    );
    // It went through awsenv: the session is in awsenv's cache.
    let cached = std::fs::read_dir(f.path("cache"))
        .unwrap()
        .filter_map(|e| e.ok())
        .any(|e| e.file_name().to_string_lossy().starts_with("prod.session."));
    assert!(cached, "no session of prod in awsenv's cache");
    // And list sees it as kind keyring, resolved without awsenv inside awsenv.
    let list = f.run(["list", "--json"]);
    let rows: Vec<serde_json::Value> = serde_json::from_str(&stdout(&list)).unwrap();
    let prod = rows.iter().find(|r| r["profile"] == "prod").unwrap();
    assert_eq!(prod["kind"], "keyring");

    // keys list masks; remove takes the entry, the sessions and the line.
    let listed = f.run(["keys", "list"]);
    ok(&listed, "keys list");
    assert!(
        stdout(&listed).contains(&format!("…{}", &id[id.len() - 4..])),
        "{}",
        stdout(&listed)
    );
    assert!(!stdout(&listed).contains(&id) && !stdout(&listed).contains(&secret));
    let removed = f.run(["keys", "remove", "prod", "--yes"]);
    ok(&removed, "remove");
    let config = std::fs::read_to_string(f.path(".aws/config")).unwrap();
    assert!(!config.contains("credential-process prod"), "{config}");
    assert!(config.contains("[profile prod]\r\n# mine\r\nregion = us-west-2\r\noutput = json\r\n"));
    let found = ss.secret_tool(&["search", "--all", "service", "awsenv", "profile", "prod"]);
    assert!(!stdout(&found).contains("attribute.profile = prod"));
}

#[test]
fn no_secret_service_and_no_bus_are_clear_errors() {
    let moto = shared();
    let bus = SecretService::bus_only();
    let f = fixture(&moto, &bus);
    let out = add(&f, "p", "AKIAEXAMPLEEXAMPLE01", "secretsecret", false);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("Secret Service") && err.contains("AWSENV_KEYRING=file"),
        "{err}"
    );
    assert!(err.contains("session bus"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");

    let mut f = f;
    f.vars.remove("DBUS_SESSION_BUS_ADDRESS");
    let run = f.path("run").display().to_string();
    f.set("XDG_RUNTIME_DIR", run);
    let out = add(&f, "p", "AKIAEXAMPLEEXAMPLE01", "secretsecret", false);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("D-Bus") && err.contains("AWSENV_KEYRING=file"),
        "{err}"
    );
    assert!(
        !f.path(".aws/config").exists()
            || !std::fs::read_to_string(f.path(".aws/config"))
                .unwrap()
                .contains("[profile p]")
    );
}

#[test]
fn a_locked_collection_is_a_clear_error_and_nothing_changes() {
    let moto = shared();
    let ss = SecretService::start();
    let f = fixture(&moto, &ss);
    ok(
        &add(&f, "prod", "AKIAEXAMPLEEXAMPLE02", "secretsecret", false),
        "add",
    );
    let config = std::fs::read_to_string(f.path(".aws/config")).unwrap();
    ss.lock();

    // No unlock prompt is started behind the user's back: the error says what to do.
    let assume = f.run(["assume", "prod", "--shell", "bash"]);
    assert_eq!(assume.status.code(), Some(1), "{}", stderr(&assume));
    assert!(!stdout(&assume).contains("export "), "{}", stdout(&assume));
    let err = stderr(&assume);
    assert!(
        err.contains("locked") && err.contains("AWSENV_KEYRING=file"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(!err.contains("secretsecret"), "{err}");

    let again = add(&f, "other", "AKIAEXAMPLEEXAMPLE03", "secretsecret", false);
    assert_eq!(again.status.code(), Some(1), "{}", stderr(&again));
    assert!(stderr(&again).contains("locked"), "{}", stderr(&again));
    assert_eq!(
        std::fs::read_to_string(f.path(".aws/config")).unwrap(),
        config,
        "a failed add leaves the config file alone"
    );
}

// ---------------------------------------------------------------------------------------
// Rotation

fn keyring_key(ss: &SecretService) -> String {
    let found = ss.secret_tool(&["search", "--all", "service", "awsenv"]);
    let text = stdout(&found);
    let secret_line = text
        .lines()
        .find_map(|l| l.strip_prefix("secret = "))
        .unwrap_or_else(|| panic!("no entry: {text}{}", stderr(&found)));
    let value: serde_json::Value = serde_json::from_str(secret_line).unwrap();
    assert!(value.get("pending").is_none(), "{value}");
    value["access_key_id"].as_str().unwrap().to_owned()
}

#[test]
fn rotate_leaves_one_key_the_new_one_and_it_works() {
    let moto = shared();
    let ss = SecretService::start();
    let (user, id, secret) = iam_user(&moto, "rotate");
    let f = fixture(&moto, &ss);
    ok(&add(&f, "dev", &id, &secret, true), "add");
    let before = f.run(["assume", "dev", "--shell", "bash"]);
    ok(&before, "assume");
    let out = f.run(["keys", "rotate", "dev"]);
    ok(&out, "rotate");
    let keys = key_ids(&moto, &user);
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert_ne!(keys[0], id);
    assert_eq!(keyring_key(&ss), keys[0]);
    // The old key's session was purged from the cache.
    let sessions = |f: &Fixture| {
        std::fs::read_dir(f.path("cache"))
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.starts_with("dev.session.") && n.ends_with(".json"))
                    .count()
            })
            .unwrap_or(0)
    };
    assert_eq!(sessions(&f), 0);
    let after = f.run(["assume", "dev", "--shell", "bash"]);
    ok(&after, "assume after rotate");
    assert_eq!(sessions(&f), 1);
    assert!(!stdout(&out).contains(&secret) && !stderr(&out).contains(&secret));
}

#[test]
fn a_rotation_killed_at_each_step_leaves_a_working_key_and_the_next_run_finishes_it() {
    let moto = shared();
    for step in [
        "list", "intent", "create", "pending", "verify", "current", "delete",
    ] {
        let ss = SecretService::start();
        let (user, id, secret) = iam_user(&moto, &format!("kill-{step}"));
        let f = fixture(&moto, &ss);
        ok(&add(&f, "dev", &id, &secret, true), "add");
        let killed = f
            .cmd(["keys", "rotate", "dev"])
            .env("AWSENV_TEST_ROTATE_STOP_AFTER", step)
            .output()
            .unwrap();
        assert_eq!(
            killed.status.code(),
            Some(137),
            "{step}: {}",
            stderr(&killed)
        );
        // The keyring holds a key that works, whatever the step.
        let used = f.run(["assume", "dev", "--shell", "bash", "--refresh"]);
        ok(&used, &format!("{step}: assume after the kill"));
        let finished = f.run(["keys", "rotate", "dev"]);
        ok(&finished, &format!("{step}: the next rotate"));
        let keys = key_ids(&moto, &user);
        assert_eq!(keys.len(), 1, "{step}: {keys:?}: {}", stderr(&finished));
        let current = {
            let found = ss.secret_tool(&["search", "--all", "service", "awsenv"]);
            let text = stdout(&found);
            let line = text
                .lines()
                .find_map(|l| l.strip_prefix("secret = "))
                .unwrap()
                .to_owned();
            let v: serde_json::Value = serde_json::from_str(&line).unwrap();
            assert!(
                v.get("pending").is_none()
                    && v.get("retired").is_none()
                    && v.get("creating").is_none(),
                "{step}: {v}"
            );
            v["access_key_id"].as_str().unwrap().to_owned()
        };
        assert_eq!(keys[0], current, "{step}");
        let works = f.run(["assume", "dev", "--shell", "bash", "--refresh"]);
        ok(&works, &format!("{step}: assume after the finish"));
    }
}

#[test]
fn two_keys_already_is_a_clean_refusal() {
    let moto = shared();
    let ss = SecretService::start();
    let (user, id, secret) = iam_user(&moto, "twokeys");
    let other = aws_admin(&moto, &["iam", "create-access-key", "--user-name", &user]);
    let other_id = other["AccessKey"]["AccessKeyId"]
        .as_str()
        .unwrap()
        .to_owned();
    let f = fixture(&moto, &ss);
    ok(&add(&f, "dev", &id, &secret, true), "add");
    let out = f.run(["keys", "rotate", "dev"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("…{}", &other_id[other_id.len() - 4..])),
        "{err}"
    );
    assert!(err.contains("aws iam delete-access-key"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert_eq!(key_ids(&moto, &user).len(), 2);
    assert_eq!(keyring_key(&ss), id);
}

// ---------------------------------------------------------------------------------------
// The file backend

#[test]
fn the_file_backend_with_a_right_and_a_wrong_passphrase() {
    let moto = shared();
    let (_, id, secret) = iam_user(&moto, "file");
    let mut f = Fixture::new()
        .var("AWS_ENDPOINT_URL_STS", &moto)
        .var("AWSENV_KEYRING", "file")
        .var("AWSENV_KEYRING_PASSPHRASE", "correct horse battery");
    let file = f.path("keys.age");
    f.set("AWSENV_KEYRING_FILE", file.display().to_string());
    ok(&add(&f, "prod", &id, &secret, true), "add");
    let bytes = std::fs::read(&file).unwrap();
    assert!(bytes.starts_with(b"age-encryption.org/v1"), "an age file");
    for plain in [id.as_bytes(), secret.as_bytes(), b"prod"] {
        assert!(
            !bytes.windows(plain.len()).any(|w| w == plain),
            "readable in the file"
        );
    }
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&file).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    let out = f.run(["assume", "prod", "--shell", "bash"]);
    ok(&out, "assume");
    let vars = exports(&stdout(&out));
    assert_ne!(vars["AWS_ACCESS_KEY_ID"], id);
    assert!(!vars["AWS_SESSION_TOKEN"].is_empty());

    f.set("AWSENV_KEYRING_PASSPHRASE", "wrong");
    let out = f.run(["assume", "prod", "--shell", "bash", "--refresh"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "false\n");
    assert!(
        stderr(&out).contains("wrong passphrase"),
        "{}",
        stderr(&out)
    );
    let out = add(&f, "dev", &id, &secret, false);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(std::fs::read(&file).unwrap(), bytes, "nothing changed");

    std::fs::write(&file, b"age-encryption.org/v1\ngarbage").unwrap();
    f.set("AWSENV_KEYRING_PASSPHRASE", "correct horse battery");
    let out = add(&f, "dev", &id, &secret, false);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(&file.display().to_string()),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read(&file).unwrap(),
        b"age-encryption.org/v1\ngarbage"
    );

    f.vars.remove("AWSENV_KEYRING_PASSPHRASE");
    let _ = std::fs::remove_file(&file);
    let out = add(&f, "dev", &id, &secret, false);
    assert_eq!(out.status.code(), Some(1), "no passphrase, no terminal");
    assert!(!file.exists());
}

// ---------------------------------------------------------------------------------------
// Secrets in no argv

#[test]
fn no_secret_reaches_any_argv() {
    let moto = shared();
    let ss = SecretService::start();
    let (_, id, secret) = iam_user(&moto, "strace");
    let (_, id2, secret2) = iam_user(&moto, "strace2");
    let f = fixture(&moto, &ss).with_credentials(&format!(
        "[imported]\naws_access_key_id = {id2}\naws_secret_access_key = {secret2}\n"
    ));
    let trace = f.path("trace");
    let strace = |args: &[&str]| {
        let mut cmd = Command::new("strace");
        cmd.args(["-f", "-s", "4096", "-e", "trace=execve", "-o"])
            .arg(&trace)
            .arg(common::bin())
            .args(args)
            .env_clear()
            .envs(&f.vars)
            .env("AWS_ACCESS_KEY_ID", &id)
            .env("AWS_SECRET_ACCESS_KEY", &secret)
            .current_dir(f.home.path());
        let out = cmd.output().expect("strace (.ci/run installs it)");
        let text = std::fs::read_to_string(&trace).unwrap();
        (out, text)
    };
    for args in [
        &["keys", "add", "added", "--from-env"][..],
        &["keys", "import", "imported"][..],
        &["keys", "rotate", "added"][..],
    ] {
        let (out, text) = strace(args);
        ok(&out, &format!("{args:?}"));
        // Without -v strace shows each execve's argv, not its environment.
        assert!(text.contains("execve("), "{text}");
        for s in [&secret, &secret2] {
            assert!(
                !text.contains(s.as_str()),
                "{args:?}: a secret in an argv: {text}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// Doctor

#[test]
fn doctor_warns_about_plaintext_and_old_keys_and_checks_the_backend() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let f = Fixture::new()
        .var("AWSENV_KEYRING", "file")
        .with_config("[profile old]\n[profile plain]\nregion = eu-west-1\n")
        .with_credentials(
            "[plain]\naws_access_key_id = AKIAPLAINEXAMPLE0001\naws_secret_access_key = plainsecret\n",
        );
    let data = f.path("data");
    f.write(
        "data/awsenv/keys.json",
        &format!(
            "{{\"old\": {{\"backend\": \"file\", \"key\": \"…OLD1\", \"stored_at\": {}}}}}",
            now - 100 * 86_400
        ),
    );
    let f = f.var("XDG_DATA_HOME", data.display().to_string());
    let out = f.run(["doctor"]);
    let text = stdout(&out);
    let line_of = |needle: &str| {
        let lines: Vec<&str> = text.lines().collect();
        let i = lines
            .iter()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no {needle}: {text}"));
        (
            lines[i].to_owned(),
            lines.get(i + 1).copied().unwrap_or("").to_owned(),
        )
    };
    let (l, fix) = line_of("plaintext keys");
    assert!(l.starts_with("warn") && l.contains("`plain`"), "{l}");
    assert!(fix.contains("awsenv keys import plain"), "{fix}");
    assert!(!text.contains("plainsecret"));
    let (l, fix) = line_of("key age");
    assert!(l.starts_with("warn") && l.contains("100 days"), "{l}");
    assert!(fix.contains("awsenv keys rotate old"), "{fix}");
    let list = f.run(["list"]);
    assert!(
        stdout(&list)
            .lines()
            .any(|l| l.starts_with("old") && l.contains("keyring"))
    );

    // With the passphrase there, the backend is asked: a file that does not decrypt fails.
    f.write("keys.age", "not an age file");
    let file = f.path("keys.age").display().to_string();
    let f = f
        .var("AWSENV_KEYRING_PASSPHRASE", "p")
        .var("AWSENV_KEYRING_FILE", file);
    let out = f.run(["doctor", "old"]);
    let text = stdout(&out);
    assert!(
        text.lines()
            .any(|l| l.starts_with("fail") && l.contains("keyring") && l.contains("keys.age")),
        "{text}"
    );
}
