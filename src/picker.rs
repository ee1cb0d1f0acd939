//! The profile picker (`assume`, `exec` and `console` with no profile, on a terminal) and
//! the recent-profiles file behind its order and behind `awsenv assume -`.
//!
//! The picker draws on the terminal through stderr and reads keys from the terminal itself,
//! never touching stdout, so `eval "$(awsenv assume)"` works. The recent file is a small JSON
//! list in the cache directory (0600, written atomically, capped); a corrupt one is empty.

use ::console::{Key, Style, Term, truncate_str};
use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Matcher, Utf32String};
use serde::{Deserialize, Serialize};

use crate::cache::Cache;
use crate::env::Context;
use crate::error::{Error, Result};
use crate::profile::{self, Config, Kind, Profile};

/// The file in the cache directory; not `.json`, so it is never taken for a credential entry.
const RECENT_FILE: &str = "recent-profiles";
/// How many names the recent file keeps.
const RECENT_CAP: usize = 50;
/// Rows of profiles the picker shows at once (fewer on a small terminal).
const ROWS: usize = 15;
/// A profile name longer than this is not one the config can hold; a recent file that lists
/// one is not ours.
const MAX_NAME: usize = 512;

/// The recently used profiles, most recent first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recent {
    names: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct Stored {
    recent: Vec<String>,
}

impl Recent {
    /// The recent file of the cache directory; empty when missing, corrupt or untrusted.
    pub fn load(ctx: &Context) -> Self {
        Cache::open(ctx)
            .and_then(|cache| cache.read_file(RECENT_FILE))
            .map_or_else(Self::default, |bytes| Self::parse(&bytes))
    }

    /// The names in `bytes`, or none when they are not a recent file of ours.
    fn parse(bytes: &[u8]) -> Self {
        let Ok(stored) = serde_json::from_slice::<Stored>(bytes) else {
            return Self::default();
        };
        let mut names: Vec<String> = Vec::new();
        for name in stored.recent {
            if name.is_empty() || name.len() > MAX_NAME || name.chars().any(char::is_control) {
                return Self::default();
            }
            if !names.contains(&name) {
                names.push(name);
            }
        }
        names.truncate(RECENT_CAP);
        Self { names }
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The profile before `current`, as `cd -` has it: the most recent one that is not it.
    pub fn previous(&self, current: Option<&str>) -> Option<&str> {
        self.names
            .iter()
            .map(String::as_str)
            .find(|name| Some(*name) != current)
    }

    /// The list with `profile` first, or `None` when it already is.
    fn with_first(&self, profile: &str) -> Option<Self> {
        if self.names.first().map(String::as_str) == Some(profile) {
            return None;
        }
        let mut names = vec![profile.to_owned()];
        names.extend(self.names.iter().filter(|n| *n != profile).cloned());
        names.truncate(RECENT_CAP);
        Some(Self { names })
    }
}

/// Put `profile` first in the recent file, after a successful assume, exec or console. A
/// file that cannot be written costs one warning, never the command.
pub fn remember(ctx: &Context, profile: &str) {
    let Some(cache) = Cache::open(ctx) else {
        return;
    };
    let recent = cache
        .read_file(RECENT_FILE)
        .map_or_else(Recent::default, |bytes| Recent::parse(&bytes));
    let Some(updated) = recent.with_first(profile) else {
        return;
    };
    let stored = Stored {
        recent: updated.names,
    };
    let written = serde_json::to_vec(&stored)
        .map_err(std::io::Error::from)
        .and_then(|json| cache.write_file(RECENT_FILE, &json));
    if let Err(e) = written {
        eprintln!("awsenv: warning: cannot record the recent profiles ({e})");
    }
}

/// One profile as the picker shows it and matches on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub name: String,
    pub account: Option<String>,
    pub role: Option<String>,
}

