//! The config and credentials files, read with aws-config's own parser, and the profile
//! chain each profile resolves to.
//!
//! Pure configuration: nothing here talks to STS or reads the cache. `Chain` says where a
//! profile's credentials come from; `resolve` and `sts` act on it.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::task::{Poll, Waker};

pub use aws_config::profile::Profile;
use aws_config::profile::ProfileSet;
use aws_types::os_shim_internal::{Env, Fs};

use crate::env::Context;
use crate::error::{Error, Result};

/// What a profile is, as `list` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Static,
    Role,
    Sso,
    /// `login_session`: the console credentials `aws login` caches.
    Login,
    Process,
    WebIdentity,
    /// Long-term keys in the keyring (`awsenv keys`).
    Keyring,
    /// A profile that holds settings but no credentials.
    None,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Static => "static",
            Kind::Role => "role",
            Kind::Sso => "sso",
            Kind::Login => "login",
            Kind::Process => "process",
            Kind::WebIdentity => "web-identity",
            Kind::Keyring => "keyring",
            Kind::None => "none",
        }
    }
}

/// Long-term or static keys straight from the files.
#[derive(Clone, PartialEq, Eq)]
pub struct StaticKeys {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl std::fmt::Debug for StaticKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaticKeys")
            .field(
                "access_key_id",
                &crate::env::mask_key_id(&self.access_key_id),
            )
            .finish_non_exhaustive()
    }
}

impl StaticKeys {
    /// The keys as credentials: long-term, or with a static session token of unknown expiry.
    pub fn credentials(&self) -> crate::env::Credentials {
        crate::env::Credentials {
            access_key_id: self.access_key_id.clone(),
            secret_access_key: self.secret_access_key.clone(),
            session_token: self.session_token.clone(),
            expires_at: None,
        }
    }
}

/// Where the first credentials of a chain come from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(clippy::enum_variant_names)] // `CredentialSource` is named after the setting it models
pub enum Source {
    /// `aws_access_key_id` and friends in the profile `profile`.
    Static { profile: String, keys: StaticKeys },
    /// `credential_source = Environment | Ec2InstanceMetadata | EcsContainer`.
    CredentialSource { profile: String, source: String },
    /// SSO, `login_session`, `credential_process` or `web_identity_token_file`: aws-config's
    /// provider for it.
    Provider { profile: String, kind: Kind },
    /// Long-term keys in the keyring, read only when a session must be made.
    Keyring { profile: String },
}

impl Source {
    pub fn profile(&self) -> &str {
        match self {
            Source::Static { profile, .. }
            | Source::CredentialSource { profile, .. }
            | Source::Provider { profile, .. }
            | Source::Keyring { profile } => profile,
        }
    }
}

/// One `AssumeRole` in a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleHop {
    pub profile: String,
    pub role_arn: String,
    pub external_id: Option<String>,
    pub session_name: Option<String>,
    pub duration_seconds: Option<String>,
    pub mfa_serial: Option<String>,
}

/// A profile resolved to its source and the roles assumed on top of it, source first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    pub profile: String,
    pub source: Source,
    pub roles: Vec<RoleHop>,
    /// The profile's region, else the nearest source's.
    pub region: Option<String>,
}

/// Both files, parsed.
#[derive(Debug)]
pub struct Config {
    set: ProfileSet,
    config_path: PathBuf,
    credentials_path: PathBuf,
    /// The profiles the keyring index lists for the configured backend.
    keyring: Vec<String>,
    /// What `set` was parsed from, to parse again with another profile selected.
    source: (Fs, Env, aws_runtime::env_config::file::EnvConfigFiles),
}

impl Config {
    /// Read `AWS_CONFIG_FILE` and `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/config` and
    /// `~/.aws/credentials`; missing files are empty. Each file is opened once: awsenv reads
    /// it and hands aws-config's parser the bytes under the same path.
    pub fn load(ctx: &Context) -> Result<Self> {
        let config_path = file_path(ctx, "AWS_CONFIG_FILE", "config");
        let credentials_path = file_path(ctx, "AWS_SHARED_CREDENTIALS_FILE", "credentials");
        let mut contents = std::collections::HashMap::new();
        for path in [&config_path, &credentials_path] {
            contents.insert(path.clone().into_os_string(), read_file(path)?);
        }
        let files = profile_files(Some(&config_path), Some(&credentials_path));
        let vars: Vec<(&str, &str)> = ctx
            .vars()
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let env = Env::from_slice(&vars);
        let fs = Fs::from_raw_map(contents);
        let set = block_on(aws_config::profile::load(&fs, &env, &files, None)).map_err(|e| {
            Error::Usage(format!(
                "malformed AWS config: {}; fix the file",
                one_line(&error_chain(&e))
            ))
        })?;
        Ok(Self {
            set,
            config_path,
            credentials_path,
            keyring: crate::keys::indexed_profiles(ctx),
            source: (fs, env, files),
        })
    }

