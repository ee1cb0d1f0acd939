//! The command line, as clap derive types and nothing else.
//!
//! Every subcommand of the contract is declared here; the work lives in `src/cmd/<name>.rs`.

use clap::{Args, Parser, Subcommand, ValueEnum};
use clap_complete::engine::ArgValueCandidates;

use crate::shell::Shell;

#[derive(Debug, Parser)]
#[command(
    name = "awsenv",
    version,
    // The shell wrapper appends its own `--shell`; the last of a repeated option wins.
    args_override_self = true,
    about = "Put AWS credentials into the shell you are typing in, and keep them honest",
    long_about = "Put AWS credentials into the shell you are typing in, and keep them honest.\n\n\
        Set up your shell once with `awsenv init SHELL` (see `awsenv init --help`), then \
        `awsenv assume PROFILE` exports temporary credentials into the current shell and \
        `awsenv unset` removes them. Without the shell integration use \
        `eval \"$(awsenv assume PROFILE)\"`.",
    after_help = "Exit codes: 0 success; 1 credentials could not be had; 2 usage or configuration error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Log each decision to stderr: chain, cache, requests, retries (as AWSENV_LOG=debug)
    #[arg(short, long, global = true)]
    pub verbose: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print shell code that exports a profile's credentials
    #[command(
        long_about = "Resolve a profile's credentials and print shell code that exports them.\n\n\
            Use it through the shell integration (`awsenv assume PROFILE`), or with \
            `eval \"$(awsenv assume PROFILE)\"` (sh, bash, zsh), \
            `awsenv assume PROFILE | source` (fish), \
            `awsenv assume PROFILE --shell powershell | Out-String | Invoke-Expression` (PowerShell), \
            `eval (awsenv assume PROFILE --shell elvish | slurp)` (elvish), \
            `execx($(awsenv assume PROFILE --shell xonsh))` (xonsh), \
            ``eval \"`awsenv assume PROFILE --shell tcsh`\"`` (tcsh); nushell needs the \
            wrapper of `awsenv init nu`.\n\n\
            With no PROFILE and no AWS_PROFILE, a fuzzy picker opens on the terminal (recent \
            profiles first; Esc or Ctrl-C cancels with exit 130). `awsenv assume -` assumes \
            the profile assumed before the current one.\n\n\
            On any failure stdout is `false` (empty for PowerShell, nushell, elvish and \
            xonsh), so the shell's variables \
            are left as they were."
    )]
    Assume(AssumeArgs),
    /// Print shell code that removes every variable awsenv manages
    Unset(UnsetArgs),
    /// Print the shell integration: wrapper function, prompt hook, completions
    #[command(
        long_about = "Print the shell integration for SHELL: an `awsenv` wrapper function so \
            `awsenv assume` and `awsenv unset` act on the current shell, a prompt hook that \
            warns before the session expires (or renews it in the background, \
            AWSENV_AUTO=refresh), AWSENV_PROMPT kept current, and completions.\n\n\
            bash (~/.bashrc):    eval \"$(awsenv init bash)\"\n\
            zsh (~/.zshrc):      eval \"$(awsenv init zsh)\"\n\
            fish (config.fish):  awsenv init fish | source\n\
            sh (~/.profile):     eval \"$(awsenv init sh)\"   (the wrapper only: sh has no prompt hook)\n\
            PowerShell ($PROFILE): Invoke-Expression (& awsenv init powershell | Out-String)\n\
            nushell (once):      awsenv init nu | save -f ~/.awsenv.nu\n\
            nushell (config.nu): source ~/.awsenv.nu\n\
            elvish (rc.elv):     eval (awsenv init elvish | slurp)\n\
            xonsh (~/.xonshrc):  execx($(awsenv init xonsh), 'exec', __xonsh__.ctx, filename='awsenv')\n\
            tcsh (once):         awsenv init tcsh > ~/.awsenv.tcsh\n\
            tcsh (~/.tcshrc):    source ~/.awsenv.tcsh"
    )]
    Init(InitArgs),
    /// Print the prompt segment: profile and time left, coloured by urgency
    #[command(
        long_about = "Print the prompt segment, e.g. `prod 42m`: green above 20 minutes left, \
            yellow at 20 or less, red at 5 or less, red `expired` after. Prints nothing when \
            nothing is exported. Reads only the environment, so it is cheap enough for every \
            prompt; the shell integration also keeps AWSENV_PROMPT set to the plain text."
    )]
    Prompt(PromptArgs),
    /// Report what is exported now, for whom, and how long it has left
    Status(StatusArgs),
    /// List every profile with its kind, region, role and source
    List(ListArgs),
    /// Run one command with a profile's credentials in its environment
    #[command(
        long_about = "Run one command with the variables `assume` would export, in its \
            environment only (never its arguments), and exit with its status (128+N when \
            signal N ended it). Variables awsenv exported earlier for another profile are \
            replaced. SIGTERM and SIGHUP sent to awsenv are passed on to the command.\n\n\
            With --server the command gets no keys: awsenv serves them on 127.0.0.1 as a \
            container credentials endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI and \
            AWS_CONTAINER_AUTHORIZATION_TOKEN, which every AWS SDK and the AWS CLI read) and \
            renews them in the background, so a build, a deployment or a service that runs \
            for hours never meets ExpiredToken. Long-term keys are served through a \
            GetSessionToken session. The endpoint stops when the command exits.\n\n\
            Examples:\n  awsenv exec prod -- aws s3 ls\n  \
            awsenv exec --server prod -- terraform apply"
    )]
    Exec(ExecArgs),
    /// Diagnose why credentials fail (ExpiredToken and friends)
    #[command(
        long_about = "Diagnose why credentials fail. Each check prints ok, warn or fail, the \
            evidence, and the fix as a command: exported credentials expired or near expiry; \
            AWS_SECURITY_TOKEN or AWS_PROFILE shadowing the exported keys; environment keys \
            shadowing a profile or an instance profile; a static aws_session_token that STS \
            rejects; expired entries in ~/.aws/cli/cache and awsenv's cache; clock skew against \
            STS; the profile chain; the profile's IAM Identity Center login; \
            get-caller-identity for the profile; and, with --imds or on EC2, the instance \
            metadata service.\n\nExits 0 when no check fails, 1 when any does."
    )]
    Doctor(DoctorArgs),
    /// Print a completion script for SHELL
    Completions(CompletionsArgs),
    /// Print credentials in the AWS `credential_process` JSON format
    #[command(name = "credential-process")]
    CredentialProcess(CredentialProcessArgs),
    /// IAM Identity Center: log in, log out, and a profile per granted role
    #[command(subcommand)]
    Sso(SsoCommand),
    /// Open the AWS console as the profile's identity
    #[command(
        long_about = "Open the AWS console in the browser, signed in as the profile's identity, \
            through the federation sign-in endpoint. Role and SSO profiles use their temporary \
            credentials (from the cache when still valid); a profile with long-term keys first \
            gets a GetFederationToken session (the console refuses GetSessionToken ones), \
            bounded by the user's own permissions.\n\n\
            The browser is $BROWSER (one command, given the URL as its one argument), else \
            xdg-open, open or `cmd /c start`. With --print the URL is written alone on stdout \
            and nothing is opened: it signs in whoever opens it within 15 minutes, so treat it \
            as a secret. China (cn-*) and GovCloud (us-gov-*) regions use their partition's \
            sign-in and console; AWSENV_FEDERATION_ENDPOINT replaces the sign-in host.\n\n\
            Example: awsenv console prod --service s3 --region eu-west-1"
    )]
    Console(ConsoleArgs),
    /// Start renewing the exported session in the background (the prompt hook's, with
    /// AWSENV_AUTO=refresh); print the file its result will be written to
    #[command(hide = true)]
    Renew(RenewArgs),
    /// Long-term access keys in the OS keyring: add, import, list, remove, rotate
    #[command(
        subcommand,
        long_about = "Keep long-term access keys in the OS keyring instead of plaintext in \
            ~/.aws/credentials: the Secret Service on Linux (GNOME Keyring, KeePassXC, KWallet), \
            the Credential Manager on Windows, the Keychain on macOS, or an encrypted file \
            anywhere (AWSENV_KEYRING=file). A profile with keys there hands out \
            GetSessionToken sessions to assume, exec and credential-process, never the key \
            itself (--no-session opts out)."
    )]
    Keys(KeysCommand),
    /// Print the version, the commit, the build target and the keyring backends
    #[command(
        long_about = "Print what a bug report needs: the version, the commit it was built \
            from, the build target and the keyring backends compiled in. `awsenv --version` \
            prints the version alone."
    )]
    Version,
    /// Write the man pages (awsenv.1 and one per subcommand) into DIR, for packagers
    #[command(name = "generate-man", hide = true)]
    GenerateMan(GenerateManArgs),
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Store a profile's access key pair in the keyring
    #[command(
        long_about = "Store a profile's long-term access key pair in the keyring: asked on \
            the terminal (the secret without echo), or taken from AWS_ACCESS_KEY_ID and \
            AWS_SECRET_ACCESS_KEY with --from-env. The pair is checked with \
            GetCallerIdentity first unless --no-verify. Creates [profile PROFILE] in the \
            config file when it is missing."
    )]
    Add(KeysAddArgs),
    /// Move keys from the credentials file into the keyring
    #[command(
        long_about = "Move long-term keys from the credentials file into the keyring: each \
            is stored, read back and compared, and only then removed from the credentials \
            file (every other byte kept; a section left empty goes), and \
            `credential_process = awsenv credential-process PROFILE` is added to the \
            profile in the config file, so the AWS CLI and SDKs keep working. With \
            --dry-run the change is printed and nothing written."
    )]
    Import(KeysImportArgs),
    /// List the profiles with keys in the keyring (key ids masked, never a secret)
    List(KeysListArgs),
    /// Delete a profile's key from the keyring, with its cached sessions
    Remove(KeysRemoveArgs),
    /// Replace a profile's access key with a new one through IAM, never leaving none
    #[command(
        long_about = "Rotate a profile's access key: ListAccessKeys (two keys already: stop \
            and say which to delete), CreateAccessKey, the new pair kept as pending in the \
            keyring at once, verified with GetCallerIdentity (for up to 30 s, while IAM's \
            change spreads), made current, then DeleteAccessKey for the old one and its \
            cached sessions purged. Interrupted anywhere, the keyring still holds a working \
            key, and the next rotate finishes or rolls back. With mfa_serial on the \
            profile, the IAM calls run in an MFA session."
    )]
    Rotate(KeysRotateArgs),
}