/// Every profile that can give credentials, recent ones first (most recent first), the rest
/// by name. One pass over the profiles: with 10,000 of them, each lookup counts.
pub fn choices(config: &Config, recent: &Recent) -> Vec<Choice> {
    let choice = |name: &str| {
        let profile = config.get(name)?;
        if profile::kind_of(profile) == Kind::None && !config.in_keyring(name) {
            return None;
        }
        let (account, role) = account_and_role(profile);
        Some(Choice {
            name: name.to_owned(),
            account,
            role,
        })
    };
    let mut choices: Vec<Choice> = recent.names().iter().filter_map(|n| choice(n)).collect();
    let recent_set: std::collections::HashSet<&str> =
        recent.names().iter().map(String::as_str).collect();
    choices.extend(
        config
            .names()
            .into_iter()
            .filter(|name| !recent_set.contains(name))
            .filter_map(choice),
    );
    choices
}

/// The account id and role name of a role or SSO profile.
fn account_and_role(profile: &Profile) -> (Option<String>, Option<String>) {
    if let Some(arn) = profile.get("role_arn") {
        // arn:PARTITION:iam::ACCOUNT:role/PATH/NAME
        let mut parts = arn.splitn(6, ':');
        let account = parts.nth(4).filter(|a| !a.is_empty()).map(str::to_owned);
        let role = parts
            .next()
            .and_then(|resource| resource.rsplit('/').next())
            .filter(|r| !r.is_empty())
            .map(str::to_owned);
        return (account, role);
    }
    (
        profile.get("sso_account_id").map(str::to_owned),
        profile.get("sso_role_name").map(str::to_owned),
    )
}

/// The line the picker shows (and matches on): a mark for the current profile, the name,
/// account id and role name in columns.
fn label(choice: &Choice, width: usize, current: Option<&str>) -> String {
    let mark = if current == Some(choice.name.as_str()) {
        '*'
    } else {
        ' '
    };
    let mut line = format!("{mark} {:<width$}", choice.name);
    for extra in [&choice.account, &choice.role].into_iter().flatten() {
        line.push_str("  ");
        line.push_str(extra);
    }
    // A control character in a name must not drive the terminal.
    line.trim_end()
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// Whether a picker can be shown: a terminal to draw on.
pub fn available() -> bool {
    Term::stderr().is_term()
}

/// Let the user pick a profile on the terminal; `Error::Cancelled` on Esc or Ctrl-C.
pub fn pick(ctx: &Context, config: &Config) -> Result<String> {
    let choices = choices(config, &Recent::load(ctx));
    if choices.is_empty() {
        return Err(Error::Usage(format!(
            "no profile given, and {} and {} hold none to pick from; add one, or name one",
            config.config_path().display(),
            config.credentials_path().display()
        )));
    }
    let current = ctx.var(crate::env::PROFILE);
    let width = choices
        .iter()
        .map(|c| c.name.chars().count())
        .max()
        .unwrap_or(0)
        .min(40);
    let labels: Vec<String> = choices.iter().map(|c| label(c, width, current)).collect();
    let term = Term::stderr();
    let mut screen = Screen {
        term: &term,
        drawn: 0,
    };
    let picked = screen.run(&labels);
    let cleared = screen.clear().and_then(|()| term.show_cursor());
    let failed = |e: std::io::Error| {
        Error::Usage(format!(
            "the profile picker failed ({e}); name a profile instead"
        ))
    };
    match picked.map_err(failed)? {
        Some(i) => {
            cleared.map_err(failed)?;
            Ok(choices[i].name.clone())
        }
        None => Err(Error::Cancelled),
    }
}

/// The labels that match `query`, best first; equal scores keep the given (recent-first)
/// order. All of them for an empty query.
pub fn filter(haystacks: &[Utf32String], query: &str, matcher: &mut Matcher) -> Vec<usize> {
    let pattern = Pattern::parse(query, CaseMatching::Ignore, Normalization::Never);
    if pattern.atoms.is_empty() {
        return (0..haystacks.len()).collect();
    }
    let mut scored: Vec<(u32, usize)> = haystacks
        .iter()
        .enumerate()
        .filter_map(|(i, h)| pattern.score(h.slice(..), matcher).map(|s| (s, i)))
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().map(|(_, i)| i).collect()
}

/// The picker's lines on the terminal, and how many are drawn, so each frame replaces the
/// last and leaving clears them all.
struct Screen<'a> {
    term: &'a Term,
    drawn: usize,
}

