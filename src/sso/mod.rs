//! IAM Identity Center: the profiles an SSO session is granted (`populate`).
//!
//! Everything that talks to the SSO portal or edits the config file on an SSO session's
//! behalf lives below here; resolving an SSO profile's credentials goes through aws-config.

pub mod populate;
