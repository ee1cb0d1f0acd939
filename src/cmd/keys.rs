//! `awsenv keys add | import | list | remove | rotate`: long-term keys in the OS keyring.
//!
//! The backends, the entry format, import and rotation live in `src/keys/`; this file reads
//! the arguments, asks on the terminal where a command must, and prints the result.

use std::io::{BufRead, BufReader, Write};

use serde::Serialize;
use zeroize::Zeroizing;

use crate::cli::{KeysAddArgs, KeysCommand, KeysListArgs, KeysRemoveArgs};
use crate::env::{self, Context};
use crate::error::{Error, Result};
use crate::files::{self, Style};
use crate::keys::{self, Keyring, Pair, Stored};
use crate::profile::Config;
use crate::sts::Sts;

pub fn run(command: KeysCommand, ctx: &Context) -> Result<()> {
    match command {
        KeysCommand::Add(args) => add(&args, ctx),
        KeysCommand::Import(args) => {
            let change = keys::import::run(ctx, &args.profiles, args.all, args.dry_run)?;
            super::write_stdout(&change);
            Ok(())
        }
        KeysCommand::List(args) => list(&args, ctx),
        KeysCommand::Remove(args) => remove(&args, ctx),
        KeysCommand::Rotate(args) => {
            let code = crate::mfa::Code::new(args.mfa_code.as_deref(), false, &args.profile)?;
            keys::rotate::run(ctx, &args.profile, &code)
        }
    }
}

fn add(args: &KeysAddArgs, ctx: &Context) -> Result<()> {
    let profile = args.profile.as_str();
    check_name(profile)?;
    let config = Config::load(ctx)?;
    let pair = if args.from_env {
        from_env(ctx, profile)?
    } else {
        asked(profile)?
    };
    check_shape(&pair, profile)?;
    if !args.no_verify {
        let region = config
            .get(profile)
            .and_then(|p| p.get("region"))
            .map(str::to_owned);
        let sts = Sts::new(ctx, Some(&config), Some(profile), region.as_deref())?;
        let who = sts.caller_identity(&pair.credentials()).map_err(|f| {
            Error::credentials(
                profile,
                format!("the key was not stored: GetCallerIdentity refused it ({f}); check it, or pass --no-verify"),
            )
        })?;
        eprintln!("awsenv: profile `{profile}`: the key is {}", who.arn);
    }
    let keyring = Keyring::open(ctx)?;
    keyring.store(ctx, profile, &Stored::new(pair, ctx.now()))?;
    crate::keys::rotate::purge_sessions(ctx, profile);
    let path = config.config_path();
    let before = files::read(path)?;
    let after = files::ensure_section(&before, Style::Config, profile);
    if after != before {
        files::replace_checked(path, &before, &after, &format!("profile `{profile}`"))?;
    }
    eprintln!(
        "awsenv: profile `{profile}`: key stored in the keyring ({})",
        keyring.backend().name()
    );
    let plaintext = config
        .get(profile)
        .is_some_and(|p| p.get("aws_access_key_id").is_some());
    if plaintext {
        eprintln!(
            "awsenv: profile `{profile}`: {} still holds plaintext keys for it; the keyring's win, move them out with `awsenv keys import {profile}`",
            config.credentials_path().display()
        );
    }
    Ok(())
}

/// A name the files and every backend can hold.
fn check_name(profile: &str) -> Result<()> {
    let bad = profile.is_empty()
        || profile
            .chars()
            .any(|c| c.is_control() || matches!(c, '[' | ']'));
    if bad {
        return Err(Error::Usage(format!(
            "`{}` is not a profile name a config file can hold",
            profile.escape_debug()
        )));
    }
    Ok(())
}

fn from_env(ctx: &Context, profile: &str) -> Result<Pair> {
    if let Some(exported) = ctx.var(env::PROFILE) {
        return Err(Error::usage(
            profile,
            format!(
                "the AWS_* keys here are the ones awsenv exported for profile `{exported}`, not a long-term key; run `awsenv unset` and export the key pair"
            ),
        ));
    }
    match (ctx.var(env::ACCESS_KEY_ID), ctx.var(env::SECRET_ACCESS_KEY)) {
        (Some(id), Some(secret)) if ctx.var(env::SESSION_TOKEN).is_none() => Ok(Pair {
            access_key_id: id.to_owned(),
            secret_access_key: secret.to_owned(),
            created_at: None,
        }),
        (Some(_), Some(_)) => Err(Error::usage(
            profile,
            "AWS_SESSION_TOKEN is set: those are temporary keys, and the keyring holds long-term ones",
        )),
        _ => Err(Error::usage(
            profile,
            "--from-env needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; export both",
        )),
    }
}

/// The key id (echoed) and the secret (not) from the terminal.
fn asked(profile: &str) -> Result<Pair> {
    let no_terminal = || {
        Error::usage(
            profile,
            "no terminal to ask for the key on; run in one, or pass --from-env with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY set",
        )
    };
    let (input, mut output) = crate::platform::terminal().ok_or_else(no_terminal)?;
    write!(output, "Access key id for profile {profile}: ").map_err(|_| no_terminal())?;
    output.flush().map_err(|_| no_terminal())?;
    let mut id = String::new();
    BufReader::new(input)
        .read_line(&mut id)
        .map_err(|_| no_terminal())?;
    let secret = Zeroizing::new(
        rpassword::prompt_password("Secret access key (not shown): ").map_err(|_| no_terminal())?,
    );
    Ok(Pair {
        access_key_id: id.trim().to_owned(),
        secret_access_key: secret.trim().to_owned(),
        created_at: None,
    })
}

