//! Byte-preserving edits of the AWS config and credentials files: their sections, the lines
//! of a profile, awsenv's marked blocks, and the atomic replace that keeps the file's mode and
//! the symlink that points to it.
//!
//! Only text is edited here; what the settings mean is `profile`'s job (aws-config's parser).
//! Every byte outside the lines an edit names stays as it was, line endings (LF or CRLF)
//! included.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Which file a header belongs to: `[profile NAME]` / `[default]` in the config file,
/// `[NAME]` in the credentials file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Config,
    Credentials,
}

impl Style {
    /// The header line of `profile` in this file.
    pub fn header(self, profile: &str) -> String {
        match self {
            Style::Config if profile != "default" => format!("[profile {profile}]"),
            _ => format!("[{profile}]"),
        }
    }

    /// The profile a header line names, or `None` when the line is no profile header.
    pub fn section_name(self, line: &str) -> Option<String> {
        match self {
            Style::Config => section_name(line),
            Style::Credentials => {
                let inner = header_inner(line)?;
                // aws-config reads `[profile NAME]` in the credentials file as `profile NAME`.
                (!inner.is_empty()).then(|| inner.to_owned())
            }
        }
    }
}

/// The profile a config file's `[profile NAME]` or `[default]` header names.
pub fn section_name(line: &str) -> Option<String> {
    let inner = header_inner(line)?;
    if inner == "default" {
        return Some(inner.to_owned());
    }
    let rest = inner.strip_prefix("profile")?;
    rest.starts_with([' ', '\t'])
        .then(|| rest.trim().to_owned())
}

/// What is between a header line's brackets, trimmed; a comment may follow the `]`.
fn header_inner(line: &str) -> Option<&str> {
    let rest = line.trim().strip_prefix('[')?;
    let close = rest.find(']')?;
    let after = rest[close + 1..].trim_start();
    (after.is_empty() || after.starts_with(['#', ';'])).then(|| rest[..close].trim())
}

/// One line of a file: its text without the line ending, and where it starts and ends.
pub struct Line<'a> {
    pub text: &'a [u8],
    pub start: usize,
    /// Just past the line ending.
    pub end: usize,
}

pub fn lines(bytes: &[u8]) -> impl Iterator<Item = Line<'_>> {
    let mut start = 0;
    std::iter::from_fn(move || {
        if start >= bytes.len() {
            return None;
        }
        let end = bytes[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |i| start + i + 1);
        let mut text = &bytes[start..end];
        text = text.strip_suffix(b"\n").unwrap_or(text);
        text = text.strip_suffix(b"\r").unwrap_or(text);
        let line = Line { text, start, end };
        start = end;
        Some(line)
    })
}

/// The file's own line ending, judged by its first line: `\r\n` or `\n`.
pub fn line_ending(bytes: &[u8]) -> &'static str {
    match lines(bytes).next() {
        Some(line) if bytes[..line.end].ends_with(b"\r\n") => "\r\n",
        _ => "\n",
    }
}

/// Whether `line` is `marker` (a marked block's BEGIN or END line), alone or followed by a
/// space and a note.
pub fn is_marker(line: &[u8], marker: &str) -> bool {
    let line = line.trim_ascii();
    line.strip_prefix(marker.as_bytes())
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(b" "))
}

/// One profile section of a file, as byte offsets: the header line's start, and the start
/// of the next header (or the end of the file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub name: String,
    pub start: usize,
    pub end: usize,
}

/// Every profile section of `bytes`, in file order (a name may come more than once).
pub fn sections(bytes: &[u8], style: Style) -> Vec<Section> {
    let mut found: Vec<Section> = Vec::new();
    for line in lines(bytes) {
        let text = String::from_utf8_lossy(line.text);
        let is_header = text.trim_start().starts_with('[');
        if is_header {
            if let Some(last) = found.last_mut() {
                last.end = line.start;
            }
            // A header of something else (`[sso-session x]`, `[services y]`) ends the
            // section before it and starts none of ours: it is named "" and skipped below.
            found.push(Section {
                name: style.section_name(&text).unwrap_or_default(),
                start: line.start,
                end: bytes.len(),
            });
        }
    }
    found.retain(|s| !s.name.is_empty());
    found
}

/// The name of a `key = value` line, or `None` for headers, comments, blank and
/// continuation lines.
pub fn property_name(line: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(line);
    if text.starts_with([' ', '\t']) {
        return None;
    }
    let text = text.trim();
    if text.is_empty() || text.starts_with(['#', ';', '[']) {
        return None;
    }
    let (name, _) = text.split_once('=')?;
    Some(name.trim().to_owned())
}

/// The value of a `key = value` line (no continuation lines), trimmed.
pub fn property_value(line: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(line);
    let (_, value) = text.split_once('=')?;
    Some(value.trim().to_owned())
}

