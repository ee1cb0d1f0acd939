//! The Secret Service backend (GNOME Keyring, KeePassXC, KWallet 5.97+) over the session
//! D-Bus, in pure Rust (zbus), so the static musl build has it too.
//!
//! Items carry `service` = `awsenv` and `profile` = the profile name, in the default
//! collection. A locked collection is reported, never unlocked behind the user's back (no
//! prompt is started); so are a missing Secret Service and a missing session bus.

use std::collections::HashMap;

use secret_service::{EncryptionType, Error as SsError, SecretService as Client};
use zeroize::Zeroizing;

use super::{Backend, SERVICE};
use crate::env::Context;
use crate::error::{Error, Result};

pub struct SecretService {
    runtime: std::cell::OnceCell<tokio::runtime::Runtime>,
    /// Whether a session bus is there to ask: its address, or the standard socket.
    has_bus: bool,
}

impl SecretService {
    pub fn new(ctx: &Context) -> Self {
        let socket = ctx
            .var("XDG_RUNTIME_DIR")
            .is_some_and(|d| std::path::Path::new(d).join("bus").exists());
        Self {
            runtime: std::cell::OnceCell::new(),
            has_bus: ctx.var("DBUS_SESSION_BUS_ADDRESS").is_some() || socket,
        }
    }

    fn run<T>(
        &self,
        work: impl AsyncFnOnce(&Client<'_>) -> std::result::Result<T, SsError>,
    ) -> Result<T> {
        if self.runtime.get().is_none() {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| failure(&format!("cannot start its client: {e}")))?;
            let _ = self.runtime.set(runtime);
        }
        let runtime = self.runtime.get().ok_or_else(|| failure("no client"))?;
        runtime.block_on(async {
            let client = match Client::connect(EncryptionType::Dh).await {
                Ok(client) => client,
                Err(_) if !self.has_bus => return Err(failure(
                    "no D-Bus session bus to reach it (DBUS_SESSION_BUS_ADDRESS is unset, as over SSH, in containers and on WSL)",
                )),
                Err(SsError::Locked) => return Err(call_error(&SsError::Locked)),
                Err(_) => return Err(call_error(&SsError::Unavailable)),
            };
            work(&client).await.map_err(|e| call_error(&e))
        })
    }
}

fn attributes(profile: &str) -> HashMap<&str, &str> {
    HashMap::from([("service", SERVICE), ("profile", profile)])
}

/// The default collection, unlocked; a locked one is `SsError::Locked`.
async fn collection<'a>(
    client: &'a Client<'_>,
) -> std::result::Result<secret_service::Collection<'a>, SsError> {
    let collection = client.get_default_collection().await?;
    if collection.is_locked().await? {
        return Err(SsError::Locked);
    }
    Ok(collection)
}

impl Backend for SecretService {
    fn name(&self) -> &'static str {
        "secret-service"
    }

    fn get(&self, profile: &str) -> Result<Option<Zeroizing<String>>> {
        self.run(async |client| {
            let found = client.search_items(attributes(profile)).await?;
            if !found.locked.is_empty() && found.unlocked.is_empty() {
                return Err(SsError::Locked);
            }
            let Some(item) = found.unlocked.first() else {
                return Ok(None);
            };
            let secret = Zeroizing::new(item.get_secret().await?);
            Ok(Some(Zeroizing::new(
                String::from_utf8_lossy(&secret).into_owned(),
            )))
        })
    }

    fn set(&self, profile: &str, value: &str) -> Result<()> {
        let label = format!("awsenv: AWS access key of profile {profile}");
        self.run(async |client| {
            let collection = collection(client).await?;
            collection
                .create_item(
                    &label,
                    attributes(profile),
                    value.as_bytes(),
                    true,
                    "text/plain",
                )
                .await?;
            Ok(())
        })
    }

    fn delete(&self, profile: &str) -> Result<bool> {
        self.run(async |client| {
            let found = client.search_items(attributes(profile)).await?;
            if !found.locked.is_empty() {
                return Err(SsError::Locked);
            }
            for item in &found.unlocked {
                item.delete().await?;
            }
            Ok(!found.unlocked.is_empty())
        })
    }

    fn check(&self) -> Result<()> {
        self.run(async |client| collection(client).await.map(|_| ()))
    }
}

fn failure(what: &str) -> Error {
    Error::Credentials(format!(
        "the Secret Service (keyring): {what}; or keep keys in an encrypted file with AWSENV_KEYRING=file"
    ))
}

fn call_error(error: &SsError) -> Error {
    match error {
        SsError::Unavailable => failure(
            "nothing provides it on the D-Bus session bus (start gnome-keyring-daemon, KeePassXC or KWallet)",
        ),
        SsError::Locked => {
            failure("the default collection is locked (unlock it in your keyring first)")
        }
        SsError::NoResult => failure("it has no default collection (create one, e.g. in Seahorse)"),
        SsError::Prompt => failure("the unlock prompt was dismissed"),
        other => failure(&format!(
            "the call failed ({})",
            one_line(&other.to_string())
        )),
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