/// What any AWS key pair looks like: an id of letters and digits, a secret without blanks.
fn check_shape(pair: &Pair, profile: &str) -> Result<()> {
    let id_ok = (16..=128).contains(&pair.access_key_id.len())
        && pair
            .access_key_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric());
    let secret_ok = !pair.secret_access_key.is_empty()
        && pair.secret_access_key.bytes().all(|b| b.is_ascii_graphic());
    if !id_ok {
        return Err(Error::usage(
            profile,
            "that access key id is not one (16 or more letters and digits, like AKIA…); nothing was stored",
        ));
    }
    if !secret_ok {
        return Err(Error::usage(
            profile,
            "the secret access key is empty or holds blanks or non-ASCII characters; nothing was stored",
        ));
    }
    Ok(())
}

/// One row of `keys list`.
#[derive(Serialize)]
struct Row {
    profile: String,
    key: String,
    backend: String,
    /// Days since IAM created the key (else since it was stored).
    age_days: i64,
    created_at: Option<String>,
    stored_at: String,
    /// An interrupted rotation waits for `awsenv keys rotate`.
    rotation_pending: bool,
}

fn list(args: &KeysListArgs, ctx: &Context) -> Result<()> {
    let keyring = Keyring::open(ctx)?;
    let rows: Vec<Row> = keyring
        .listed()
        .into_iter()
        .map(|(profile, e)| Row {
            age_days: (ctx.now() - e.created_at.unwrap_or(e.stored_at)).max(0) / 86_400,
            created_at: e.created_at.map(env::rfc3339),
            stored_at: env::rfc3339(e.stored_at),
            key: e.key,
            backend: e.backend,
            rotation_pending: e.pending,
            profile,
        })
        .collect();
    let text = if args.json {
        let mut text = serde_json::to_string_pretty(&rows)
            .map_err(|e| Error::Usage(format!("cannot write the list as JSON: {e}")))?;
        text.push('\n');
        text
    } else {
        table(&rows)
    };
    super::write_stdout(&text);
    Ok(())
}

fn table(rows: &[Row]) -> String {
    let headers = ["PROFILE", "KEY", "BACKEND", "AGE", "NOTE"];
    let cells: Vec<[String; 5]> = rows
        .iter()
        .map(|r| {
            [
                r.profile.clone(),
                r.key.clone(),
                r.backend.clone(),
                format!("{}d", r.age_days),
                if r.rotation_pending {
                    format!("rotation unfinished: awsenv keys rotate {}", r.profile)
                } else if r.age_days > 90 {
                    format!("older than 90 days: awsenv keys rotate {}", r.profile)
                } else {
                    "-".to_owned()
                },
            ]
        })
        .collect();
    let mut widths = headers.map(str::len);
    for line in &cells {
        for (w, c) in widths.iter_mut().zip(line) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut text = String::new();
    let header: [String; 5] = headers.map(str::to_owned);
    for line in std::iter::once(&header).chain(&cells) {
        let mut out = String::new();
        for (i, (cell, width)) in line.iter().zip(widths).enumerate() {
            if i + 1 == line.len() {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{cell:<width$}  "));
            }
        }
        text.push_str(out.trim_end());
        text.push('\n');
    }
    text
}

fn remove(args: &KeysRemoveArgs, ctx: &Context) -> Result<()> {
    let profile = args.profile.as_str();
    let config = Config::load(ctx)?;
    if !args.yes && !confirmed(profile)? {
        return Err(Error::usage(profile, "not confirmed; nothing was removed"));
    }
    let keyring = Keyring::open(ctx)?;
    let had = keyring.remove(ctx, profile)?;
    keys::rotate::purge_sessions(ctx, profile);
    let path = config.config_path();
    let before = files::read(path)?;
    let after = keys::import::without_credential_process(&before, profile);
    if after != before {
        files::replace_checked(path, &before, &after, &format!("profile `{profile}`"))?;
    }
    if had {
        eprintln!(
            "awsenv: profile `{profile}`: key and cached sessions removed from {}",
            keyring.backend().name()
        );
        Ok(())
    } else {
        Err(Error::usage(
            profile,
            format!(
                "the keyring ({}) holds no key for it; `awsenv keys list` shows the ones it does",
                keyring.backend().name()
            ),
        ))
    }
}

/// `y` typed on the terminal; no terminal is an error that names `--yes`.
fn confirmed(profile: &str) -> Result<bool> {
    let (input, mut output) = crate::platform::terminal().ok_or_else(|| {
        Error::usage(
            profile,
            "no terminal to confirm on; pass --yes to remove the key",
        )
    })?;
    let _ = write!(
        output,
        "Delete the key of profile {profile} from the keyring, with its sessions? [y/N] "
    );
    let _ = output.flush();
    let mut line = String::new();
    let _ = BufReader::new(input).read_line(&mut line);
    Ok(matches!(line.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}
