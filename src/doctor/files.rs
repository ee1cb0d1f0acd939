//! Checks of the config and credentials files: each profile chain (cycles, missing sources,
//! bad `duration_seconds`), and where a setting sits, by file and line.
//!
//! aws-config's parser keeps no line numbers, so `locate` scans the file text for the
//! section header and the key; the values themselves always come from the parser.

use std::path::{Path, PathBuf};

use super::{Check, edit_command};
use crate::duration::{MAX_SESSION, MIN_SESSION};
use crate::profile::{Chain, Config, Kind, Source};

/// Where a setting is: the file, and the line (1-based) of the key, else of the section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub path: PathBuf,
    pub line: Option<usize>,
}

impl Location {
    pub fn shown(&self) -> String {
        match self.line {
            Some(line) => format!("{}:{line}", self.path.display()),
            None => self.path.display().to_string(),
        }
    }

    pub fn edit(&self) -> String {
        edit_command(&self.path, self.line)
    }
}

/// The file and line of `key` in `profile`'s section (credentials file first, as it wins).
pub fn locate(config: &Config, profile: &str, key: &str) -> Location {
    let files = [
        (config.credentials_path(), false),
        (config.config_path(), true),
    ];
    let mut section_only = None;
    for (path, is_config) in files {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        match find_in(&text, profile, key, is_config) {
            (Some(_), Some(line)) => return at(path, Some(line)),
            (Some(header), None) if section_only.is_none() => {
                section_only = Some(at(path, Some(header)));
            }
            _ => {}
        }
    }
    section_only.unwrap_or_else(|| at(config.config_path(), None))
}

fn at(path: &Path, line: Option<usize>) -> Location {
    Location {
        path: path.to_path_buf(),
        line,
    }
}

/// (line of the section header, line of `key` within it), both 1-based; the last section of
/// that name wins, as in the parser.
fn find_in(
    text: &str,
    profile: &str,
    key: &str,
    is_config: bool,
) -> (Option<usize>, Option<usize>) {
    let (mut header, mut found, mut inside) = (None, None, false);
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if let Some(section) = line.strip_prefix('[') {
            let name = section.split(']').next().unwrap_or_default();
            inside = section_is(name, profile, is_config);
            if inside {
                header = Some(i + 1);
                found = None;
            }
        } else if inside && line.split_once('=').is_some_and(|(k, _)| k.trim() == key) {
            found = Some(i + 1);
        }
    }
    (header, found)
}

fn section_is(name: &str, profile: &str, is_config: bool) -> bool {
    let words: Vec<&str> = name.split_whitespace().collect();
    match words.as_slice() {
        ["profile", n] if is_config => *n == profile,
        [n] => *n == profile && (!is_config || profile == "default"),
        _ => false,
    }
}

/// The chain of each of `profiles`: a failure for each broken one, one ok line otherwise.
pub fn chains(config: &Config, profiles: &[&str]) -> Vec<Check> {
    const NAME: &str = "profile chain";
    let mut checks: Vec<Check> = profiles
        .iter()
        .filter(|p| config.kind(p) != Kind::None || profiles.len() == 1)
        .filter_map(|p| chain_problem(config, p))
        .collect();
    if checks.is_empty() {
        let evidence = match profiles {
            [one] => match config.chain(one) {
                Ok(chain) => describe(&chain),
                Err(_) => format!("profile `{one}`"),
            },
            many => format!("{} profiles resolve to a source without cycles", many.len()),
        };
        checks.push(Check::ok(NAME, evidence));
    }
    checks
}

fn chain_problem(config: &Config, profile: &str) -> Option<Check> {
    const NAME: &str = "profile chain";
    match config.chain(profile) {
        Err(error) if config.get(profile).is_none() => {
            Some(Check::fail(NAME, error.to_string(), "awsenv list"))
        }
        Err(error) => {
            let key = ["source_profile", "role_arn"]
                .into_iter()
                .find(|k| config.get(profile).and_then(|p| p.get(k)).is_some())
                .unwrap_or("role_arn");
            let place = locate(config, profile, key);
            Some(Check::fail(
                NAME,
                format!("{error} ({})", place.shown()),
                place.edit(),
            ))
        }
        Ok(chain) => chain.roles.iter().find_map(|hop| {
            let text = hop.duration_seconds.as_deref()?;
            let ok = text
                .parse::<i64>()
                .is_ok_and(|s| (MIN_SESSION..=MAX_SESSION).contains(&s));
            (!ok).then(|| {
                let place = locate(config, &hop.profile, "duration_seconds");
                Check::fail(
                    NAME,
                    format!(
                        "profile `{}`: duration_seconds = {text} at {} is not a number of seconds from {MIN_SESSION} to {MAX_SESSION}",
                        hop.profile,
                        place.shown()
                    ),
                    place.edit(),
                )
            })
        }),
    }
}

fn describe(chain: &Chain) -> String {
    let mut hops: Vec<&str> = vec![chain.source.profile()];
    hops.extend(chain.roles.iter().map(|h| h.profile.as_str()));
    hops.dedup();
    let source = match &chain.source {
        Source::Static { .. } => "static keys".to_owned(),
        Source::CredentialSource { source, .. } => format!("credential_source {source}"),
        Source::Provider { kind, .. } => kind.name().to_owned(),
        Source::Keyring { .. } => "keys in the keyring".to_owned(),
    };
    format!("{} (source: {source})", hops.join(" -> "))
}

/// Profiles among `profiles` whose static keys carry an `aws_session_token`.
pub fn static_tokens<'a>(config: &Config, profiles: &[&'a str]) -> Vec<&'a str> {
    profiles
        .iter()
        .copied()
        .filter(|p| {
            config.kind(p) == Kind::Static
                && config
                    .get(p)
                    .and_then(|s| s.get("aws_session_token"))
                    .is_some_and(|t| !t.is_empty())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str =
        "[default]\nregion = x\n[profile a]\nregion = y\n  source_profile = b\n[b]\nk = v\n";

    #[test]
    fn finds_keys_under_config_headers() {
        assert_eq!(
            find_in(CONFIG, "a", "source_profile", true),
            (Some(3), Some(5))
        );
        assert_eq!(
            find_in(CONFIG, "default", "region", true),
            (Some(1), Some(2))
        );
        assert_eq!(find_in(CONFIG, "b", "k", true), (None, None));
        assert_eq!(find_in(CONFIG, "b", "k", false), (Some(6), Some(7)));
        assert_eq!(find_in(CONFIG, "a", "missing", true), (Some(3), None));
    }
}
