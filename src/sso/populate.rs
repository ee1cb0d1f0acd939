//! `awsenv sso populate`: one profile per account and role an SSO session is granted, written
//! into a block of the config file that awsenv owns.
//!
//! The portal calls (ListAccounts and ListAccountRoles, every page, a few accounts at a time),
//! the profile names (aws-config's alphabet, unique), the block (found by its marker lines;
//! every byte outside it stays) and the atomic write. Not the login: the access token is read
//! from the SSO token cache that `awsenv sso login` and the AWS CLI write.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use aws_sdk_sso::error::{ProvideErrorMetadata, SdkError};
use sha1::{Digest, Sha1};

use crate::aws::{Aws, Settings};
use crate::cli::PopulateArgs;
use crate::env::Context;
use crate::error::{Error, Result};
use crate::files::{self, is_marker, line_ending, lines, section_name};
use crate::profile::Config;

/// ListAccountRoles calls in flight at once: the portal throttles bursts.
const CONCURRENCY: usize = 8;
/// Attempts per portal call, with the SDK's backoff on throttling.
const ATTEMPTS: u32 = 5;
/// No listing is followed past this many pages (a portal that loops its `nextToken`).
const MAX_PAGES: usize = 10_000;
/// The placeholders `--template` knows.
const PLACEHOLDERS: [&str; 5] = [
    "account_name",
    "account_id",
    "role_name",
    "email",
    "session",
];

/// Run `awsenv sso populate`: the change, as stdout shows it (empty when there is none).
pub fn run(args: &PopulateArgs, ctx: &Context) -> Result<String> {
    let session = args.session.as_str();
    let config = Config::load(ctx)?;
    let portal_region = portal_region(&config, session)?;
    let template = Template::parse(&args.template)?;
    let region = checked_region(args.region.as_deref())?;
    let path = config.config_path().clone();
    let original = files::read(&path)?;
    let block = Block::find(&original, session, &path)?;
    let token = cached_token(ctx, session)?;
    let grants = Portal::new(ctx, &config, &portal_region, session, token)?.grants()?;

    let taken = names_outside(&config, &original, block.as_ref());
    let fresh = profiles(&grants, &template, session, region, &taken);
    let old = block.as_ref().map_or(&[][..], |b| b.sections.as_slice());
    let plan = Plan::new(old, fresh, args.prune);
    let updated = plan.apply(&original, block.as_ref(), session);
    let changed = updated != original;
    if changed && !args.dry_run {
        // The portal took a while: an edit made meanwhile must not be overwritten.
        files::replace_checked(
            &path,
            &original,
            &updated,
            &format!("sso-session `{session}`"),
        )?;
    }
    eprintln!(
        "awsenv: sso-session `{session}`: {}",
        plan.summary(&path, changed, args.dry_run)
    );
    Ok(plan.diff())
}

/// The session's `sso_region`, where the portal is; the session must exist.
fn portal_region(config: &Config, session: &str) -> Result<String> {
    let path = config.config_path().display();
    if !config.sso_session_names().contains(&session) {
        let known = config.sso_session_names();
        let hint = if known.is_empty() {
            String::new()
        } else {
            format!(
                " (there are: {})",
                known
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        return Err(Error::Usage(format!(
            "no [sso-session {session}] in {path}{hint}; add it with sso_start_url and sso_region"
        )));
    }
    config
        .sso_session(session)
        .and_then(|get| get("sso_region"))
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| {
            Error::Usage(format!(
                "[sso-session {session}] in {path} has no sso_region; add the region of the portal"
            ))
        })
}

/// `--region`, when given, must look like a region: it is written into every profile.
fn checked_region(region: Option<&str>) -> Result<Option<&str>> {
    match region {
        Some(r) if r.is_empty() || !r.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') => {
            Err(Error::Usage(format!(
                "--region `{}` is not a region name (like eu-west-1)",
                r.escape_debug()
            )))
        }
        other => Ok(other),
    }
}

// ---------------------------------------------------------------------------------------------
// The token

/// The home directory the SDKs use: `HOME`, else `USERPROFILE` (Windows).
fn home(ctx: &Context) -> Option<PathBuf> {
    ctx.home()
        .cloned()
        .or_else(|| ctx.var("USERPROFILE").map(PathBuf::from))
}

