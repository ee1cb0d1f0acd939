//! `awsenv prompt`: the prompt segment, e.g. `prod 42m`, coloured by time left.
//!
//! It reads the environment through the `Context` and nothing else: no files, no SDK, no
//! runtime, since a prompt runs it before every command line. Long-term keys (no expiry)
//! show the profile alone, uncoloured: there is nothing to count down.

use crate::cli::PromptArgs;
use crate::cmd::write_stdout;
use crate::duration;
use crate::env::{self, Context, Exported};
use crate::error::Result;
use crate::shell::Shell;

/// More than this many seconds left is green; at most this is yellow.
const YELLOW_AT: i64 = 20 * 60;
/// At most this many seconds left is red.
const RED_AT: i64 = 5 * 60;

const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const RED: &str = "\x1b[31m";
const RESET: &str = "\x1b[0m";

pub fn run(args: &PromptArgs, ctx: &Context) -> Result<()> {
    let colour = !args.no_color && ctx.var("NO_COLOR").is_none();
    if let Some(line) = segment(ctx, &args.format, colour, args.shell.shell) {
        write_stdout(&format!("{line}\n"));
    }
    Ok(())
}

/// The segment for what is exported, or `None` when nothing is.
pub fn segment(ctx: &Context, format: &str, colour: bool, shell: Option<Shell>) -> Option<String> {
    let exported = Exported::read(ctx)?;
    let left = exported.remaining(ctx.now());
    let text = render(format, &exported, left, shell);
    let text = text.trim();
    match (colour, left.map(colour_for)) {
        (true, Some(code)) => Some(format!("{}{text}{}", wrap(code, shell), wrap(RESET, shell))),
        _ => Some(text.to_owned()),
    }
}

/// `42m`, `1h05m`, `30s`, `expired`; empty for long-term keys. The hooks mirror this.
pub fn remaining_text(left: Option<i64>) -> String {
    match left {
        None => String::new(),
        Some(secs) if secs <= 0 => "expired".into(),
        Some(secs) => duration::human(secs),
    }
}

