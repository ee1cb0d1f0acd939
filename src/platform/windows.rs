//! Windows: ownership by SID, reparse points instead of symlinks, `CONIN$`/`CONOUT$`, the
//! console's Ctrl-C, and `USERPROFILE` as the home directory.

use std::collections::HashMap;
use std::fs::{self, File, Metadata, OpenOptions};
use std::io;
use std::os::windows::ffi::OsStrExt;
use std::os::windows::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::process::ExitStatus;

use windows_sys::Win32::Foundation::{
    CloseHandle, HANDLE, HANDLE_FLAG_INHERIT, INVALID_HANDLE_VALUE, LocalFree, SetHandleInformation,
};
use windows_sys::Win32::Security::Authorization::{GetNamedSecurityInfoW, SE_FILE_OBJECT};
use windows_sys::Win32::Security::{
    EqualSid, GetTokenInformation, OWNER_SECURITY_INFORMATION, PSECURITY_DESCRIPTOR, PSID,
    TOKEN_OWNER, TOKEN_QUERY, TOKEN_USER, TokenOwner, TokenUser,
};
use windows_sys::Win32::Storage::FileSystem::{
    FILE_ATTRIBUTE_REPARSE_POINT, FILE_FLAG_OPEN_REPARSE_POINT,
};
use windows_sys::Win32::System::Console::{
    CTRL_BREAK_EVENT, CTRL_C_EVENT, GetStdHandle, STD_ERROR_HANDLE, STD_INPUT_HANDLE,
    STD_OUTPUT_HANDLE, SetConsoleCtrlHandler,
};
use windows_sys::Win32::System::Threading::{
    CREATE_NEW_PROCESS_GROUP, DETACHED_PROCESS, GetCurrentProcess, OpenProcessToken,
};

/// The dialect when nothing names one: Windows users are PowerShell users.
pub const DEFAULT_SHELL: crate::shell::Shell = crate::shell::Shell::PowerShell;

/// What the default cache directory is made from, for the warning when it is missing.
pub const CACHE_BASE: &str = "LOCALAPPDATA";

/// `%LOCALAPPDATA%\awsenv`.
pub fn cache_dir(ctx: &crate::env::Context) -> Option<PathBuf> {
    ctx.var("LOCALAPPDATA")
        .map(|base| Path::new(base).join("awsenv"))
}

/// Windows has no `XDG_RUNTIME_DIR`: private files go under the cache directory.
pub fn runtime_dir(_ctx: &crate::env::Context) -> Option<PathBuf> {
    None
}

/// `HOME`, else `USERPROFILE`, else `HOMEDRIVE` + `HOMEPATH`: the rule of the AWS SDKs.
pub fn home_dir(vars: &HashMap<String, String>) -> Option<PathBuf> {
    let var = |name: &str| vars.get(name).filter(|v| !v.is_empty());
    var("HOME")
        .or_else(|| var("USERPROFILE"))
        .map(PathBuf::from)
        .or_else(|| {
            Some(PathBuf::from(format!(
                "{}{}",
                var("HOMEDRIVE")?,
                var("HOMEPATH")?
            )))
        })
}

/// `dir` and its parents, where missing; they inherit the parent's access list, which under
/// `%LOCALAPPDATA%` is the user's alone.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)
}

/// Why the directory behind `meta` (read without following links) is not to be trusted
/// with credentials, completing "cache directory X …"; `None` when it is the user's own.
pub fn untrusted_dir(path: &Path, meta: &Metadata) -> Option<String> {
    if meta.file_attributes() & FILE_ATTRIBUTE_REPARSE_POINT != 0 {
        Some("is a reparse point (a symlink or junction)".into())
    } else if !meta.is_dir() {
        Some("is not a directory".into())
    } else {
        match owned_by_me(path) {
            Ok(true) => None,
            Ok(false) => Some("is owned by another account, not you".into()),
            Err(e) => Some(format!("has an owner that cannot be read ({e})")),
        }
    }
}

/// Options for a file that never follows a reparse point at its own name. Its access list
/// is inherited from the cache directory.
pub fn private_no_follow(options: &mut OpenOptions) -> &mut OpenOptions {
    options.custom_flags(FILE_FLAG_OPEN_REPARSE_POINT)
}