/// `~/.aws/sso/cache/<sha1 hex of the session name>.json`, as the AWS CLI names it.
fn token_path(home: &Path, session: &str) -> PathBuf {
    let digest = Sha1::digest(session.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    home.join(".aws")
        .join("sso")
        .join("cache")
        .join(format!("{hex}.json"))
}

/// The session's access token from the SSO token cache, while it is valid.
fn cached_token(ctx: &Context, session: &str) -> Result<String> {
    let login = format!("run `awsenv sso login --sso-session {session}`");
    let fail =
        |what: String| Error::Credentials(format!("sso-session `{session}`: {what}; {login}"));
    let home =
        home(ctx).ok_or_else(|| fail("HOME is not set, so there is no SSO token cache".into()))?;
    let path = token_path(&home, session);
    let bytes = match fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(fail(format!("not logged in (no {})", path.display())));
        }
        Err(e) => return Err(fail(format!("cannot read {}: {e}", path.display()))),
    };
    let unreadable = || fail(format!("{} is not an SSO token file", path.display()));
    let json: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| unreadable())?;
    let token = json
        .get("accessToken")
        .and_then(serde_json::Value::as_str)
        .filter(|t| !t.is_empty())
        .ok_or_else(unreadable)?;
    let expires = json
        .get("expiresAt")
        .and_then(serde_json::Value::as_str)
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .ok_or_else(unreadable)?
        .timestamp();
    if expires <= ctx.now() {
        return Err(fail(format!(
            "the SSO token expired at {}",
            crate::env::rfc3339(expires)
        )));
    }
    Ok(token.to_owned())
}

// ---------------------------------------------------------------------------------------------
// The portal

/// One account and role the session is granted.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Grant {
    account_id: String,
    account_name: String,
    email: String,
    role_name: String,
}

/// What every portal call shares.
struct Call {
    client: aws_sdk_sso::Client,
    token: String,
    session: String,
    endpoint: String,
    timeout: i64,
}

/// An SSO portal client on its own current-thread runtime.
struct Portal {
    call: Arc<Call>,
    aws: Aws,
}

impl Portal {
    /// A client for the portal in `region`, at `AWS_ENDPOINT_URL_SSO` (else
    /// `AWS_ENDPOINT_URL`) when set, bounded as STS calls are, sending `token`.
    fn new(
        ctx: &Context,
        config: &Config,
        region: &str,
        session: &str,
        token: String,
    ) -> Result<Self> {
        let settings = Settings::load(ctx, Some(config), None, Some(region))?
            .for_service(crate::aws::Service::SSO)
            .default_attempts(ATTEMPTS);
        let endpoint = super::portal_endpoint(&settings)?;
        let timeout = settings.timeout();
        let aws = Aws::new(settings)?;
        let call = Call {
            client: super::portal_client(&aws),
            token,
            session: session.to_owned(),
            endpoint,
            timeout,
        };
        Ok(Self {
            call: Arc::new(call),
            aws,
        })
    }

    /// Every account and role the token is granted, sorted by account id and role name:
    /// ListAccounts page by page, then ListAccountRoles for up to `CONCURRENCY` accounts at
    /// once.
    fn grants(&self) -> Result<Vec<Grant>> {
        let call = Arc::clone(&self.call);
        let mut grants = self.aws.block_on(async move {
            let accounts = call.accounts().await?;
            let mut tasks = tokio::task::JoinSet::new();
            let mut pending = accounts.into_iter();
            let mut grants = Vec::new();
            loop {
                while tasks.len() < CONCURRENCY {
                    let Some(account) = pending.next() else { break };
                    let call = Arc::clone(&call);
                    tasks.spawn(async move { call.roles(account).await });
                }
                match tasks.join_next().await {
                    Some(Ok(found)) => grants.extend(found?),
                    Some(Err(e)) => {
                        return Err(Error::Credentials(format!(
                            "sso-session `{}`: listing roles stopped: {e}; retry",
                            call.session
                        )));
                    }
                    None => return Ok::<_, Error>(grants),
                }
            }
        })?;
        grants.sort_by(|a, b| (&a.account_id, &a.role_name).cmp(&(&b.account_id, &b.role_name)));
        grants.dedup_by(|a, b| a.account_id == b.account_id && a.role_name == b.role_name);
        Ok(grants)
    }
}

/// An account as ListAccounts gives it.
#[derive(Debug, Clone)]
struct Account {
    id: String,
    name: String,
    email: String,
}

