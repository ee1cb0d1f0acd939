//! Ending a session: the portal's Logout while the token is still valid, then the token file
//! goes. A portal that cannot be reached does not keep the file: the local login ends anyway.

use std::path::Path;

use super::token::{self, Token};
use super::{Session, portal_client, portal_endpoint, sdk_failure};
use crate::aws::Service;
use crate::env::Context;

/// What logging out of one token file did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// A token file was there and is gone.
    pub removed: bool,
    /// The portal's Logout failed (said as a warning; the file is removed anyway).
    pub warning: Option<String>,
}

/// Log out of `session`, and drop the role credentials awsenv cached from it.
pub fn session(ctx: &Context, session: &Session) -> Result<Outcome, String> {
    let path = token::path(ctx, session.id()).ok_or("no home directory (HOME is not set)")?;
    let outcome = file(ctx, &path, Some(&session.region))?;
    forget_credentials(ctx, Some(session.id()));
    Ok(outcome)
}

/// The role credentials cached for the session `id` (see `credentials::Role::key`), or for
/// every session with `None`.
pub fn forget_credentials(ctx: &Context, id: Option<&str>) {
    if let Some(cache) = crate::cache::Cache::open(ctx) {
        cache.remove_all(id, super::credentials::CACHE_KIND);
    }
}

/// Log out of the token in `path`; `region` when the file does not say it.
pub fn file(ctx: &Context, path: &Path, region: Option<&str>) -> Result<Outcome, String> {
    let Some(cached) = token::read(path) else {
        return Ok(Outcome {
            removed: false,
            warning: None,
        });
    };
    let warning = if cached.valid(ctx.now(), 0) {
        portal_logout(ctx, &cached, region).err()
    } else {
        None
    };
    token::remove(path).map_err(|e| e.to_string())?;
    Ok(Outcome {
        removed: true,
        warning,
    })
}

/// Every token file in the shared cache (not the client registrations beside them).
pub fn all_files(ctx: &Context) -> Vec<std::path::PathBuf> {
    let Some(dir) = token::cache_dir(ctx) else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or(".");
            !name.starts_with('.') && name.ends_with(".json")
        })
        .filter(|p| token::read(p).is_some_and(|t| !t.start_url.is_empty()))
        .collect();
    files.sort();
    files
}

fn portal_logout(ctx: &Context, cached: &Token, region: Option<&str>) -> Result<(), String> {
    let region = Some(cached.region.as_str())
        .filter(|r| !r.is_empty())
        .or(region)
        .unwrap_or("us-east-1");
    let aws = super::aws(ctx, Service::SSO, None, region).map_err(|e| e.to_string())?;
    let endpoint = portal_endpoint(aws.settings()).map_err(|e| e.to_string())?;
    let call = portal_client(&aws)
        .logout()
        .access_token(&cached.access_token);
    aws.block_on(call.send())
        .map(|_| ())
        .map_err(|e| sdk_failure("Logout", &endpoint, &e))
}