/// `bytes` without the lines of `profile`'s sections that `drop` picks (given the property
/// name and value), and without their continuation lines. A section left with nothing but
/// blank lines goes too, header and all.
pub fn remove_properties(
    bytes: &[u8],
    style: Style,
    profile: &str,
    drop: impl Fn(&str, &str) -> bool,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut last = 0;
    for section in sections(bytes, style).iter().filter(|s| s.name == profile) {
        out.extend_from_slice(&bytes[last..section.start]);
        last = section.end;
        let body = &bytes[section.start..section.end];
        let mut kept = Vec::new();
        let mut dropping = false;
        let mut content = false;
        for (i, line) in lines(body).enumerate() {
            let raw = &body[line.start..line.end];
            if i == 0 {
                kept.extend_from_slice(raw);
                continue;
            }
            let continuation = line.text.starts_with(b" ") || line.text.starts_with(b"\t");
            if continuation && !line.text.trim_ascii().is_empty() && dropping {
                continue;
            }
            dropping = match (property_name(line.text), property_value(line.text)) {
                (Some(name), Some(value)) => drop(&name, &value),
                _ if continuation => dropping,
                _ => false,
            };
            if dropping {
                continue;
            }
            content |= !line.text.trim_ascii().is_empty();
            kept.extend_from_slice(raw);
        }
        if content {
            out.extend_from_slice(&kept);
        }
    }
    out.extend_from_slice(&bytes[last..]);
    out
}

/// `bytes` with `key = value` in `profile`'s section: the first such line replaced, else the
/// line added after the section's last non-blank line; with no section, one appended.
pub fn set_property(bytes: &[u8], style: Style, profile: &str, key: &str, value: &str) -> Vec<u8> {
    let eol = line_ending(bytes);
    let new_line = format!("{key} = {value}");
    let Some(section) = sections(bytes, style)
        .into_iter()
        .find(|s| s.name == profile)
    else {
        let mut out = bytes.to_vec();
        if !out.is_empty() {
            if !out.ends_with(b"\n") {
                out.extend_from_slice(eol.as_bytes());
            }
            out.extend_from_slice(eol.as_bytes());
        }
        out.extend_from_slice(format!("{}{eol}{new_line}{eol}", style.header(profile)).as_bytes());
        return out;
    };
    let body = &bytes[section.start..section.end];
    let mut insert_at = section.start;
    for line in lines(body) {
        let at = section.start + line.start;
        if line.start > 0 && property_name(line.text).as_deref() == Some(key) {
            let mut out = bytes[..at].to_vec();
            out.extend_from_slice(new_line.as_bytes());
            out.extend_from_slice(&bytes[at + line.text.len()..]);
            return out;
        }
        let comment = line.text.trim_ascii_start().starts_with(b"#");
        if !line.text.trim_ascii().is_empty() && (!comment || line.start == 0) {
            insert_at = section.start + line.end;
        }
    }
    let mut out = bytes[..insert_at].to_vec();
    if !out.ends_with(b"\n") {
        out.extend_from_slice(eol.as_bytes());
    }
    out.extend_from_slice(new_line.as_bytes());
    out.extend_from_slice(eol.as_bytes());
    out.extend_from_slice(&bytes[insert_at..]);
    out
}

/// `bytes` with an empty section for `profile` appended when it has none.
pub fn ensure_section(bytes: &[u8], style: Style, profile: &str) -> Vec<u8> {
    if sections(bytes, style).iter().any(|s| s.name == profile) {
        return bytes.to_vec();
    }
    let eol = line_ending(bytes);
    let mut out = bytes.to_vec();
    if !out.is_empty() {
        if !out.ends_with(b"\n") {
            out.extend_from_slice(eol.as_bytes());
        }
        out.extend_from_slice(eol.as_bytes());
    }
    out.extend_from_slice(format!("{}{eol}", style.header(profile)).as_bytes());
    out
}

/// The file's bytes; a missing file is empty.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    match fs::read(path) {
        Ok(bytes) => Ok(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(Error::Usage(format!(
            "cannot read {}: {e}; make it a readable file",
            path.display()
        ))),
    }
}

/// Replace `path` with `updated` unless the file changed since it read `original` (an edit
/// made meanwhile must not be lost); `what` names the caller in the error.
pub fn replace_checked(path: &Path, original: &[u8], updated: &[u8], what: &str) -> Result<()> {
    if read(path)? != original {
        return Err(Error::Usage(format!(
            "{what}: {} changed while awsenv was working on it; nothing was written, run again",
            path.display()
        )));
    }
    write_atomic(path, updated).map_err(|e| {
        Error::Usage(format!(
            "{what}: cannot write {}: {e}; nothing was changed",
            path.display()
        ))
    })
}

/// Replace the file at `path` (the file a symlink points to, so the link stays) with `bytes`:
/// a new private file beside it, given the old one's permissions, then renamed over it.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let target = fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "config".into());
    let (tmp, mut file) = temp_file(dir, &name)?;
    let written = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| match fs::metadata(&target) {
            Ok(meta) => fs::set_permissions(&tmp, meta.permissions()),
            Err(_) => Ok(()),
        });
    drop(file);
    let renamed = written.and_then(|()| fs::rename(&tmp, &target));
    if renamed.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    renamed
}