impl Call {
    /// ListAccounts, every page.
    async fn accounts(&self) -> Result<Vec<Account>> {
        let mut accounts = Vec::new();
        let mut pages = Pages::default();
        loop {
            let page = self
                .client
                .list_accounts()
                .access_token(&self.token)
                .set_next_token(pages.next.clone())
                .max_results(100)
                .send()
                .await
                .map_err(|e| self.failure(e))?;
            for info in page.account_list() {
                let id = info.account_id().unwrap_or_default().to_owned();
                if !valid_account_id(&id) {
                    self.skipped(&format!("an account with id {id:?}"));
                    continue;
                }
                accounts.push(Account {
                    name: info.account_name().unwrap_or_default().to_owned(),
                    email: info.email_address().unwrap_or_default().to_owned(),
                    id,
                });
            }
            if !pages.advance(page.next_token(), self)? {
                return Ok(accounts);
            }
        }
    }

    /// ListAccountRoles for one account, every page.
    async fn roles(&self, account: Account) -> Result<Vec<Grant>> {
        let mut grants = Vec::new();
        let mut pages = Pages::default();
        loop {
            let page = self
                .client
                .list_account_roles()
                .access_token(&self.token)
                .account_id(&account.id)
                .set_next_token(pages.next.clone())
                .max_results(100)
                .send()
                .await
                .map_err(|e| self.failure(e))?;
            for role in page.role_list() {
                let name = role.role_name().unwrap_or_default();
                if !valid_role_name(name) {
                    self.skipped(&format!("role {name:?} of account {}", account.id));
                    continue;
                }
                grants.push(Grant {
                    account_id: account.id.clone(),
                    account_name: account.name.clone(),
                    email: account.email.clone(),
                    role_name: name.to_owned(),
                });
            }
            if !pages.advance(page.next_token(), self)? {
                return Ok(grants);
            }
        }
    }

    fn skipped(&self, what: &str) {
        eprintln!(
            "awsenv: warning: sso-session `{}`: skipped {what}: the portal sent a value no profile can hold",
            self.session
        );
    }

    /// One line for a portal error, by its code where it has one.
    fn failure<E, R>(&self, error: SdkError<E, R>) -> Error
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + 'static,
    {
        let session = &self.session;
        let endpoint = &self.endpoint;
        let message = match &error {
            SdkError::TimeoutError(_) => format!(
                "no answer from the SSO portal at {endpoint} within {} s; check the network or AWSENV_STS_TIMEOUT",
                self.timeout
            ),
            SdkError::DispatchFailure(_) => {
                crate::aws::untrusted_certificate(endpoint, &error).unwrap_or_else(|| {
                    format!(
                        "could not reach the SSO portal at {endpoint}; check the network or AWS_ENDPOINT_URL_SSO"
                    )
                })
            }
            SdkError::ResponseError(_) => format!(
                "the SSO portal at {endpoint} sent a reply awsenv could not read; check AWS_ENDPOINT_URL_SSO or retry"
            ),
            _ => match error.code() {
                Some("UnauthorizedException") => format!(
                    "the SSO portal refused the token (expired or signed out); run `awsenv sso login --sso-session {session}`"
                ),
                Some("TooManyRequestsException") => {
                    "the SSO portal is throttling requests; wait a moment and retry".to_owned()
                }
                Some(code) => format!(
                    "the SSO portal refused the request ({code}: {}); check the session's sso_region and retry",
                    one_line(error.message().unwrap_or_default())
                ),
                None => format!(
                    "the SSO portal at {endpoint} sent a reply awsenv could not read; check AWS_ENDPOINT_URL_SSO or retry"
                ),
            },
        };
        Error::Credentials(format!("sso-session `{session}`: {message}"))
    }
}

/// Where a paginated listing is: the token of the next page, and every token seen.
#[derive(Default)]
struct Pages {
    next: Option<String>,
    seen: HashSet<String>,
}

impl Pages {
    /// Take the page's `nextToken`: whether there is another page. A token seen before, or
    /// too many pages, is an error rather than a loop.
    fn advance(&mut self, token: Option<&str>, call: &Call) -> Result<bool> {
        let Some(token) = token.filter(|t| !t.is_empty()) else {
            return Ok(false);
        };
        if !self.seen.insert(token.to_owned()) || self.seen.len() > MAX_PAGES {
            return Err(Error::Credentials(format!(
                "sso-session `{}`: the SSO portal at {} keeps sending pages (nextToken repeats); retry later",
                call.session, call.endpoint
            )));
        }
        self.next = Some(token.to_owned());
        Ok(true)
    }
}

fn valid_account_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 32 && id.bytes().all(|b| b.is_ascii_digit())
}

/// IAM's role-name alphabet: nothing that could break a line of the config file.
fn valid_role_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b))
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

// ---------------------------------------------------------------------------------------------
// Names

/// One piece of `--template`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Placeholder(&'static str),
}

