//! The IAM calls of a rotation: ListAccessKeys, CreateAccessKey, DeleteAccessKey, each
//! signed with the credentials given (the keyring's key, or its MFA session), on a
//! current-thread runtime. `AWS_ENDPOINT_URL_IAM`, else `AWS_ENDPOINT_URL`, is honoured.
//!
//! Nothing here decides what a rotation does; `rotate` does. Secrets never reach a message.

use std::time::Duration;

use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};

use super::Pair;
use crate::aws::{self, Aws, Service, Settings};
use crate::env::{Context, Credentials};
use crate::error::Result;
use crate::profile::Config;

/// One access key of the user, as ListAccessKeys gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    pub access_key_id: String,
    pub active: bool,
    pub created_at: Option<i64>,
}

/// An IAM failure: its error code when IAM sent one, and the line a user sees.
#[derive(Debug, Clone)]
pub struct Failure {
    pub code: Option<String>,
    pub message: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

pub struct Iam {
    client: aws_sdk_iam::Client,
    aws: Aws,
    endpoint: String,
}

impl Iam {
    /// The IAM client for `profile`'s settings (`AWS_ENDPOINT_URL_IAM`, `[services]`, the CA
    /// bundle, the proxy…), every call signed with `creds`: built by `aws`, as every client.
    pub fn new(ctx: &Context, config: &Config, profile: &str, creds: &Credentials) -> Result<Self> {
        // IAM is global; its requests are signed for us-east-1.
        let settings = Settings::load(ctx, Some(config), Some(profile), Some("us-east-1"))?
            .for_service(Service::IAM);
        let endpoint = settings
            .endpoint_url(Service::IAM)
            .map_or_else(|| "https://iam.amazonaws.com".to_owned(), |c| c.value);
        let aws = Aws::new(settings)?;
        let conf = aws_sdk_iam::config::Builder::from(&aws.signed_by(creds))
            .interceptor(aws::Logged)
            .build();
        Ok(Self {
            client: aws_sdk_iam::Client::from_conf(conf),
            aws,
            endpoint,
        })
    }

    pub fn list_access_keys(&self, user: &str) -> Result<Vec<KeyInfo>, Failure> {
        let reply = self
            .aws
            .block_on(self.client.list_access_keys().user_name(user).send())
            .map_err(|e| self.failure("ListAccessKeys", e))?;
        Ok(reply
            .access_key_metadata()
            .iter()
            .filter_map(|k| {
                Some(KeyInfo {
                    access_key_id: k.access_key_id()?.to_owned(),
                    active: k
                        .status()
                        .is_none_or(|s| s == &aws_sdk_iam::types::StatusType::Active),
                    created_at: k.create_date().map(|d| d.secs()),
                })
            })
            .collect())
    }

    pub fn create_access_key(&self, user: &str) -> Result<Pair, Failure> {
        let reply = self
            .aws
            .block_on(self.client.create_access_key().user_name(user).send())
            .map_err(|e| self.failure("CreateAccessKey", e))?;
        let key = reply.access_key().ok_or_else(|| Failure {
            code: None,
            message: format!("IAM at {} sent no access key", self.endpoint),
        })?;
        let pair = Pair {
            access_key_id: key.access_key_id().to_owned(),
            secret_access_key: key.secret_access_key().to_owned(),
            created_at: key.create_date().map(|d| d.secs()),
        };
        if pair.access_key_id.is_empty() || pair.secret_access_key.is_empty() {
            return Err(Failure {
                code: None,
                message: format!("IAM at {} sent an empty access key", self.endpoint),
            });
        }
        Ok(pair)
    }

    /// DeleteAccessKey, retried a few times with backoff (a key just made current may not
    /// sign yet everywhere); a key that is already gone counts as deleted.
    pub fn delete_access_key(&self, user: &str, key_id: &str) -> Result<(), Failure> {
        let mut wait = Duration::from_millis(500);
        let mut last = None;
        for _ in 0..5 {
            let sent = self.aws.block_on(
                self.client
                    .delete_access_key()
                    .user_name(user)
                    .access_key_id(key_id)
                    .send(),
            );
            match sent {
                Ok(_) => return Ok(()),
                Err(e) => {
                    let failure = self.failure("DeleteAccessKey", e);
                    if failure.code.as_deref() == Some("NoSuchEntity") {
                        return Ok(());
                    }
                    last = Some(failure);
                }
            }
            std::thread::sleep(wait);
            wait *= 2;
        }
        Err(last.unwrap_or(Failure {
            code: None,
            message: "DeleteAccessKey failed".into(),
        }))
    }

    fn failure<E, R>(&self, call: &str, error: SdkError<E, R>) -> Failure
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + 'static,
    {
        match &error {
            SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => Failure {
                code: None,
                message: format!(
                    "{call}: {}",
                    aws::unreachable(
                        "IAM",
                        &self.endpoint,
                        &error,
                        self.aws.settings().timeout(),
                        matches!(error, SdkError::TimeoutError(_)),
                    )
                ),
            },
            _ => {
                let code = error.code().map(str::to_owned);
                let said = error
                    .message()
                    .unwrap_or_default()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ");
                let advice = match code.as_deref() {
                    Some("AccessDenied") => {
                        "access denied: the user needs iam:ListAccessKeys, iam:CreateAccessKey and iam:DeleteAccessKey on itself"
                    }
                    Some("LimitExceeded") => "the user already has two access keys",
                    Some("InvalidClientTokenId") => "the key in the keyring is not valid",
                    _ => "IAM refused the request",
                };
                Failure {
                    message: format!(
                        "{call}: {advice} ({}{}{said})",
                        code.as_deref().unwrap_or("no code"),
                        if said.is_empty() { "" } else { ": " }
                    ),
                    code,
                }
            }
        }
    }
}
