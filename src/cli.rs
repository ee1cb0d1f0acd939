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
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print shell code that exports a profile's credentials
    #[command(
        long_about = "Resolve a profile's credentials and print shell code that exports them.\n\n\
            Use it through the shell integration (`awsenv assume PROFILE`), or with \
            `eval \"$(awsenv assume PROFILE)\"` (sh, bash, zsh), \
            `awsenv assume PROFILE | source` (fish), \
            `awsenv assume PROFILE --shell powershell | Out-String | Invoke-Expression` (PowerShell).\n\n\
            With no PROFILE and no AWS_PROFILE, a fuzzy picker opens on the terminal (recent \
            profiles first; Esc or Ctrl-C cancels with exit 130). `awsenv assume -` assumes \
            the profile assumed before the current one.\n\n\
            On any failure stdout is `false` (empty for PowerShell), so the shell's variables \
            are left as they were."
    )]
    Assume(AssumeArgs),
    /// Print shell code that removes every variable awsenv manages
    Unset(UnsetArgs),
    /// Print the shell integration: wrapper function, prompt hook, completions
    #[command(
        long_about = "Print the shell integration for SHELL: an `awsenv` wrapper function so \
            `awsenv assume` and `awsenv unset` act on the current shell, a prompt hook that \
            warns before the session expires (or re-assumes it, AWSENV_AUTO=refresh), \
            AWSENV_PROMPT kept current, and completions.\n\n\
            bash (~/.bashrc):    eval \"$(awsenv init bash)\"\n\
            zsh (~/.zshrc):      eval \"$(awsenv init zsh)\"\n\
            fish (config.fish):  awsenv init fish | source\n\
            sh (~/.profile):     eval \"$(awsenv init sh)\"   (the wrapper only: sh has no prompt hook)\n\
            PowerShell ($PROFILE): Invoke-Expression (& awsenv init powershell | Out-String)"
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
            replaced.\n\nExample: awsenv exec prod -- aws s3 ls"
    )]
    Exec(ExecArgs),
    /// Diagnose why credentials fail (ExpiredToken and friends)
    #[command(
        long_about = "Diagnose why credentials fail. Each check prints ok, warn or fail, the \
            evidence, and the fix as a command: exported credentials expired or near expiry; \
            AWS_SECURITY_TOKEN or AWS_PROFILE shadowing the exported keys; environment keys \
            shadowing a profile or an instance profile; a static aws_session_token that STS \
            rejects; expired entries in ~/.aws/cli/cache and awsenv's cache; clock skew against \
            STS; the profile chain; get-caller-identity for the profile; and, with --imds or \
            on EC2, the instance metadata service.\n\nExits 0 when no check fails, 1 when any does."
    )]
    Doctor(DoctorArgs),
    /// Print a completion script for SHELL
    Completions(CompletionsArgs),
    /// Print credentials in the AWS `credential_process` JSON format
    #[command(name = "credential-process")]
    CredentialProcess(CredentialProcessArgs),
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
}

#[derive(Debug, Args)]
pub struct ShellArg {
    /// Shell dialect [default: $AWSENV_SHELL, else $SHELL, else sh]
    #[arg(long, short = 's', value_name = "S")]
    pub shell: Option<Shell>,
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
pub struct CredentialProcessArgs {
    /// Profile whose credentials to print
    #[arg(add = ArgValueCandidates::new(crate::profile::complete_names))]
    pub profile: String,
    /// Session duration: seconds, or like 1h30m
    #[arg(long, short = 'd', value_name = "D")]
    pub duration: Option<String>,
}

impl ValueEnum for Shell {
    fn value_variants<'a>() -> &'a [Self] {
        &[
            Shell::Bash,
            Shell::Zsh,
            Shell::Fish,
            Shell::PowerShell,
            Shell::Sh,
        ]
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        let value = clap::builder::PossibleValue::new(self.name());
        Some(match self {
            Shell::PowerShell => value.alias("pwsh"),
            _ => value,
        })
    }
}
