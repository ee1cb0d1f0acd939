//! `awsenv list`: every profile with its kind, region, role and source, as a table, JSON or
//! bare names.
//!
//! Reads the files only: no STS, no cache, no async runtime, so it stays fast on configs of
//! many thousand profiles.

use serde::Serialize;

use crate::cli::ListArgs;
use crate::env::Context;
use crate::error::{Error, Result};
use crate::profile::{Config, Kind};

/// One row of the listing.
#[derive(Debug, Serialize)]
struct Row<'a> {
    profile: &'a str,
    kind: &'static str,
    region: Option<&'a str>,
    /// The role's ARN.
    role: Option<&'a str>,
    /// The value of the setting that names the source: a profile, a `credential_source`,
    /// an SSO session or start URL, a command, a token file.
    source: Option<&'a str>,
    /// Which setting that is: `source_profile`, `credential_source`, `sso_session`, …
    source_setting: Option<&'static str>,
}

impl Row<'_> {
    /// `source_profile=dev`, as the table shows it.
    fn source_label(&self) -> Option<String> {
        Some(format!("{}={}", self.source_setting?, self.source?))
    }
}

pub fn run(args: &ListArgs, ctx: &Context) -> Result<()> {
    let config = Config::load(ctx)?;
    let names = config.names();
    let text = if args.names {
        let mut text = names.join("\n");
        if !text.is_empty() {
            text.push('\n');
        }
        text
    } else {
        let rows: Vec<Row> = names.iter().map(|name| row(&config, name)).collect();
        if args.json {
            json(&rows)?
        } else {
            table(&rows)
        }
    };
    super::write_stdout(&text);
    Ok(())
}

fn row<'a>(config: &'a Config, name: &'a str) -> Row<'a> {
    let get = |key: &str| config.get(name).and_then(|p| p.get(key));
    let kind = config.kind(name);
    let (source_setting, source) = source_settings(kind)
        .iter()
        .find_map(|&key| Some((Some(key), Some(get(key)?))))
        .unwrap_or((None, None));
    Row {
        profile: name,
        kind: kind.name(),
        region: get("region"),
        role: get("role_arn"),
        source,
        source_setting,
    }
}

/// The settings that say where a profile of `kind` gets its credentials, first found wins.
fn source_settings(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Role => &["source_profile", "credential_source"],
        Kind::Sso => &["sso_session", "sso_start_url"],
        Kind::Login => &["login_session"],
        Kind::Process => &["credential_process"],
        Kind::WebIdentity => &["web_identity_token_file"],
        Kind::Static | Kind::Keyring | Kind::None => &[],
    }
}

fn json(rows: &[Row]) -> Result<String> {
    let mut text = serde_json::to_string_pretty(rows)
        .map_err(|e| Error::Usage(format!("cannot write the profile list as JSON: {e}")))?;
    text.push('\n');
    Ok(text)
}

const HEADERS: [&str; 5] = ["PROFILE", "KIND", "REGION", "ROLE", "SOURCE"];

fn table(rows: &[Row]) -> String {
    let labels: Vec<Option<String>> = rows.iter().map(Row::source_label).collect();
    let cells: Vec<[&str; 5]> = rows
        .iter()
        .zip(&labels)
        .map(|(r, label)| {
            [
                r.profile,
                r.kind,
                r.region.unwrap_or("-"),
                r.role.unwrap_or("-"),
                label.as_deref().unwrap_or("-"),
            ]
        })
        .collect();
    let mut widths = HEADERS.map(str::len);
    for line in &cells {
        for (width, cell) in widths.iter_mut().zip(line) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut text = String::with_capacity((cells.len() + 1) * widths.iter().sum::<usize>() + 16);
    for line in std::iter::once(&HEADERS).chain(&cells) {
        push_line(&mut text, line, &widths);
    }
    text
}

fn push_line(text: &mut String, cells: &[&str; 5], widths: &[usize; 5]) {
    for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
        text.push_str(cell);
        if i + 1 < cells.len() {
            let pad = width - cell.chars().count() + 2;
            text.extend(std::iter::repeat_n(' ', pad));
        }
    }
    text.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r<'a>(profile: &'a str, kind: &'static str, source: Option<&'a str>) -> Row<'a> {
        Row {
            profile,
            kind,
            region: None,
            role: None,
            source,
            source_setting: source.map(|_| "source_profile"),
        }
    }

    #[test]
    fn table_pads_columns_to_the_widest_cell() {
        let text = table(&[
            r("dev", "static", None),
            r("production", "role", Some("dev")),
        ]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "PROFILE     KIND    REGION  ROLE  SOURCE");
        assert_eq!(lines[1], "dev         static  -       -     -");
        assert_eq!(
            lines[2],
            "production  role    -       -     source_profile=dev"
        );
    }
}