/// Make an existing file readable by the user alone: on Windows it already is, by the access
/// list it inherits from the user's profile directory.
pub fn make_private(_path: &Path) {}

/// `cmd /c start "" "URL"`: `start` is a cmd builtin; the URL is quoted so cmd reads `&`
/// in it as text, and the empty first quoted word is the window title `start` expects.
pub fn url_opener(url: &str) -> std::process::Command {
    use std::os::windows::process::CommandExt;
    let mut command = std::process::Command::new("cmd");
    command.raw_arg(format!("/c start \"\" \"{url}\""));
    command
}

/// `command`'s child runs apart from the console that started awsenv: no console of its own
/// (nothing can prompt on it), a process group of its own (the console's Ctrl-C does not
/// reach it). This process's standard handles are made non-inheritable first: the child
/// would otherwise hold the pipe a shell reads awsenv's output from, and the shell would
/// wait for the child to end.
pub fn detach(command: &mut std::process::Command) {
    use std::os::windows::process::CommandExt;
    for id in [STD_INPUT_HANDLE, STD_OUTPUT_HANDLE, STD_ERROR_HANDLE] {
        // SAFETY: GetStdHandle has no preconditions; SetHandleInformation is given a handle
        // of this process (or fails harmlessly on a null or invalid one).
        unsafe {
            let handle = GetStdHandle(id);
            if !handle.is_null() && handle != INVALID_HANDLE_VALUE {
                SetHandleInformation(handle, HANDLE_FLAG_INHERIT, 0);
            }
        }
    }
    command.creation_flags(DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP);
}

/// The console, to read from (`CONIN$`) and write to (`CONOUT$`), or `None` when there is none.
pub fn terminal() -> Option<(File, File)> {
    let input = OpenOptions::new()
        .read(true)
        .write(true)
        .open("CONIN$")
        .ok()?;
    let output = OpenOptions::new().write(true).open("CONOUT$").ok()?;
    Some((input, output))
}

/// Windows has no SIGTERM or SIGHUP to hold for the child: nothing to do.
pub fn hold_child_signals() {}

/// Nothing is held (see `hold_child_signals`), so nothing to undo in the child.
pub fn unhold_in_child(_command: &mut std::process::Command) {}

/// While the child runs, Ctrl-C and Ctrl-Break reach every process on the console, the child
/// included; awsenv lets the child handle them and waits for it instead of exiting first.
/// The handler is installed after the child started, so the child does not inherit it.
pub fn pass_signals_to(_child: u32) {
    unsafe extern "system" fn handler(event: u32) -> i32 {
        i32::from(event == CTRL_C_EVENT || event == CTRL_BREAK_EVENT)
    }
    // SAFETY: the handler touches no memory and is valid for the life of the process.
    unsafe {
        SetConsoleCtrlHandler(Some(handler), 1);
    }
}

/// The child's exit code (an NTSTATUS such as 0xC000013A after Ctrl-C, as Windows reports it).
pub fn exit_code(status: ExitStatus) -> i32 {
    status.code().unwrap_or(1)
}

/// Whether `path`'s owner is this process's user, or the owner it gives new objects (the
/// Administrators group for an elevated administrator).
fn owned_by_me(path: &Path) -> io::Result<bool> {
    let wide: Vec<u16> = path.as_os_str().encode_wide().chain([0]).collect();
    let mut owner: PSID = std::ptr::null_mut();
    let mut descriptor: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
    // SAFETY: `wide` is NUL-terminated; the out pointers are valid; the descriptor that owns
    // `owner` is freed below, after the last use of `owner`.
    let status = unsafe {
        GetNamedSecurityInfoW(
            wide.as_ptr(),
            SE_FILE_OBJECT,
            OWNER_SECURITY_INFORMATION,
            &mut owner,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            &mut descriptor,
        )
    };
    if status != 0 {
        return Err(io::Error::from_raw_os_error(status as i32));
    }
    let mine = token_sids().map(|sids| {
        sids.iter()
            // SAFETY: both SIDs are valid: `owner` inside `descriptor`, each of ours in its buffer.
            .any(|sid| unsafe { EqualSid(owner, sid.as_ptr() as PSID) } != 0)
    });
    // SAFETY: `descriptor` came from GetNamedSecurityInfoW, which says to free it with LocalFree.
    unsafe { LocalFree(descriptor) };
    mine
}