/// `--template`, parsed: text and `{placeholder}`s.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Template(Vec<Piece>);

impl Template {
    fn parse(text: &str) -> Result<Self> {
        let bad = |why: String| {
            Error::Usage(format!(
                "--template `{text}`: {why}; use {}",
                PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(", ")
            ))
        };
        let mut pieces = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            match rest.find(['{', '}']) {
                Some(i) if rest[i..].starts_with('}') => {
                    return Err(bad("a `}` closes nothing".into()));
                }
                Some(i) => {
                    if i > 0 {
                        pieces.push(Piece::Text(rest[..i].to_owned()));
                    }
                    let after = &rest[i + 1..];
                    let end = after
                        .find('}')
                        .ok_or_else(|| bad("a `{` is never closed".into()))?;
                    let name = &after[..end];
                    let known = PLACEHOLDERS
                        .iter()
                        .find(|p| **p == name)
                        .ok_or_else(|| bad(format!("unknown placeholder `{{{name}}}`")))?;
                    pieces.push(Piece::Placeholder(known));
                    rest = &after[end + 1..];
                }
                None => {
                    pieces.push(Piece::Text(rest.to_owned()));
                    rest = "";
                }
            }
        }
        if !pieces.iter().any(|p| matches!(p, Piece::Placeholder(_))) {
            return Err(bad(
                "it names no placeholder, so every profile would get one name".into(),
            ));
        }
        Ok(Self(pieces))
    }

    /// The profile name for `grant`, before it is made unique: each value made valid on its
    /// own (an account name of no valid character stands in as the account id).
    fn render(&self, grant: &Grant, session: &str) -> String {
        let mut text = String::new();
        for piece in &self.0 {
            match piece {
                Piece::Text(t) => text.push_str(t),
                Piece::Placeholder(p) => {
                    let value = match *p {
                        "account_name" => Some(sanitize(&grant.account_name))
                            .filter(|v| !v.is_empty())
                            .unwrap_or_else(|| grant.account_id.clone()),
                        "account_id" => grant.account_id.clone(),
                        "role_name" => sanitize(&grant.role_name),
                        "email" => sanitize(&grant.email),
                        _ => sanitize(session),
                    };
                    text.push_str(&value);
                }
            }
        }
        let name = sanitize(&text);
        if name.is_empty() {
            sanitize(&format!("{}/{}", grant.account_id, grant.role_name))
        } else {
            name
        }
    }
}

/// A character aws-config accepts in a profile name; it drops any profile with another.
fn valid_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_-/.%@:+".contains(c)
}

/// `text` in aws-config's profile-name alphabet: each run of other characters becomes one
/// `-`, and none is left at either end (`Dev Account/Admin` → `Dev-Account/Admin`).
fn sanitize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut gap = false;
    for c in text.chars() {
        if valid_name_char(c) {
            if gap && !out.is_empty() {
                out.push('-');
            }
            gap = false;
            out.push(c);
        } else {
            gap = true;
        }
    }
    out
}

/// A name for each grant (same order), unique among themselves and against `taken`. A name
/// that two grants share, or that is taken, gets `-ACCOUNT_ID`; what still clashes gets
/// `-2`, `-3`… in grant order. Grants come sorted, so the same grants give the same names.
fn unique_names(bases: &[String], grants: &[Grant], taken: &BTreeSet<String>) -> Vec<String> {
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for base in bases {
        *count.entry(base).or_default() += 1;
    }
    let mut used = taken.clone();
    bases
        .iter()
        .zip(grants)
        .map(|(base, grant)| {
            let name = if count[base.as_str()] > 1 || taken.contains(base) {
                format!("{base}-{}", grant.account_id)
            } else {
                base.clone()
            };
            let mut unique = name.clone();
            let mut n = 2;
            while used.contains(&unique) {
                unique = format!("{name}-{n}");
                n += 1;
            }
            used.insert(unique.clone());
            unique
        })
        .collect()
}

/// Profile names that are not the block's own: sections outside the block, the credentials
/// file's profiles, and `default` (a generated profile must never become the default).
fn names_outside(config: &Config, original: &[u8], block: Option<&Block>) -> BTreeSet<String> {
    let inside: BTreeSet<&str> = block
        .map(|b| b.sections.iter().map(|s| s.name.as_str()).collect())
        .unwrap_or_default();
    let mut taken: BTreeSet<String> = config
        .names()
        .into_iter()
        .filter(|n| !inside.contains(n))
        .map(str::to_owned)
        .collect();
    let (start, end) = block.map_or((original.len(), original.len()), |b| (b.start, b.end));
    for part in [&original[..start], &original[end..]] {
        for line in lines(part) {
            if let Some(name) = section_name(&String::from_utf8_lossy(line.text)) {
                taken.insert(name);
            }
        }
    }
    taken.insert("default".to_owned());
    taken
}

