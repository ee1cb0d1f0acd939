//! `awsenv credential-process PROFILE`: credentials in the JSON the AWS `credential_process`
//! setting reads, so the AWS CLI and SDKs can use awsenv (and its cache) for a profile.
//!
//! Never asks anything: the calling tool owns the terminal. On failure stdout stays empty and
//! one line goes to stderr.

use serde::Serialize;

use crate::cli::{CredentialProcessArgs, SessionArgs};
use crate::env::{self, Context, Credentials};
use crate::error::{Error, Result};
use crate::profile::Config;
use crate::resolve;

use super::assume;

/// The `credential_process` output, version 1.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Output<'a> {
    version: u8,
    access_key_id: &'a str,
    secret_access_key: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    session_token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expiration: Option<String>,
}

/// The profiles whose `credential-process` is running in this process's ancestors, so a
/// `credential_process` that leads back to itself fails at once instead of forking forever.
const IN_PROGRESS: &str = "AWSENV_CREDENTIAL_PROCESS";

pub fn run(args: &CredentialProcessArgs, ctx: &Context) -> Result<()> {
    let chain = guard_loop(&args.profile, ctx)?;
    // SAFETY: no other thread exists yet (the STS runtime starts later, in `resolve`), and
    // the variable must reach the `credential_process` children aws-config spawns.
    unsafe { std::env::set_var(IN_PROGRESS, chain) };
    let session = SessionArgs {
        duration: args.duration.clone(),
        no_input: true,
        no_session: args.no_session,
        ..SessionArgs::default()
    };
    let mut request = assume::request(args.profile.clone(), &session)?;
    // An SSO login asks nothing on the terminal (the browser does): it may run there.
    request.no_login = false;
    let config = Config::load(ctx)?;
    let resolved = resolve::resolve(ctx, &config, &request)?;
    super::write_stdout(&json(&request.profile, &resolved.credentials)?);
    Ok(())
}

/// `IN_PROGRESS` with `profile` added, or an error when `profile` is already in it.
fn guard_loop(profile: &str, ctx: &Context) -> Result<String> {
    let running: Vec<&str> = ctx.var(IN_PROGRESS).unwrap_or("").split(' ').collect();
    if running.contains(&profile) {
        return Err(Error::usage(
            profile,
            format!(
                "credential_process loops back to `awsenv credential-process {profile}` ({} -> {profile}); point it at another profile",
                running.join(" -> ")
            ),
        ));
    }
    Ok(format!("{} {profile}", running.join(" ")).trim().to_owned())
}

fn json(profile: &str, creds: &Credentials) -> Result<String> {
    let output = Output {
        version: 1,
        access_key_id: &creds.access_key_id,
        secret_access_key: &creds.secret_access_key,
        session_token: creds.session_token.as_deref(),
        expiration: creds.expires_at.map(env::rfc3339),
    };
    let mut text = serde_json::to_string(&output)
        .map_err(|e| Error::credentials(profile, format!("cannot write the JSON: {e}")))?;
    text.push('\n');
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(token: Option<&str>, expires_at: Option<i64>) -> Credentials {
        Credentials::fake(token, expires_at)
    }

    #[test]
    fn temporary_credentials_carry_token_and_expiration() {
        let text = json("p", &creds(Some("tok"), Some(1_795_170_030))).unwrap();
        assert_eq!(
            text,
            "{\"Version\":1,\"AccessKeyId\":\"AKID\",\"SecretAccessKey\":\"secret\",\
             \"SessionToken\":\"tok\",\"Expiration\":\"2026-11-20T10:20:30Z\"}\n"
        );
    }

    #[test]
    fn long_term_keys_omit_token_and_expiration() {
        let text = json("p", &creds(None, None)).unwrap();
        assert_eq!(
            text,
            "{\"Version\":1,\"AccessKeyId\":\"AKID\",\"SecretAccessKey\":\"secret\"}\n"
        );
    }
}