/// `.<name>.awsenv.<pid>.<n>.tmp` in `dir`, new (never an existing file), owner-only.
fn temp_file(dir: &Path, name: &str) -> std::io::Result<(PathBuf, fs::File)> {
    let mut n = 0;
    loop {
        let tmp = dir.join(format!(".{name}.awsenv.{}.{n}.tmp", std::process::id()));
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        match crate::platform::private_no_follow(&mut options).open(&tmp) {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 16 => n += 1,
            opened => return opened.map(|file| (tmp, file)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CREDS: &str = "# my keys\r\n[default]\r\naws_access_key_id = AKIDDEF\r\naws_secret_access_key = sd\r\n\r\n[prod] ; inline\r\n# prod's own comment\r\naws_access_key_id = AKIDPROD\r\naws_secret_access_key = sp\r\nregion = eu-west-1\r\n\r\n[dev]\r\naws_access_key_id=AKIDDEV\r\naws_secret_access_key=sdev\r\n";

    fn keys(name: &str, _: &str) -> bool {
        name.starts_with("aws_")
    }

    #[test]
    fn removing_keys_keeps_every_other_byte() {
        let out = remove_properties(CREDS.as_bytes(), Style::Credentials, "prod", keys);
        let out = String::from_utf8(out).unwrap();
        assert_eq!(
            out,
            CREDS.replace(
                "aws_access_key_id = AKIDPROD\r\naws_secret_access_key = sp\r\n",
                ""
            )
        );
    }

    #[test]
    fn a_section_left_empty_goes() {
        let out = remove_properties(CREDS.as_bytes(), Style::Credentials, "dev", keys);
        let out = String::from_utf8(out).unwrap();
        assert!(!out.contains("[dev]"), "{out}");
        assert!(out.starts_with("# my keys\r\n[default]"), "{out}");
        assert!(out.ends_with("region = eu-west-1\r\n\r\n"), "{out:?}");
    }

    #[test]
    fn continuation_lines_go_with_their_property() {
        let text = "[a]\naws_session_token =\n  part1\n  part2\nregion = x\n";
        let out = remove_properties(text.as_bytes(), Style::Credentials, "a", keys);
        assert_eq!(String::from_utf8(out).unwrap(), "[a]\nregion = x\n");
    }

    #[test]
    fn set_property_adds_replaces_or_appends() {
        let cfg = "[profile prod]\nregion = eu-west-1\n\n# next\n[profile dev]\nregion = x\n";
        let out = set_property(cfg.as_bytes(), Style::Config, "prod", "k", "v");
        assert_eq!(
            String::from_utf8(out.clone()).unwrap(),
            "[profile prod]\nregion = eu-west-1\nk = v\n\n# next\n[profile dev]\nregion = x\n"
        );
        let again = set_property(&out, Style::Config, "prod", "k", "w");
        assert_eq!(
            String::from_utf8(again).unwrap(),
            "[profile prod]\nregion = eu-west-1\nk = w\n\n# next\n[profile dev]\nregion = x\n"
        );
        let new = set_property(b"[default]\r\nregion = x", Style::Config, "n", "k", "v");
        assert_eq!(
            String::from_utf8(new).unwrap(),
            "[default]\r\nregion = x\r\n\r\n[profile n]\r\nk = v\r\n"
        );
        let last = set_property(b"[profile p]", Style::Config, "p", "k", "v");
        assert_eq!(String::from_utf8(last).unwrap(), "[profile p]\nk = v\n");
    }

    #[test]
    fn sections_skip_other_kinds() {
        let cfg = "[sso-session corp]\nx = 1\n[profile a]\n[default]\n[services s]\n";
        let names: Vec<String> = sections(cfg.as_bytes(), Style::Config)
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(names, ["a", "default"]);
        assert_eq!(
            ensure_section(cfg.as_bytes(), Style::Config, "a"),
            cfg.as_bytes()
        );
    }

    #[test]
    fn writes_keep_the_mode_and_follow_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        std::fs::write(&real, "old").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
            let link = dir.path().join("config");
            std::os::unix::fs::symlink(&real, &link).unwrap();
            write_atomic(&link, b"new").unwrap();
            assert!(
                std::fs::symlink_metadata(&link)
                    .unwrap()
                    .file_type()
                    .is_symlink()
            );
            assert_eq!(
                std::fs::metadata(&real).unwrap().permissions().mode() & 0o777,
                0o640
            );
        }
        #[cfg(not(unix))]
        write_atomic(&real, b"new").unwrap();
        assert_eq!(std::fs::read(&real).unwrap(), b"new");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            if cfg!(unix) { 2 } else { 1 }
        );
    }
}
