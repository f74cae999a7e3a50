//! An App's static key pair: generated, saved, loaded, and printed as a short string.

use std::io;
use std::path::{Path, PathBuf};

use stardust_proto::crypto::{KeyParseError, PublicKey, SeededEntropy, StaticKeypair};
use thiserror::Error;

/// An App's long-lived X25519 key pair: what a listening App proves it holds (clients pin its
/// [`public_key`](Self::public_key)), and what a connecting App may present (a listener's
/// [`AcceptPolicy`](super::AcceptPolicy) may allow it by key).
///
/// Save it, and load it at the next start, so clients that pinned the key keep connecting and
/// clients of a listener that restarted learn at once that their connection is gone (the
/// stateless reset tokens derive from this key). `Debug` never shows the private half.
#[derive(Clone, PartialEq, Eq)]
pub struct Identity(StaticKeypair);

impl core::fmt::Debug for Identity {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Identity {{ public_key: {} }}", self.public_key())
    }
}

/// Why an identity could not be generated, loaded or saved.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum IdentityError {
    /// The operating system's random generator failed.
    #[error(
        "the operating system's random generator failed: {0}; check that /dev/urandom (or getrandom) is available"
    )]
    Entropy(String),
    /// The file could not be read or written.
    #[error("identity file {path}: {source}; check the path and its permissions")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// The file does not hold a key.
    #[error("identity file {path}: {source}; it should hold the line written by Identity::save")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong with its text.
        source: KeyParseError,
    },
}

impl Identity {
    /// A fresh key pair from the operating system's random generator.
    pub fn generate() -> Result<Identity, IdentityError> {
        let mut entropy = os_entropy()?;
        Ok(Identity(StaticKeypair::generate(&mut entropy)))
    }

    /// The identity whose key pair is `keypair`.
    pub fn from_keypair(keypair: StaticKeypair) -> Identity {
        Identity(keypair)
    }

    /// Reads an identity written by [`save`](Self::save).
    pub fn load(path: impl AsRef<Path>) -> Result<Identity, IdentityError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|source| IdentityError::Io { path: path.to_owned(), source })?;
        StaticKeypair::from_private_text(text.trim())
            .map(Identity)
            .map_err(|source| IdentityError::Parse { path: path.to_owned(), source })
    }

    /// Loads the identity saved at `path`, or generates one and saves it there when the file
    /// does not exist yet.
    pub fn load_or_generate(path: impl AsRef<Path>) -> Result<Identity, IdentityError> {
        let path = path.as_ref();
        if path.exists() {
            return Identity::load(path);
        }
        let identity = Identity::generate()?;
        identity.save(path)?;
        Ok(identity)
    }

    /// Writes the private key to `path` as one line of base64, readable by its owner only
    /// (mode 0600 on Unix). Keep the file as secret as a password.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), IdentityError> {
        let path = path.as_ref();
        let io = |source| IdentityError::Io { path: path.to_owned(), source };
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path).map_err(io)?;
        io::Write::write_all(&mut file, format!("{}\n", self.0.private_text()).as_bytes())
            .map_err(io)
    }

    /// The public half, to give to clients (its `Display` is 44 characters of base64).
    pub fn public_key(&self) -> PublicKey {
        self.0.public()
    }

    /// The key pair.
    pub fn keypair(&self) -> &StaticKeypair {
        &self.0
    }
}

/// A generator seeded with 32 bytes from the operating system: every key, cookie secret and
/// connection id the transport draws comes from one of these.
pub(crate) fn os_entropy() -> Result<SeededEntropy, IdentityError> {
    let mut seed = [0; 32];
    getrandom::fill(&mut seed).map_err(|error| IdentityError::Entropy(error.to_string()))?;
    Ok(SeededEntropy::new(seed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_identity_survives_a_save_and_load() {
        let dir = std::env::temp_dir().join(format!("stardust-identity-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("listener.key");
        let first = Identity::load_or_generate(&path).unwrap();
        let again = Identity::load_or_generate(&path).unwrap();
        assert_eq!(first, again, "the second start loads what the first saved");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "not a key").unwrap();
        let error = Identity::load(&path).unwrap_err();
        assert!(error.to_string().contains("Identity::save"), "{error}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn generated_identities_differ() {
        assert_ne!(Identity::generate().unwrap(), Identity::generate().unwrap());
    }
}