#[derive(Debug, Args)]
pub struct KeysAddArgs {
    /// Profile to store the key for
    #[arg(add = ArgValueCandidates::new(crate::profile::complete_names))]
    pub profile: String,
    /// Take the pair from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY
    #[arg(long)]
    pub from_env: bool,
    /// Store it without checking it with GetCallerIdentity
    #[arg(long)]
    pub no_verify: bool,
}

#[derive(Debug, Args)]
pub struct KeysImportArgs {
    /// Profiles whose keys to move
    #[arg(add = ArgValueCandidates::new(crate::profile::complete_names), required_unless_present = "all")]
    pub profiles: Vec<String>,
    /// Every profile with long-term keys in the credentials file
    #[arg(long, conflicts_with = "profiles")]
    pub all: bool,
    /// Print the change and write nothing
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct KeysListArgs {
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct KeysRemoveArgs {
    /// Profile whose key to delete
    #[arg(add = ArgValueCandidates::new(crate::profile::complete_names))]
    pub profile: String,
    /// Do not ask for confirmation
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct KeysRotateArgs {
    /// Profile whose key to rotate
    #[arg(add = ArgValueCandidates::new(crate::profile::complete_names))]
    pub profile: String,
    /// MFA code for the IAM calls, instead of asking on the terminal
    #[arg(long, value_name = "CODE")]
    pub mfa_code: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum SsoCommand {
    /// Log in to IAM Identity Center and cache the token as the AWS CLI does
    #[command(
        long_about = "Log in to an IAM Identity Center session and write its token to \
            ~/.aws/sso/cache exactly as the AWS CLI does, so the AWS CLI, the SDKs and awsenv \
            share one login.\n\n\
            Profiles with sso_session log in with the authorization code flow (PKCE): the \
            browser opens ($BROWSER, else the system's opener) and redirects back to a \
            listener on 127.0.0.1. --device-code, and legacy profiles with sso_start_url, use \
            the device code flow: confirm the code shown here on the page it names. Several \
            shells logging in to the same session at once share one login. Nothing is \
            printed on stdout.\n\n\
            Example: awsenv sso login --profile dev"
    )]
    Login(SsoLoginArgs),
    /// Log out of a session and remove its cached token
    Logout(SsoLogoutArgs),
    /// Write one profile per account and role the SSO session is granted
    #[command(
        long_about = "Write one profile per account and role the SSO session is granted \
            (ListAccounts and ListAccountRoles, every page), into a block of the config file \
            that awsenv owns, between marker comments naming the session. Every line outside \
            the block stays as it is; a second run with the same grants changes nothing. \
            Profiles no longer granted stay unless --prune. Prints the change (a diff of the \
            block's profiles) on stdout.\n\n\
            Names come from --template, made valid for the AWS SDKs (letters, digits and \
            _-/.%@:+; any other run of characters becomes `-`) and unique (a clash gets \
            `-ACCOUNT_ID`).\n\n\
            Needs a valid SSO token for the session: run `awsenv sso login --sso-session NAME` \
            first."
    )]
    Populate(PopulateArgs),
}

