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
    role_arn: Option<&'a str>,
    source: Option<String>,
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
    Row {
        profile: name,
        kind: kind.name(),
        region: get("region"),
        role_arn: get("role_arn"),
        source: source(kind, &get),
    }
}

/// Where a profile's credentials come from, in the words of its own settings.
fn source<'a>(kind: Kind, get: &dyn Fn(&str) -> Option<&'a str>) -> Option<String> {
    let labelled = |key: &str| get(key).map(|v| format!("{key}={v}"));
    match kind {
        Kind::Role => labelled("source_profile").or_else(|| labelled("credential_source")),
        Kind::Sso => labelled("sso_session").or_else(|| labelled("sso_start_url")),
        Kind::Process => labelled("credential_process"),
        Kind::WebIdentity => labelled("web_identity_token_file"),
        Kind::Static | Kind::None => None,
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
    let cells: Vec<[&str; 5]> = rows
        .iter()
        .map(|r| {
            [
                r.profile,
                r.kind,
                r.region.unwrap_or("-"),
                r.role_arn.unwrap_or("-"),
                r.source.as_deref().unwrap_or("-"),
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

    fn r<'a>(profile: &'a str, kind: &'static str, source: Option<&str>) -> Row<'a> {
        Row {
            profile,
            kind,
            region: None,
            role_arn: None,
            source: source.map(str::to_owned),
        }
    }

    #[test]
    fn table_pads_columns_to_the_widest_cell() {
        let text = table(&[
            r("dev", "static", None),
            r("production", "role", Some("source_profile=dev")),
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