/// The block's profiles for `grants`, sorted by name.
fn profiles(
    grants: &[Grant],
    template: &Template,
    session: &str,
    region: Option<&str>,
    taken: &BTreeSet<String>,
) -> Vec<Section> {
    let bases: Vec<String> = grants.iter().map(|g| template.render(g, session)).collect();
    let names = unique_names(&bases, grants, taken);
    let mut sections: Vec<Section> = names
        .into_iter()
        .zip(grants)
        .map(|(name, grant)| {
            let mut lines = vec![
                format!("[profile {name}]"),
                format!("sso_session = {session}"),
                format!("sso_account_id = {}", grant.account_id),
                format!("sso_role_name = {}", grant.role_name),
            ];
            if let Some(region) = region {
                lines.push(format!("region = {region}"));
            }
            Section { name, lines }
        })
        .collect();
    sections.sort_by(|a, b| a.name.cmp(&b.name));
    sections
}

// ---------------------------------------------------------------------------------------------
// The block

/// One profile of the block: its name and its lines (header first, no line endings).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Section {
    name: String,
    lines: Vec<String>,
}

/// The block awsenv owns for one session: where it is in the file and its profiles.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Block {
    /// Byte offset of the BEGIN line.
    start: usize,
    /// Byte offset just past the END line (and its line ending).
    end: usize,
    sections: Vec<Section>,
}

fn begin_marker(session: &str) -> String {
    format!("# BEGIN awsenv sso populate {session}")
}

fn end_marker(session: &str) -> String {
    format!("# END awsenv sso populate {session}")
}

impl Block {
    /// The session's block in `bytes`, or `None`; a BEGIN without its END (or the reverse,
    /// or two blocks) is an error, and nothing is changed.
    fn find(bytes: &[u8], session: &str, path: &Path) -> Result<Option<Self>> {
        let (begin, end) = (begin_marker(session), end_marker(session));
        let broken = |what: &str| {
            Error::Usage(format!(
                "sso-session `{session}`: {} {what}; fix the marker lines (`{begin}` … `{end}`) and run again",
                path.display()
            ))
        };
        // The BEGIN line's start and the start of the line after it.
        let mut open: Option<(usize, usize)> = None;
        let mut block: Option<Self> = None;
        for line in lines(bytes) {
            let (is_begin, is_end) = (is_marker(line.text, &begin), is_marker(line.text, &end));
            if (is_begin || is_end) && block.is_some() {
                return Err(broken("has the block's marker lines more than once"));
            }
            if is_begin {
                if open.is_some() {
                    return Err(broken("has the block's BEGIN line twice"));
                }
                open = Some((line.start, line.end));
            } else if is_end {
                let Some((start, body)) = open.take() else {
                    return Err(broken(
                        "has the block's END line with no BEGIN line before it",
                    ));
                };
                block = Some(Self {
                    start,
                    end: line.end,
                    sections: parse_sections(&bytes[body..line.start]),
                });
            }
        }
        match open {
            Some(_) => Err(broken("has the block's BEGIN line but no END line")),
            None => Ok(block),
        }
    }
}

/// The profiles between the markers: each header and the lines up to the next one, trailing
/// blank lines dropped; anything before the first header is dropped.
fn parse_sections(body: &[u8]) -> Vec<Section> {
    let mut sections: Vec<Section> = Vec::new();
    for line in lines(body) {
        let text = String::from_utf8_lossy(line.text).into_owned();
        if let Some(name) = section_name(&text) {
            sections.push(Section {
                name,
                lines: vec![text.trim().to_owned()],
            });
        } else if let Some(last) = sections.last_mut() {
            last.lines.push(text);
        }
    }
    for section in &mut sections {
        while section.lines.last().is_some_and(|l| l.trim().is_empty()) {
            section.lines.pop();
        }
    }
    sections
}

/// The block's lines as they are written, with `eol` after each.
fn render_block(session: &str, sections: &[&Section], eol: &str) -> String {
    let mut text = format!(
        "{} (generated: awsenv rewrites this block; edit outside it){eol}",
        begin_marker(session)
    );
    for (i, section) in sections.iter().enumerate() {
        if i > 0 {
            text.push_str(eol);
        }
        for line in &section.lines {
            text.push_str(line);
            text.push_str(eol);
        }
    }
    text.push_str(&end_marker(session));
    text.push_str(eol);
    text
}

