//! Secrets at rest (BRIEF B12): API keys are encrypted with AES-256-GCM under the
//! server's master key (`<data-dir>/secret.key`, mode 0600) before they reach SQLite.

use crate::StoreError;
use aes_gcm::aead::{Aead, Generate, Key, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use std::path::Path;

/// Encrypts and decrypts secrets under the server's master key.
pub struct SecretBox {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(<key>)")
    }
}

impl SecretBox {
    /// Loads the master key from `path`, creating it (32 random bytes, 0600) if absent.
    pub fn load_or_create(path: &Path) -> Result<Self, StoreError> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = Key::<Aes256Gcm>::generate();
                use std::io::Write;
                use std::os::unix::fs::OpenOptionsExt;
                let mut f = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(path)?;
                f.write_all(key.as_slice())?;
                f.sync_all()?;
                key.to_vec()
            }
            Err(e) => return Err(e.into()),
        };
        let key = Key::<Aes256Gcm>::try_from(bytes.as_slice())
            .map_err(|_| StoreError::Corrupt(format!("{} is not a 32-byte key", path.display())))?;
        Ok(SecretBox {
            cipher: Aes256Gcm::new(&key),
        })
    }

    /// Encrypts `plaintext` bound to `label` (the secret's name): returns nonce and ciphertext.
    pub fn seal(&self, label: &str, plaintext: &[u8]) -> Result<(Vec<u8>, Vec<u8>), StoreError> {
        let nonce = Nonce::generate();
        let ct = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: label.as_bytes(),
                },
            )
            .map_err(|_| StoreError::Corrupt("encryption failed".into()))?;
        Ok((nonce.to_vec(), ct))
    }

    /// Decrypts what [`SecretBox::seal`] produced for the same `label`.
    pub fn open(
        &self,
        label: &str,
        nonce: &[u8],
        ciphertext: &[u8],
    ) -> Result<Vec<u8>, StoreError> {
        let nonce = Nonce::try_from(nonce).map_err(|_| StoreError::Corrupt("bad nonce".into()))?;
        self.cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: ciphertext,
                    aad: label.as_bytes(),
                },
            )
            .map_err(|_| {
                StoreError::Corrupt(format!(
                    "secret {label:?} cannot be decrypted with this server's key"
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_opens_and_binds_to_the_label() {
        let t = tempfile::tempdir().unwrap();
        let path = t.path().join("secret.key");
        let b = SecretBox::load_or_create(&path).unwrap();
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let (n, ct) = b.seal("openai", b"sk-secret").unwrap();
        assert!(!ct.windows(9).any(|w| w == b"sk-secret"));
        let again = SecretBox::load_or_create(&path).unwrap();
        assert_eq!(again.open("openai", &n, &ct).unwrap(), b"sk-secret");
        assert!(again.open("other", &n, &ct).is_err());
        assert!(format!("{b:?}").contains("<key>"));
    }
}