impl Screen<'_> {
    /// The index into `labels` picked, or `None` when cancelled.
    fn run(&mut self, labels: &[String]) -> std::io::Result<Option<usize>> {
        // Matched without the mark, so `^name` anchors at the name.
        let haystacks: Vec<Utf32String> = labels.iter().map(|l| l[2..].into()).collect();
        let mut matcher = Matcher::new(nucleo_matcher::Config::DEFAULT);
        let mut query = String::new();
        let mut shown = filter(&haystacks, &query, &mut matcher);
        let (mut selected, mut top) = (0usize, 0usize);
        self.term.hide_cursor()?;
        loop {
            let rows = self.rows();
            if selected < top {
                top = selected;
            } else if selected >= top + rows {
                top = selected + 1 - rows;
            }
            self.draw(labels, &query, &shown, selected, top, rows)?;
            let mut changed = false;
            match self.term.read_key_raw()? {
                Key::Escape | Key::CtrlC => return Ok(None),
                // Esc with a key typed hard on its heels arrives as one unknown sequence.
                Key::UnknownEscSeq(seq) if seq.first() != Some(&'[') => return Ok(None),
                Key::Enter => {
                    if let Some(&i) = shown.get(selected) {
                        return Ok(Some(i));
                    }
                }
                Key::ArrowUp | Key::BackTab => selected = selected.saturating_sub(1),
                Key::ArrowDown | Key::Tab => {
                    selected = (selected + 1).min(shown.len().saturating_sub(1));
                }
                Key::PageUp => selected = selected.saturating_sub(rows),
                Key::PageDown => selected = (selected + rows).min(shown.len().saturating_sub(1)),
                Key::Backspace => changed = query.pop().is_some(),
                // Ctrl-U: clear the query.
                Key::Char('\u{15}') => changed = !std::mem::take(&mut query).is_empty(),
                Key::Char(c) if !c.is_control() => {
                    query.push(c);
                    changed = true;
                }
                _ => {}
            }
            if changed {
                shown = filter(&haystacks, &query, &mut matcher);
                (selected, top) = (0, 0);
            }
        }
    }

    /// Rows of profiles that fit: at most `ROWS`, two lines left for the prompt and the count.
    fn rows(&self) -> usize {
        let height = usize::from(self.term.size().0);
        height.saturating_sub(2).clamp(1, ROWS)
    }

    fn draw(
        &mut self,
        labels: &[String],
        query: &str,
        shown: &[usize],
        selected: usize,
        top: usize,
        rows: usize,
    ) -> std::io::Result<()> {
        // A line longer than the terminal wraps and would throw the line count off.
        let width = usize::from(self.term.size().1).max(10) - 1;
        let bold = Style::new().for_stderr().bold();
        let picked = Style::new().for_stderr().reverse();
        let dim = Style::new().for_stderr().dim();
        let mut frame = String::new();
        let prompt = format!("Profile > {query}");
        frame.push_str(&format!(
            "{}\n",
            bold.apply_to(truncate_str(&prompt, width, "…"))
        ));
        for (row, &i) in shown.iter().enumerate().skip(top).take(rows) {
            if row == selected {
                let line = format!("> {}", labels[i]);
                let line = truncate_str(&line, width, "…");
                frame.push_str(&format!("{}\n", picked.apply_to(line)));
            } else {
                let line = format!("  {}", labels[i]);
                frame.push_str(&format!("{}\n", truncate_str(&line, width, "…")));
            }
        }
        let status = format!(
            "{}/{}  (type to filter, Enter to pick, Esc to cancel)",
            shown.len(),
            labels.len()
        );
        frame.push_str(&format!(
            "{}\n",
            dim.apply_to(truncate_str(&status, width, "…"))
        ));
        self.clear()?;
        self.term.write_str(&frame)?;
        self.drawn = frame.matches('\n').count();
        self.term.flush()
    }

    fn clear(&mut self) -> std::io::Result<()> {
        let drawn = std::mem::take(&mut self.drawn);
        if drawn > 0 {
            self.term.clear_last_lines(drawn)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recent(names: &[&str]) -> Recent {
        Recent {
            names: names.iter().map(|n| n.to_string()).collect(),
        }
    }

    #[test]
    fn a_corrupt_recent_file_is_empty() {
        for bad in [
            &b"not json"[..],
            b"{\"recent\": 3}",
            b"{\"recent\": [\"a\", 1]}",
            b"{\"recent\": [\"\"]}",
            b"{\"recent\": [\"a\\nb\"]}",
            b"\xff\xfe",
            b"",
        ] {
            assert_eq!(Recent::parse(bad), Recent::default(), "{bad:?}");
        }
        let many: Vec<String> = (0..200).map(|i| format!("\"p{i}\"")).collect();
        let text = format!("{{\"recent\": [\"a\", \"a\", {}]}}", many.join(","));
        let parsed = Recent::parse(text.as_bytes());
        assert_eq!(parsed.names().len(), RECENT_CAP);
        assert_eq!(&parsed.names()[..2], ["a", "p0"]);
    }

    #[test]
    fn previous_is_the_most_recent_other_than_the_current() {
        let r = recent(&["b", "a", "c"]);
        assert_eq!(r.previous(Some("b")), Some("a"));
        assert_eq!(r.previous(Some("a")), Some("b"));
        assert_eq!(r.previous(None), Some("b"));
        assert_eq!(recent(&["b"]).previous(Some("b")), None);
        assert_eq!(Recent::default().previous(None), None);
    }

    #[test]
    fn remembering_moves_a_name_first_and_caps_the_list() {
        let r = recent(&["b", "a", "c"]);
        assert_eq!(r.with_first("b"), None);
        assert_eq!(r.with_first("c").unwrap(), recent(&["c", "b", "a"]));
        let names: Vec<String> = (0..RECENT_CAP).map(|i| format!("p{i}")).collect();
        let full = Recent { names };
        let updated = full.with_first("new").unwrap();
        assert_eq!(updated.names().len(), RECENT_CAP);
        assert_eq!(updated.names()[0], "new");
    }

    #[test]
    fn filtering_ranks_by_score_and_keeps_recent_first_on_ties() {
        let labels = ["  prod-b", "  dev", "  prod-a", "  p-r-o-d"];
        let haystacks: Vec<Utf32String> = labels.iter().map(|l| (*l).into()).collect();
        let mut matcher = Matcher::new(nucleo_matcher::Config::DEFAULT);
        assert_eq!(filter(&haystacks, "", &mut matcher), [0, 1, 2, 3]);
        let hits = filter(&haystacks, "prod", &mut matcher);
        assert_eq!(&hits[..2], [0, 2], "{hits:?}");
        assert!(!hits.contains(&1));
        assert_eq!(filter(&haystacks, "PROD-A", &mut matcher)[0], 2);
        let names: Vec<Utf32String> = ["prod-a", "dev-prod", "prod-dev"]
            .iter()
            .map(|l| (*l).into())
            .collect();
        assert_eq!(filter(&names, "^prod", &mut matcher), [0, 2]);
        assert_eq!(filter(&names, "prod !dev", &mut matcher), [0]);
    }

    #[test]
    fn labels_mark_the_current_profile_and_show_account_and_role() {
        let c = Choice {
            name: "prod".into(),
            account: Some("123456789012".into()),
            role: Some("Admin".into()),
        };
        assert_eq!(label(&c, 6, Some("prod")), "* prod    123456789012  Admin");
        let bare = Choice {
            name: "dev".into(),
            account: None,
            role: None,
        };
        assert_eq!(label(&bare, 6, Some("prod")), "  dev");
        let odd = Choice {
            name: "a\u{1b}[2Jb".into(),
            account: None,
            role: None,
        };
        assert_eq!(label(&odd, 0, None), "  a?[2Jb");
    }
}