    /// The files as aws-config's setting loaders read them, with `profile` as the selected
    /// profile (`None`: `AWS_PROFILE`, else `default`).
    pub fn sections(&self, profile: Option<&str>) -> ProfileSet {
        let Some(profile) = profile.filter(|p| *p != self.set.selected_profile()) else {
            return self.set.clone();
        };
        let (fs, env, files) = &self.source;
        let selected = Some(std::borrow::Cow::Owned(profile.to_owned()));
        // The same bytes parsed once already: a second parse cannot fail.
        block_on(aws_config::profile::load(fs, env, files, selected))
            .unwrap_or_else(|_| self.set.clone())
    }

    pub fn config_path(&self) -> &PathBuf {
        &self.config_path
    }

    pub fn credentials_path(&self) -> &PathBuf {
        &self.credentials_path
    }

    /// Every profile name, sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.set.profiles().collect();
        names.sort_unstable();
        names
    }

    /// Every `[sso-session NAME]` name, sorted.
    pub fn sso_session_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.set.sso_sessions().collect();
        names.sort_unstable();
        names
    }

    /// A setting of the `[sso-session NAME]` section, through the returned lookup; `None`
    /// when there is no such section.
    pub fn sso_session<'a>(&'a self, name: &str) -> Option<impl Fn(&str) -> Option<&'a str> + 'a> {
        let section = self.set.sso_session(name)?;
        Some(move |key: &str| section.get(key))
    }

    /// The raw settings of a profile, or `None`.
    pub fn get(&self, name: &str) -> Option<&Profile> {
        self.set.get_profile(name)
    }

    pub fn unknown(&self, name: &str) -> Error {
        let near = self.closest(name);
        let hint = match near.as_slice() {
            [] => "`awsenv list` shows the profiles there are".to_owned(),
            names => format!(
                "did you mean {}? (`awsenv list` shows them all)",
                names
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        Error::usage(
            name,
            format!(
                "no such profile in {} or {}; {hint}",
                self.config_path.display(),
                self.credentials_path.display()
            ),
        )
    }

    /// Up to three names close to `name`, closest first.
    pub fn closest(&self, name: &str) -> Vec<&str> {
        let wanted = name.to_lowercase();
        let mut scored: Vec<(f64, &str)> = self
            .set
            .profiles()
            .filter_map(|candidate| {
                let lower = candidate.to_lowercase();
                let score = strsim::jaro_winkler(&wanted, &lower);
                let typo = strsim::osa_distance(&wanted, &lower) <= (wanted.len() / 3).max(1);
                let contains = !wanted.is_empty() && lower.contains(&wanted);
                (score > 0.8 || typo || contains).then_some((
                    if typo || contains {
                        score.max(0.9)
                    } else {
                        score
                    },
                    candidate,
                ))
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
        scored.into_iter().take(3).map(|(_, n)| n).collect()
    }

    pub fn kind(&self, name: &str) -> Kind {
        self.get(name).map_or(Kind::None, |p| self.kind_of(p))
    }

    /// `kind_of`, with the keyring: a profile with keys there is kind `keyring` (over a
    /// plaintext copy), and so is one whose `credential_process` runs awsenv's own
    /// `credential-process` for itself (resolved here, never by running awsenv again).
    pub fn kind_of(&self, profile: &Profile) -> Kind {
        let base = kind_of(profile);
        let own_process = profile
            .get("credential_process")
            .is_some_and(|command| crate::keys::is_own_credential_process(command, profile.name()));
        let in_keyring = self.keyring.iter().any(|p| p == profile.name());
        match base {
            Kind::Static | Kind::None if in_keyring => Kind::Keyring,
            Kind::Process if own_process => {
                if !in_keyring && profile.get("aws_access_key_id").is_some() {
                    Kind::Static
                } else {
                    Kind::Keyring
                }
            }
            other => other,
        }
    }

    /// Whether the keyring index lists `name` (whatever else the files say of it).
    pub fn in_keyring(&self, name: &str) -> bool {
        self.keyring.iter().any(|p| p == name)
    }

    /// The chain `name` resolves to (`resolve::chain`, where the rules live).
    pub fn chain(&self, name: &str) -> Result<Chain> {
        crate::resolve::chain(self, name)
    }
}

pub fn kind_of(profile: &Profile) -> Kind {
    if profile.get("web_identity_token_file").is_some() {
        Kind::WebIdentity
    } else if profile.get("role_arn").is_some() {
        Kind::Role
    } else if profile.get("sso_session").is_some() || profile.get("sso_start_url").is_some() {
        Kind::Sso
    } else if profile.get("login_session").is_some() {
        Kind::Login
    } else if profile.get("credential_process").is_some() {
        Kind::Process
    } else if profile.get("aws_access_key_id").is_some() {
        Kind::Static
    } else {
        Kind::None
    }
}

/// `AWS_CONFIG_FILE` (var) or `~/.aws/config` (file), and the like for credentials.
pub fn file_path(ctx: &Context, var: &str, file: &str) -> PathBuf {
    match ctx.var(var) {
        Some(path) => match (path.strip_prefix("~/"), ctx.home()) {
            (Some(rest), Some(home)) => home.join(rest),
            _ => PathBuf::from(path),
        },
        None => ctx.home().map_or_else(
            || PathBuf::from("~/.aws").join(file),
            |h| h.join(".aws").join(file),
        ),
    }
}

/// aws-config's set of the files given, by the paths awsenv chose (at least one; a file
/// named here must exist to the `Fs` that reads it). `Config::load` names both; the SDK's own
/// providers, which read the real file system, only those that exist.
// aws-config names the type only through this deprecated alias; the crate it points to is
// not a dependency of ours, and the alias is the same type.
#[allow(deprecated)]
pub fn profile_files(
    config: Option<&Path>,
    credentials: Option<&Path>,
) -> aws_config::profile::profile_file::ProfileFiles {
    use aws_config::profile::profile_file::{ProfileFileKind, ProfileFiles};
    let mut files = ProfileFiles::builder()
        .include_default_config_file(false)
        .include_default_credentials_file(false);
    for (kind, path) in [
        (ProfileFileKind::Config, config),
        (ProfileFileKind::Credentials, credentials),
    ] {
        if let Some(path) = path {
            files = files.with_file(kind, path);
        }
    }
    files.build()
}

/// The file's bytes: a missing file is empty; an unreadable one, or one that is not UTF-8
/// text, an error that says so (aws-config's loader would take either as empty).
fn read_file(path: &Path) -> Result<Vec<u8>> {
    let unreadable = |why: &dyn std::fmt::Display| {
        Error::Usage(format!(
            "cannot read {}: {why}; make it a readable file, or point AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE elsewhere",
            path.display()
        ))
    };
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(_) if path.is_dir() => return Err(unreadable(&"it is a directory")),
        Err(e) => return Err(unreadable(&e)),
    };
    match std::str::from_utf8(&bytes) {
        Ok(_) => Ok(bytes),
        Err(e) => Err(Error::Usage(format!(
            "cannot read {}: it is not UTF-8 text (at byte offset {}); save it as UTF-8",
            path.display(),
            e.valid_up_to()
        ))),
    }
}

/// An error and its sources, `outer: inner: innermost`, where the parser says file and line.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        let said = inner.to_string();
        if !text.contains(&said) {
            text = format!("{text}: {said}");
        }
        source = inner.source();
    }
    text
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Drive a future that never waits on anything to completion, without a runtime.
///
/// aws-config's profile loader is `async` but reads files with `std::fs`, so it is ready on
/// its first poll; this keeps the prompt's critical path free of an async runtime.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = std::task::Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        std::thread::yield_now();
    }
}