/// The process token's user SID and default owner SID, each copied into a buffer of its own.
fn token_sids() -> io::Result<Vec<Vec<u8>>> {
    let mut token: HANDLE = std::ptr::null_mut();
    // SAFETY: GetCurrentProcess returns a pseudo-handle; `token` is a valid out pointer.
    if unsafe { OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &mut token) } == 0 {
        return Err(io::Error::last_os_error());
    }
    let user = token_information(token, TokenUser).map(|buf| {
        // SAFETY: a TokenUser buffer starts with a TOKEN_USER whose SID points into it.
        let sid = unsafe { (*(buf.as_ptr() as *const TOKEN_USER)).User.Sid };
        copy_sid(&buf, sid)
    });
    let owner = token_information(token, TokenOwner).map(|buf| {
        // SAFETY: a TokenOwner buffer starts with a TOKEN_OWNER whose SID points into it.
        let sid = unsafe { (*(buf.as_ptr() as *const TOKEN_OWNER)).Owner };
        copy_sid(&buf, sid)
    });
    // SAFETY: `token` was opened above and is closed once.
    unsafe { CloseHandle(token) };
    Ok(vec![user?, owner?])
}

/// One class of information about `token`, in a buffer aligned for its header struct.
fn token_information(token: HANDLE, class: i32) -> io::Result<Vec<u64>> {
    let mut needed = 0u32;
    // SAFETY: a null buffer of length 0 only asks for the size.
    unsafe { GetTokenInformation(token, class, std::ptr::null_mut(), 0, &mut needed) };
    let mut buf = vec![0u64; (needed as usize).div_ceil(8).max(1)];
    let len = (buf.len() * 8) as u32;
    // SAFETY: `buf` holds `len` writable bytes.
    let ok =
        unsafe { GetTokenInformation(token, class, buf.as_mut_ptr().cast(), len, &mut needed) };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(buf)
}

/// The SID at `sid` inside `buf`, copied out: everything from it to the buffer's end, which
/// holds the whole SID and is harmless past it.
fn copy_sid(buf: &[u64], sid: PSID) -> Vec<u8> {
    let start = buf.as_ptr() as usize;
    let end = start + buf.len() * 8;
    let at = (sid as usize).clamp(start, end) - start;
    // SAFETY: the bytes of `buf` are initialised and `at` lies within them.
    let bytes = unsafe { std::slice::from_raw_parts(buf.as_ptr().cast::<u8>(), buf.len() * 8) };
    bytes[at..].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn home_follows_the_sdk_rule() {
        let vars = |pairs: &[(&str, &str)]| -> HashMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let home = |pairs: &[(&str, &str)]| home_dir(&vars(pairs));
        assert_eq!(
            home(&[("HOME", "C:\\h"), ("USERPROFILE", "C:\\u")]),
            Some("C:\\h".into())
        );
        assert_eq!(home(&[("USERPROFILE", "C:\\u")]), Some("C:\\u".into()));
        assert_eq!(
            home(&[("HOMEDRIVE", "D:"), ("HOMEPATH", "\\p")]),
            Some("D:\\p".into())
        );
        assert_eq!(home(&[("HOMEDRIVE", "D:")]), None);
    }

    #[test]
    fn a_new_directory_is_mine_and_a_junction_is_not() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("cache");
        create_private_dir(&dir).unwrap();
        assert_eq!(
            untrusted_dir(&dir, &fs::symlink_metadata(&dir).unwrap()),
            None
        );
        let link = tmp.path().join("link");
        // Creating a link needs a privilege most accounts lack (and wine only half does it).
        let made = std::os::windows::fs::symlink_dir(&dir, &link)
            .and_then(|()| fs::symlink_metadata(&link));
        if let Ok(meta) = made {
            assert!(
                untrusted_dir(&link, &meta)
                    .unwrap()
                    .contains("reparse point")
            );
        }
    }
}
