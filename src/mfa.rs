//! The MFA code: from `--mfa-code`, else asked once on the terminal, never on stdout.
//!
//! Only the shape of a code is checked here (six digits); STS decides whether it is right.
//! Without a terminal, or with `--no-input` (the prompt hook), asking is an error that says
//! how to pass the code.

use std::io::{BufRead, BufReader, Write};

use crate::error::{Error, Result};

/// What the error says when a code is needed and none may be asked for; `doctor` tells it
/// from other failures by this.
pub const NEEDS_CODE: &str = "needs an MFA code";

/// Where the code comes from, asked at most once per run.
#[derive(Debug)]
pub struct Code {
    given: Option<String>,
    no_input: bool,
    asked: std::cell::OnceCell<String>,
}

impl Code {
    /// `given` is `--mfa-code`, checked here so a bad one fails before any request.
    pub fn new(given: Option<&str>, no_input: bool, profile: &str) -> Result<Self> {
        if let Some(code) = given {
            check_shape(code, profile)?;
        }
        Ok(Self {
            given: given.map(str::to_owned),
            no_input,
            asked: std::cell::OnceCell::new(),
        })
    }

    /// The code for `serial`: the one given, else one asked on the terminal.
    pub fn get(&self, serial: &str, profile: &str) -> Result<String> {
        if let Some(code) = self.given.as_ref().or(self.asked.get()) {
            return Ok(code.clone());
        }
        let asked = if self.no_input { None } else { ask(serial) };
        let code = asked.ok_or_else(|| {
            Error::credentials(
                profile,
                format!("{NEEDS_CODE}: pass --mfa-code CODE or run in a terminal"),
            )
        })?;
        // A mistyped code at the prompt is an MFA failure (exit 1), not a bad flag.
        check_shape(&code, profile).map_err(|e| Error::Credentials(e.to_string()))?;
        Ok(self.asked.get_or_init(|| code).clone())
    }
}

/// Six ASCII digits, as every MFA device shows them.
pub fn check_shape(code: &str, profile: &str) -> Result<()> {
    if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(Error::usage(
            profile,
            "an MFA code is six digits; pass the one your device shows now",
        ))
    }
}

/// Ask on the terminal (`/dev/tty`, the console on Windows); `None` when there is none or
/// nothing was typed.
fn ask(serial: &str) -> Option<String> {
    let (input, mut output) = crate::platform::terminal()?;
    write!(output, "MFA code for {serial}: ").ok()?;
    output.flush().ok()?;
    let mut line = String::new();
    BufReader::new(input).read_line(&mut line).ok()?;
    let code = line.trim().to_owned();
    (!code.is_empty()).then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits() {
        assert!(check_shape("123456", "p").is_ok());
        for bad in ["12345", "1234567", "12345a", "", "12 456"] {
            assert_eq!(check_shape(bad, "p").unwrap_err().exit_code(), 2, "{bad}");
        }
    }

    #[test]
    fn without_input_a_missing_code_says_how_to_pass_one() {
        let code = Code::new(None, true, "prod").unwrap();
        let err = code.get("arn:aws:iam::1:mfa/me", "prod").unwrap_err();
        assert_eq!(err.exit_code(), 1);
        assert!(err.to_string().contains("--mfa-code"), "{err}");
        let given = Code::new(Some("654321"), true, "prod").unwrap();
        assert_eq!(given.get("s", "prod").unwrap(), "654321");
        assert!(Code::new(Some("12"), false, "prod").is_err());
    }
}