#[derive(Debug, Args)]
pub struct SsoLoginArgs {
    /// Profile whose session to log in to [default: $AWS_PROFILE]
    #[arg(add = ArgValueCandidates::new(crate::profile::complete_names), conflicts_with = "profile_flag")]
    pub profile: Option<String>,
    /// The same, spelled as the AWS CLI does
    #[arg(long = "profile", value_name = "PROFILE", id = "profile_flag", add = ArgValueCandidates::new(crate::profile::complete_names))]
    pub profile_flag: Option<String>,
    /// Log in to this [sso-session NAME] instead of a profile's
    #[arg(long, value_name = "NAME", conflicts_with_all = ["profile", "profile_flag"])]
    pub sso_session: Option<String>,
    /// Use the device code flow (a code to confirm on a page) instead of the browser redirect
    #[arg(long)]
    pub device_code: bool,
    /// Print the URL instead of opening a browser
    #[arg(long)]
    pub no_browser: bool,
}

#[derive(Debug, Args)]
pub struct SsoLogoutArgs {
    /// The [sso-session NAME] to log out of [default: the session of $AWS_PROFILE]
    #[arg(long, value_name = "NAME")]
    pub sso_session: Option<String>,
    /// Log out of every session with a cached token
    #[arg(long, conflicts_with = "sso_session")]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct PopulateArgs {
    /// The `[sso-session NAME]` of the config file
    #[arg(add = ArgValueCandidates::new(crate::profile::complete_sso_sessions))]
    pub session: String,
    /// Profile names, from {account_name}, {account_id}, {role_name}, {email}, {session}
    #[arg(
        long,
        short = 't',
        value_name = "T",
        default_value = "{account_name}/{role_name}"
    )]
    pub template: String,
    /// Region written into each profile (`region = R`)
    #[arg(long, short = 'r', value_name = "R")]
    pub region: Option<String>,
    /// Drop the block's profiles that are no longer granted
    #[arg(long)]
    pub prune: bool,
    /// Print the change and write nothing
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct ConsoleArgs {
    /// Profile to sign in as; `-` for the one before the current [default: $AWS_PROFILE, else pick one]
    #[arg(add = ArgValueCandidates::new(crate::profile::complete_names))]
    pub profile: Option<String>,
    /// Write the sign-in URL on stdout instead of opening a browser
    #[arg(long)]
    pub print: bool,
    /// Console service to land on, like s3 or ec2 [default: the console's home]
    #[arg(long, value_name = "NAME", conflicts_with = "destination")]
    pub service: Option<String>,
    /// Console URL to land on
    #[arg(long, value_name = "URL")]
    pub destination: Option<String>,
    #[command(flatten)]
    pub session: SessionArgs,
}

