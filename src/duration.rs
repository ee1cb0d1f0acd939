//! Durations as people type them: `3600`, `90s`, `15m`, `1h30m`, `12h`.
//!
//! Parsing only; the 900–43200 s range STS accepts is checked by `session_duration`.

use crate::error::Error;

/// Seconds from `3600` or a sequence of `<n>h`, `<n>m`, `<n>s` parts.
pub fn parse(text: &str) -> Result<i64, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("empty duration".into());
    }
    if text.bytes().all(|b| b.is_ascii_digit()) && text.len() > 15 {
        return Err(format!("`{text}` is too long a duration"));
    }
    if let Ok(secs) = text.parse::<i64>() {
        return if secs >= 0 {
            Ok(secs)
        } else {
            Err(format!("negative duration `{text}`"))
        };
    }
    let mut total: i64 = 0;
    let mut digits = String::new();
    let mut last_unit = u8::MAX;
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let (rank, factor) = match c {
            'h' => (0, 3600),
            'm' => (1, 60),
            's' => (2, 1),
            _ => {
                return Err(format!(
                    "`{text}` is not a duration (use seconds or like 1h30m)"
                ));
            }
        };
        if digits.is_empty() || (last_unit != u8::MAX && rank <= last_unit) {
            return Err(format!(
                "`{text}` is not a duration (use seconds or like 1h30m)"
            ));
        }
        let n: i64 = digits
            .parse()
            .map_err(|_| format!("`{text}` is too long a duration"))?;
        total = n
            .checked_mul(factor)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| format!("`{text}` is too long a duration"))?;
        digits.clear();
        last_unit = rank;
    }
    if !digits.is_empty() {
        return Err(format!(
            "`{text}` is not a duration: a number needs a unit after `{}`",
            text.trim_end_matches(char::is_numeric)
        ));
    }
    Ok(total)
}

pub const MIN_SESSION: i64 = 900;
pub const MAX_SESSION: i64 = 43_200;

/// A session duration for STS, checked against its 900–43200 s range before any request.
pub fn session_duration(text: &str, profile: &str) -> Result<i64, Error> {
    let secs = parse(text).map_err(|e| Error::usage(profile, format!("bad duration: {e}")))?;
    if !(MIN_SESSION..=MAX_SESSION).contains(&secs) {
        return Err(Error::usage(
            profile,
            format!("duration {text} is {secs} s; STS accepts 900 to 43200 s (15m to 12h)"),
        ));
    }
    Ok(secs)
}

/// `42m`, `1h05m`, `30s`: a short form for prompts and reports.
pub fn human(secs: i64) -> String {
    let secs = secs.max(0);
    match secs {
        s if s >= 3600 => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
        s if s >= 60 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_seconds_and_units() {
        assert_eq!(parse("3600"), Ok(3600));
        assert_eq!(parse("1h30m"), Ok(5400));
        assert_eq!(parse("15m"), Ok(900));
        assert_eq!(parse("2h"), Ok(7200));
        assert_eq!(parse("1h0m30s"), Ok(3630));
        assert_eq!(parse("90s"), Ok(90));
    }

    #[test]
    fn rejects_nonsense() {
        for bad in [
            "",
            "h",
            "1x",
            "1m1h",
            "1h1h",
            "-5",
            "10m5",
            "1.5h",
            "99999999999999999999h",
        ] {
            assert!(parse(bad).is_err(), "{bad} should fail");
        }
    }

    #[test]
    fn session_range_is_checked() {
        assert_eq!(session_duration("1h", "p").unwrap(), 3600);
        assert!(session_duration("899", "p").is_err());
        assert!(session_duration("12h1s", "p").is_err());
        assert_eq!(session_duration("12h", "p").unwrap(), 43_200);
    }

    #[test]
    fn human_form() {
        assert_eq!(human(42 * 60 + 5), "42m");
        assert_eq!(human(3900), "1h05m");
        assert_eq!(human(30), "30s");
        assert_eq!(human(-5), "0s");
    }
}
