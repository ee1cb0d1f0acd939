//! The IAM Identity Center token behind a profile: missing, expired, expiring, and whether
//! aws-config can renew it with its refresh token. Reads the token file only; no request.

use super::Check;
use crate::duration;
use crate::env::{self, Context};
use crate::profile::Config;
use crate::sso::credentials::{TokenState, token_state};
use crate::sso::{Session, login_command};

const NAME: &str = "SSO token";
/// Less than this left, with no refresh token, is worth a warning.
const EXPIRING: i64 = 15 * 60;

/// The check for `profile`'s SSO token; `None` when its chain has no SSO root.
pub fn token(ctx: &Context, config: &Config, profile: &str) -> Option<Check> {
    let session = Session::for_profile(config, profile).ok()?;
    let fix = login_command(profile);
    let what = format!("profile `{profile}`: {}", session.describe());
    let file = crate::sso::token::path(ctx, session.id())
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    Some(match token_state(ctx, &session) {
        TokenState::Missing => Check::fail(
            NAME,
            format!("{what} has no login ({file} is missing)"),
            fix,
        ),
        TokenState::Expired {
            expires_at,
            refreshable,
        } => {
            let when = expires_at.map_or("at an unreadable time".to_owned(), |at| {
                format!("at {}", env::rfc3339(at))
            });
            if refreshable {
                Check::ok(
                    NAME,
                    format!("{what} expired {when}; its refresh token renews it on the next use"),
                )
            } else {
                Check::fail(
                    NAME,
                    format!("{what} expired {when} and has no refresh token to renew it"),
                    fix,
                )
            }
        }
        TokenState::Valid {
            expires_at,
            refreshable,
        } => {
            let left = expires_at - ctx.now();
            let said = format!(
                "{what} is logged in until {} ({} left){}",
                env::rfc3339(expires_at),
                duration::human(left),
                if refreshable {
                    ", renewable with its refresh token"
                } else {
                    ", not renewable"
                }
            );
            if left <= EXPIRING && !refreshable {
                Check::warn(NAME, format!("{said}: it expires soon"), fix)
            } else {
                Check::ok(NAME, said)
            }
        }
    })
}