#[derive(Debug, Args)]
pub struct AssumeArgs {
    /// Profile to assume; `-` for the one before the current [default: $AWS_PROFILE, else pick one]
    #[arg(add = ArgValueCandidates::new(crate::profile::complete_names))]
    pub profile: Option<String>,
    #[command(flatten)]
    pub shell: ShellArg,
    #[command(flatten)]
    pub session: SessionArgs,
}

/// How to get the session: the options `assume` and `exec` share.
#[derive(Debug, Args, Default)]
pub struct SessionArgs {
    /// Session duration: seconds, or like 1h30m (900 s to 12 h)
    #[arg(long, short = 'd', value_name = "D")]
    pub duration: Option<String>,
    /// Region to export (overrides the profile's)
    #[arg(long, short = 'r', value_name = "R")]
    pub region: Option<String>,
    /// MFA code, instead of asking on the terminal
    #[arg(long, value_name = "CODE")]
    pub mfa_code: Option<String>,
    /// Skip the cache and ask STS for new credentials
    #[arg(long)]
    pub refresh: bool,
    /// Never ask for anything (the prompt hook's re-assume): fail where an MFA code is needed
    #[arg(long)]
    pub no_input: bool,
    /// For a profile with keys in the keyring: hand out the long-term key itself, not a
    /// GetSessionToken session (only for tools that truly need the key)
    #[arg(long)]
    pub no_session: bool,
}