// ---------------------------------------------------------------------------------------------
// The change

/// The old block's profiles against the new ones.
struct Plan<'a> {
    added: Vec<Section>,
    updated: Vec<(&'a Section, Section)>,
    removed: Vec<&'a Section>,
    /// No longer granted, kept without `--prune`.
    kept: Vec<&'a Section>,
    unchanged: Vec<Section>,
}

impl<'a> Plan<'a> {
    fn new(old: &'a [Section], fresh: Vec<Section>, prune: bool) -> Self {
        let by_name: BTreeMap<&str, &Section> = old.iter().map(|s| (s.name.as_str(), s)).collect();
        let fresh_names: BTreeSet<String> = fresh.iter().map(|s| s.name.clone()).collect();
        let mut plan = Plan {
            added: Vec::new(),
            updated: Vec::new(),
            removed: Vec::new(),
            kept: Vec::new(),
            unchanged: Vec::new(),
        };
        for section in fresh {
            match by_name.get(section.name.as_str()) {
                None => plan.added.push(section),
                Some(old) if **old == section => plan.unchanged.push(section),
                Some(old) => plan.updated.push((old, section)),
            }
        }
        for (name, section) in by_name {
            if !fresh_names.contains(name) {
                if prune {
                    plan.removed.push(section);
                } else {
                    plan.kept.push(section);
                }
            }
        }
        plan
    }

    /// Every profile the block will hold, sorted by name.
    fn sections(&self) -> Vec<&Section> {
        let mut all: Vec<&Section> = self
            .added
            .iter()
            .chain(self.updated.iter().map(|(_, new)| new))
            .chain(&self.unchanged)
            .chain(self.kept.iter().copied())
            .collect();
        all.sort_by(|a, b| a.name.cmp(&b.name));
        all
    }

    /// The file with the block replaced (or appended); every other byte as it was.
    fn apply(&self, original: &[u8], block: Option<&Block>, session: &str) -> Vec<u8> {
        let sections = self.sections();
        let eol = line_ending(original);
        match block {
            Some(b) => {
                let mut out = original[..b.start].to_vec();
                out.extend_from_slice(render_block(session, &sections, eol).as_bytes());
                out.extend_from_slice(&original[b.end..]);
                out
            }
            None if sections.is_empty() => original.to_vec(),
            None => {
                let mut out = original.to_vec();
                if !out.is_empty() {
                    if !out.ends_with(b"\n") {
                        out.extend_from_slice(eol.as_bytes());
                    }
                    out.extend_from_slice(eol.as_bytes());
                }
                out.extend_from_slice(render_block(session, &sections, eol).as_bytes());
                out
            }
        }
    }

    /// The profiles added (`+`), removed (`-`) and changed (`-` then `+`), by name.
    fn diff(&self) -> String {
        let mut entries: Vec<(&str, String)> = Vec::new();
        let lines = |prefix: char, section: &Section| -> String {
            section
                .lines
                .iter()
                .map(|l| format!("{prefix}{l}\n"))
                .collect()
        };
        for section in &self.added {
            entries.push((&section.name, lines('+', section)));
        }
        for (old, new) in &self.updated {
            entries.push((&new.name, lines('-', old) + &lines('+', new)));
        }
        for section in &self.removed {
            entries.push((&section.name, lines('-', section)));
        }
        entries.sort_by(|a, b| a.0.cmp(b.0));
        entries.into_iter().map(|(_, text)| text).collect()
    }