/// Profile names for shell completion, from the user's own files.
pub fn complete_names() -> Vec<clap_complete::engine::CompletionCandidate> {
    Config::load(&Context::from_process())
        .map(|config| {
            config
                .names()
                .into_iter()
                .map(clap_complete::engine::CompletionCandidate::new)
                .collect()
        })
        .unwrap_or_default()
}

/// `[sso-session]` names for shell completion, from the user's own config file.
pub fn complete_sso_sessions() -> Vec<clap_complete::engine::CompletionCandidate> {
    Config::load(&Context::from_process())
        .map(|config| {
            config
                .sso_session_names()
                .into_iter()
                .map(clap_complete::engine::CompletionCandidate::new)
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn config(text: &str) -> (tempfile::TempDir, Config) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        std::fs::File::create(&path)
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        let vars = [
            ("AWS_CONFIG_FILE".to_string(), path.display().to_string()),
            (
                "AWS_SHARED_CREDENTIALS_FILE".to_string(),
                dir.path().join("none").display().to_string(),
            ),
            ("HOME".to_string(), dir.path().display().to_string()),
        ];
        let config = Config::load(&Context::new(vars.into_iter().collect(), 0)).unwrap();
        (dir, config)
    }

    const CHAINS: &str = "
[profile base]
aws_access_key_id = AKIDBASE
aws_secret_access_key = secret
region = eu-west-1
[profile a]
role_arn = arn:aws:iam::111111111111:role/a
source_profile = base
[profile b]
role_arn = arn:aws:iam::222222222222:role/b
source_profile = a
mfa_serial = arn:aws:iam::111111111111:mfa/me
region = us-west-2
[profile x]
role_arn = arn:aws:iam::1:role/x
source_profile = y
[profile y]
role_arn = arn:aws:iam::1:role/y
source_profile = x
[profile lost]
role_arn = arn:aws:iam::1:role/l
source_profile = nowhere
[profile ec2]
role_arn = arn:aws:iam::1:role/e
credential_source = Ec2InstanceMetadata
[profile sso]
sso_session = corp
sso_account_id = 1
sso_role_name = r
[profile proc]
credential_process = /bin/echo
[profile console]
login_session = arn:aws:iam::123456789012:user/Admin
[profile web]
role_arn = arn:aws:iam::1:role/w
web_identity_token_file = /tmp/token
[profile settings]
region = us-east-1
";

    #[test]
    fn chains_resolve_source_first() {
        let (_d, c) = config(CHAINS);
        let chain = c.chain("b").unwrap();
        assert_eq!(chain.source.profile(), "base");
        let hops: Vec<&str> = chain.roles.iter().map(|h| h.profile.as_str()).collect();
        assert_eq!(hops, ["a", "b"]);
        assert_eq!(chain.region.as_deref(), Some("us-west-2"));
        assert_eq!(c.chain("a").unwrap().region.as_deref(), Some("eu-west-1"));
    }

    #[test]
    fn cycles_and_missing_sources_are_named() {
        let (_d, c) = config(CHAINS);
        let err = c.chain("x").unwrap_err().to_string();
        assert!(err.contains("x -> y -> x"), "{err}");
        let err = c.chain("lost").unwrap_err().to_string();
        assert!(err.contains("`nowhere`"), "{err}");
        assert_eq!(c.chain("lost").unwrap_err().exit_code(), 2);
    }

    #[test]
    fn kinds() {
        let (_d, c) = config(CHAINS);
        assert_eq!(c.kind("base"), Kind::Static);
        assert_eq!(c.kind("a"), Kind::Role);
        assert_eq!(c.kind("sso"), Kind::Sso);
        assert_eq!(c.kind("proc"), Kind::Process);
        assert_eq!(c.kind("console"), Kind::Login);
        assert!(matches!(
            c.chain("console").unwrap().source,
            Source::Provider {
                kind: Kind::Login,
                ..
            }
        ));
        assert_eq!(c.kind("web"), Kind::WebIdentity);
        assert_eq!(c.kind("settings"), Kind::None);
        assert!(matches!(
            c.chain("ec2").unwrap().source,
            Source::CredentialSource { .. }
        ));
        assert!(c.chain("settings").is_err());
    }

    #[test]
    fn unknown_profiles_suggest_close_names() {
        let (_d, c) = config(CHAINS);
        let err = c.chain("bsae").unwrap_err().to_string();
        assert!(err.contains("did you mean `base`"), "{err}");
        assert_eq!(c.chain("bsae").unwrap_err().exit_code(), 2);
    }
}