#[derive(Debug, Args)]
pub struct ShellArg {
    /// Shell dialect [default: $AWSENV_SHELL, else $SHELL, else sh]
    #[arg(long, short = 's', value_name = "S")]
    pub shell: Option<Shell>,
}

#[derive(Debug, Args)]
pub struct RenewArgs {
    /// The dialect of the snippet the renewal writes
    #[arg(long, short = 's', value_name = "S")]
    pub shell: Shell,
    /// The process id of the shell that applies it
    #[arg(long, value_name = "PID", value_parser = clap::value_parser!(u32).range(1..))]
    pub pid: u32,
    /// Be the renewal itself, in the background (what `renew` starts)
    #[arg(long, hide = true)]
    pub worker: bool,
}

#[derive(Debug, Args)]
pub struct UnsetArgs {
    #[command(flatten)]
    pub shell: ShellArg,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Shell to integrate with
    pub shell: Shell,
}

#[derive(Debug, Args)]
pub struct PromptArgs {
    #[command(flatten)]
    pub shell: ShellArg,
    /// Segment format with {profile}, {remaining}, {region}, {expires}
    #[arg(
        long,
        short = 'f',
        value_name = "F",
        default_value = "{profile} {remaining}"
    )]
    pub format: String,
    /// No colour (as does NO_COLOR)
    #[arg(long)]
    pub no_color: bool,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Print JSON
    #[arg(long, conflicts_with = "names")]
    pub json: bool,
    /// Print only the profile names, one a line
    #[arg(long)]
    pub names: bool,
}

#[derive(Debug, Args)]
pub struct ExecArgs {
    /// Profile whose credentials the command gets [default: $AWS_PROFILE, else pick one]
    #[arg(add = ArgValueCandidates::new(crate::profile::complete_names))]
    pub profile: Option<String>,
    /// Serve the credentials on a loopback container-credentials endpoint that renews them,
    /// instead of exporting keys: for commands that outlive a session
    #[arg(long)]
    pub server: bool,
    #[command(flatten)]
    pub session: SessionArgs,
    /// The command and its arguments
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<std::ffi::OsString>,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Profile to check [default: $AWS_PROFILE, else the exported one]
    #[arg(add = ArgValueCandidates::new(crate::profile::complete_names))]
    pub profile: Option<String>,
    /// Also check the EC2 instance metadata service
    #[arg(long)]
    pub imds: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// Shell to complete for
    pub shell: Shell,
}

#[derive(Debug, Args)]
pub struct GenerateManArgs {
    /// Folder to write the pages into (created when missing)
    pub dir: std::path::PathBuf,
}

#[derive(Debug, Args)]
pub struct CredentialProcessArgs {
    /// Profile whose credentials to print
    #[arg(add = ArgValueCandidates::new(crate::profile::complete_names))]
    pub profile: String,
    /// Session duration: seconds, or like 1h30m
    #[arg(long, short = 'd', value_name = "D")]
    pub duration: Option<String>,
    /// For a profile with keys in the keyring: print the long-term key, not a session
    #[arg(long)]
    pub no_session: bool,
}

impl ValueEnum for Shell {
    fn value_variants<'a>() -> &'a [Self] {
        &[
            Shell::Bash,
            Shell::Zsh,
            Shell::Fish,
            Shell::PowerShell,
            Shell::Sh,
            Shell::Nu,
            Shell::Elvish,
            Shell::Xonsh,
            Shell::Tcsh,
        ]
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        let value = clap::builder::PossibleValue::new(self.name());
        Some(match self {
            Shell::PowerShell => value.alias("pwsh"),
            Shell::Nu => value.alias("nushell"),
            Shell::Tcsh => value.alias("csh"),
            _ => value,
        })
    }
}