    fn summary(&self, path: &Path, changed: bool, dry_run: bool) -> String {
        let mut text = format!(
            "{} added, {} updated, {} removed, {} unchanged",
            self.added.len(),
            self.updated.len(),
            self.removed.len(),
            self.unchanged.len()
        );
        if !self.kept.is_empty() {
            text.push_str(&format!(
                "; {} no longer granted, kept (--prune removes them)",
                self.kept.len()
            ));
        }
        let path = path.display();
        text.push_str(&match (changed, dry_run) {
            (false, _) => format!("; {path} needs no change"),
            (true, true) => format!("; dry run, {path} not written"),
            (true, false) => format!("; wrote {path}"),
        });
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(id: &str, account: &str, role: &str) -> Grant {
        Grant {
            account_id: id.into(),
            account_name: account.into(),
            email: format!("{id}@example.com"),
            role_name: role.into(),
        }
    }

    fn names(grants: &[Grant], template: &str, taken: &[&str]) -> Vec<String> {
        let template = Template::parse(template).unwrap();
        let taken = taken.iter().map(|t| t.to_string()).collect();
        let bases: Vec<String> = grants.iter().map(|g| template.render(g, "corp")).collect();
        unique_names(&bases, grants, &taken)
    }

    #[test]
    fn names_keep_to_the_sdk_alphabet() {
        assert_eq!(sanitize("Dev Account/Admin"), "Dev-Account/Admin");
        assert_eq!(sanitize("  Prod (EU) "), "Prod-EU");
        assert_eq!(sanitize("Ünïcode"), "n-code");
        assert_eq!(sanitize("a_b-c/d.e%f@g:h+i"), "a_b-c/d.e%f@g:h+i");
        assert_eq!(sanitize("x,y=z"), "x-y-z");
        let got = names(
            &[
                grant("111111111111", "Dev Account", "Admin"),
                grant("2", "本番", "Read,Only"),
            ],
            "{account_name}/{role_name}",
            &[],
        );
        assert_eq!(got, ["Dev-Account/Admin", "2/Read-Only"]);
        for name in &got {
            assert!(name.chars().all(valid_name_char), "{name}");
        }
    }

    #[test]
    fn clashing_names_get_the_account_id_then_a_counter() {
        let grants = [
            grant("111", "Dev", "Admin"),
            grant("222", "Dev", "Admin"),
            grant("333", "Prod", "Admin"),
            grant("333", "Prod", "Ad min"),
            grant("333", "Prod", "Ad-min"),
        ];
        let got = names(&grants, "{account_name}/{role_name}", &["Prod/Admin"]);
        assert_eq!(
            got,
            [
                "Dev/Admin-111",
                "Dev/Admin-222",
                "Prod/Admin-333",
                "Prod/Ad-min-333",
                "Prod/Ad-min-333-2"
            ]
        );
        // The same grants give the same names.
        assert_eq!(
            got,
            names(&grants, "{account_name}/{role_name}", &["Prod/Admin"])
        );
        let unique: BTreeSet<&String> = got.iter().collect();
        assert_eq!(unique.len(), got.len());
    }

    #[test]
    fn templates_name_known_placeholders() {
        let g = grant("123456789012", "Dev", "Admin");
        let t = Template::parse("sso-{session}-{account_id}-{role_name}").unwrap();
        assert_eq!(t.render(&g, "corp"), "sso-corp-123456789012-Admin");
        let t = Template::parse("{email}").unwrap();
        assert_eq!(t.render(&g, "corp"), "123456789012@example.com");
        for bad in ["{acount}", "{role_name", "role}", "fixed"] {
            let err = Template::parse(bad).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{bad}");
            assert!(err.to_string().contains("{account_name}"), "{err}");
        }
    }

    const SESSION: &str = "corp";

    fn section(name: &str, role: &str) -> Section {
        Section {
            name: name.into(),
            lines: vec![
                format!("[profile {name}]"),
                "sso_session = corp".into(),
                "sso_account_id = 1".into(),
                format!("sso_role_name = {role}"),
            ],
        }
    }

    fn apply(original: &str, fresh: Vec<Section>, prune: bool) -> String {
        let block = Block::find(original.as_bytes(), SESSION, Path::new("config")).unwrap();
        let old = block.as_ref().map_or(&[][..], |b| b.sections.as_slice());
        let plan = Plan::new(old, fresh, prune);
        String::from_utf8(plan.apply(original.as_bytes(), block.as_ref(), SESSION)).unwrap()
    }

    const AROUND: &str = "# mine\n[profile me]\nregion = eu-west-1   \n\n";
    const AFTER: &str = "[profile later] ; note\nregion=us-east-1";

    #[test]
    fn a_new_block_is_appended_and_then_replaced_in_place() {
        let first = apply(AROUND, vec![section("a", "Admin")], false);
        assert!(first.starts_with(AROUND), "{first}");
        assert!(
            first.contains("[profile a]\nsso_session = corp\n"),
            "{first}"
        );
        assert!(
            first.ends_with("# END awsenv sso populate corp\n"),
            "{first}"
        );
        let with_after = format!("{first}{AFTER}");
        let again = apply(&with_after, vec![section("a", "Admin")], false);
        assert_eq!(again, with_after, "same grants, same bytes");
        let changed = apply(
            &with_after,
            vec![section("a", "Read"), section("b", "X")],
            false,
        );
        assert!(
            changed.starts_with(AROUND) && changed.ends_with(AFTER),
            "{changed}"
        );
        assert!(
            changed.contains("sso_role_name = Read\n\n[profile b]"),
            "{changed}"
        );
    }

    #[test]
    fn stale_profiles_stay_unless_pruned() {
        let first = apply(AROUND, vec![section("a", "A"), section("b", "B")], false);
        let kept = apply(&first, vec![section("b", "B")], false);
        assert_eq!(kept, first);
        let pruned = apply(&first, vec![section("b", "B")], true);
        assert!(
            !pruned.contains("[profile a]") && pruned.contains("[profile b]"),
            "{pruned}"
        );
        assert!(pruned.starts_with(AROUND), "{pruned}");
    }

    #[test]
    fn crlf_files_get_crlf_blocks_and_a_missing_newline_is_added() {
        let out = apply(
            "[profile me]\r\nregion = x\r\n",
            vec![section("a", "A")],
            false,
        );
        assert!(
            out.starts_with("[profile me]\r\nregion = x\r\n\r\n# BEGIN"),
            "{out:?}"
        );
        assert!(
            out.ends_with("sso_role_name = A\r\n# END awsenv sso populate corp\r\n"),
            "{out:?}"
        );
        let out = apply("[profile me]", vec![section("a", "A")], false);
        assert!(out.starts_with("[profile me]\n\n# BEGIN"), "{out:?}");
    }

    #[test]
    fn broken_markers_are_refused() {
        let begin = "# BEGIN awsenv sso populate corp\n[profile a]\n";
        let end = "# END awsenv sso populate corp\n";
        for text in [
            begin.to_owned(),
            end.to_owned(),
            format!("{begin}{end}{begin}{end}"),
            format!("{begin}{begin}{end}"),
        ] {
            let err = Block::find(text.as_bytes(), SESSION, Path::new("config")).unwrap_err();
            assert_eq!(err.exit_code(), 2);
            assert!(err.to_string().contains("marker"), "{err}");
        }
        // Another session's block is not this one's.
        let other = "# BEGIN awsenv sso populate corp2\n# END awsenv sso populate corp2\n";
        assert!(
            Block::find(other.as_bytes(), SESSION, Path::new("c"))
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn names_outside_the_block_are_read_from_headers() {
        assert_eq!(section_name("[profile  a b ]").as_deref(), Some("a b"));
        assert_eq!(section_name(" [default]").as_deref(), Some("default"));
        assert_eq!(section_name("[profiles]"), None);
        assert_eq!(section_name("[sso-session corp]"), None);
    }

    #[test]
    fn the_diff_shows_added_changed_and_removed_profiles() {
        let old = [section("a", "A"), section("b", "B"), section("c", "C")];
        let plan = Plan::new(
            &old,
            vec![section("b", "B2"), section("c", "C"), section("d", "D")],
            true,
        );
        let diff = plan.diff();
        assert!(diff.starts_with("-[profile a]\n"), "{diff}");
        assert!(diff.contains("-sso_role_name = B\n+[profile b]"), "{diff}");
        assert!(diff.contains("+[profile d]\n"), "{diff}");
        assert!(!diff.contains("profile c"), "{diff}");
    }

    #[test]
    fn the_token_file_is_named_as_the_aws_cli_names_it() {
        let path = token_path(Path::new("/h"), "my-sso");
        let expected = Path::new("/h/.aws/sso/cache/0ad374308c5a4e22f723adf10145eafad7c4031c.json");
        assert_eq!(path.file_name(), expected.file_name());
    }

    #[test]
    fn tokens_must_be_there_and_unexpired() {
        let home = tempfile::tempdir().unwrap();
        let h = home.path().display().to_string();
        let ctx = Context::fake(&[("HOME", &h)], 1_700_000_000);
        let err = cached_token(&ctx, "corp").unwrap_err();
        assert_eq!(err.exit_code(), 1);
        assert!(
            err.to_string()
                .contains("awsenv sso login --sso-session corp"),
            "{err}"
        );
        let path = token_path(home.path(), "corp");
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(
            &path,
            r#"{"accessToken":"SECRETTOKEN","expiresAt":"2023-11-14T22:13:19Z"}"#,
        )
        .unwrap();
        let err = cached_token(&ctx, "corp").unwrap_err().to_string();
        assert!(
            err.contains("expired at 2023-11-14T22:13:19Z") && !err.contains("SECRET"),
            "{err}"
        );
        fs::write(
            &path,
            r#"{"accessToken":"SECRETTOKEN","expiresAt":"2023-11-14T22:13:21.5Z"}"#,
        )
        .unwrap();
        assert_eq!(cached_token(&ctx, "corp").unwrap(), "SECRETTOKEN");
    }
}