/// `format` with each placeholder replaced in one pass, so a value is never read as one.
fn render(format: &str, exported: &Exported, left: Option<i64>, shell: Option<Shell>) -> String {
    let value = |name: &str| match name {
        "profile" => Some(escape(&exported.profile, shell)),
        "region" => Some(escape(exported.region.as_deref().unwrap_or(""), shell)),
        "expires" => Some(exported.expires_at.map(env::rfc3339).unwrap_or_default()),
        "remaining" => Some(remaining_text(left)),
        _ => None,
    };
    let mut out = String::with_capacity(format.len() + 16);
    let mut rest = format;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let tail = &rest[open..];
        let placeholder = tail
            .find('}')
            .and_then(|close| Some((close, value(&tail[1..close])?)));
        match placeholder {
            Some((close, text)) => {
                out.push_str(&text);
                rest = &tail[close + 1..];
            }
            None => {
                out.push('{');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn colour_for(left: i64) -> &'static str {
    match left {
        s if s <= RED_AT => RED,
        s if s <= YELLOW_AT => YELLOW,
        _ => GREEN,
    }
}

/// An escape sequence marked as zero-width for the shell's line editor.
fn wrap(code: &str, shell: Option<Shell>) -> String {
    match shell {
        Some(Shell::Bash) => format!("\\[{code}\\]"),
        Some(Shell::Zsh | Shell::Tcsh) => format!("%{{{code}%}}"),
        Some(Shell::Xonsh) => xonsh_colour(code).to_owned(),
        _ => code.to_owned(),
    }
}

/// xonsh's colour fields for the escape sequences: its prompt is a format string, where a
/// raw escape sequence would be counted as printing characters.
fn xonsh_colour(code: &str) -> &'static str {
    match code {
        GREEN => "{GREEN}",
        YELLOW => "{YELLOW}",
        RED => "{RED}",
        _ => "{RESET}",
    }
}

/// Text from the environment, made literal for the prompt language it lands in.
fn escape(text: &str, shell: Option<Shell>) -> String {
    match shell {
        // bash decodes `\\` to `\`, then expands `$` and backquotes (promptvars), where a
        // backslash keeps them literal: `$` → `\\$`, `\` → `\\\\`.
        Some(Shell::Bash) => text
            .replace('\\', "\\\\\\\\")
            .replace('$', "\\\\$")
            .replace('`', "\\\\`"),
        Some(Shell::Zsh) => text.replace('%', "%%"),
        // tcsh: `%` starts a sequence and `!` is the history number, in `$prompt`.
        Some(Shell::Tcsh) => text.replace('%', "%%").replace('!', "\\!"),
        // xonsh formats `$PROMPT` like `str.format`: braces are fields.
        Some(Shell::Xonsh) => text.replace('{', "{{").replace('}', "}}"),
        _ => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn ctx(vars: &[(&str, &str)]) -> Context {
        Context::fake(vars, NOW)
    }

    fn session(left: i64) -> Context {
        let at = (NOW + left).to_string();
        ctx(&[("AWSENV_PROFILE", "prod"), ("AWSENV_EXPIRES_AT", &at)])
    }

    fn plain(ctx: &Context) -> Option<String> {
        segment(ctx, "{profile} {remaining}", false, None)
    }

    #[test]
    fn nothing_exported_prints_nothing() {
        assert_eq!(plain(&ctx(&[])), None);
        assert_eq!(plain(&ctx(&[("AWSENV_EXPIRES_AT", "1")])), None);
    }

    #[test]
    fn time_left_in_the_short_form() {
        assert_eq!(plain(&session(42 * 60 + 7)).unwrap(), "prod 42m");
        assert_eq!(plain(&session(3900)).unwrap(), "prod 1h05m");
        assert_eq!(plain(&session(30)).unwrap(), "prod 30s");
        assert_eq!(plain(&session(0)).unwrap(), "prod expired");
        assert_eq!(plain(&session(-100)).unwrap(), "prod expired");
    }

    #[test]
    fn long_term_keys_show_the_profile_uncoloured() {
        let c = ctx(&[("AWSENV_PROFILE", "dev")]);
        assert_eq!(plain(&c).unwrap(), "dev");
        assert_eq!(
            segment(&c, "{profile} {remaining}", true, None).unwrap(),
            "dev"
        );
    }

    #[test]
    fn colour_follows_the_thresholds() {
        let coloured = |left| segment(&session(left), "{remaining}", true, None).unwrap();
        assert_eq!(coloured(20 * 60 + 1), format!("{GREEN}20m{RESET}"));
        assert_eq!(coloured(20 * 60), format!("{YELLOW}20m{RESET}"));
        assert_eq!(coloured(5 * 60 + 1), format!("{YELLOW}5m{RESET}"));
        assert_eq!(coloured(5 * 60), format!("{RED}5m{RESET}"));
        assert_eq!(coloured(-1), format!("{RED}expired{RESET}"));
    }

    #[test]
    fn shells_get_their_zero_width_markers() {
        let bash = segment(&session(3600), "{profile}", true, Some(Shell::Bash)).unwrap();
        assert_eq!(bash, format!("\\[{GREEN}\\]prod\\[{RESET}\\]"));
        let zsh = segment(&session(3600), "{profile}", true, Some(Shell::Zsh)).unwrap();
        assert_eq!(zsh, format!("%{{{GREEN}%}}prod%{{{RESET}%}}"));
        let c = ctx(&[("AWSENV_PROFILE", "100%")]);
        assert_eq!(
            segment(&c, "{profile}", false, Some(Shell::Zsh)).unwrap(),
            "100%%"
        );
    }

    #[test]
    fn tcsh_and_xonsh_get_theirs_and_the_others_raw_escapes() {
        let tcsh = segment(&session(3600), "{profile}", true, Some(Shell::Tcsh)).unwrap();
        assert_eq!(tcsh, format!("%{{{GREEN}%}}prod%{{{RESET}%}}"));
        let xonsh = segment(&session(60), "{profile}", true, Some(Shell::Xonsh)).unwrap();
        assert_eq!(xonsh, "{RED}prod{RESET}");
        for shell in [Shell::Nu, Shell::Elvish] {
            let text = segment(&session(3600), "{profile}", true, Some(shell)).unwrap();
            assert_eq!(text, format!("{GREEN}prod{RESET}"), "{shell:?}");
        }
        let c = ctx(&[("AWSENV_PROFILE", "a%b!{c}")]);
        let plain = |shell| segment(&c, "{profile}", false, Some(shell)).unwrap();
        assert_eq!(plain(Shell::Tcsh), "a%%b\\!{c}");
        assert_eq!(plain(Shell::Xonsh), "a%b!{{c}}");
        assert_eq!(plain(Shell::Nu), "a%b!{c}");
    }

    #[test]
    fn every_placeholder() {
        let at = (NOW + 600).to_string();
        let c = ctx(&[
            ("AWSENV_PROFILE", "prod"),
            ("AWSENV_EXPIRES_AT", &at),
            ("AWS_REGION", "eu-west-1"),
        ]);
        let text = segment(
            &c,
            "[{profile}|{region}|{remaining}|{expires}]",
            false,
            None,
        );
        assert_eq!(
            text.unwrap(),
            format!("[prod|eu-west-1|10m|{}]", env::rfc3339(NOW + 600))
        );
    }

    #[test]
    fn values_are_not_read_as_placeholders_and_unknown_ones_stay() {
        let c = ctx(&[("AWSENV_PROFILE", "{remaining}")]);
        let text = segment(&c, "{profile} {nope} {", false, None);
        assert_eq!(text.unwrap(), "{remaining} {nope} {");
    }
}
