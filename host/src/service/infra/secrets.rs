//! Encryption at rest of secret settings (ChaCha20-Poly1305, a random nonce
//! per value, bound to the storefront and plugin it belongs to), and the
//! service's generated files that must stay private (mode 0600).

use std::io::Write as _;
use std::path::Path;

use anyhow::{Context as _, anyhow, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};

/// Environment variable holding the key (base64 of 32 bytes); it takes
/// precedence over the key file.
pub const KEY_ENV: &str = "CONNECT_SECRET_KEY";
const VERSION: &str = "v1.";

pub struct SecretBox {
    cipher: ChaCha20Poly1305,
}

impl SecretBox {
    /// The key from `CONNECT_SECRET_KEY`, else from `key_file`, which is
    /// created with a random key (mode 0600) when missing.
    pub fn load(key_file: &Path) -> anyhow::Result<Self> {
        let key = match std::env::var(KEY_ENV) {
            Ok(text) => decode_key(&text).context(KEY_ENV)?,
            Err(_) => match std::fs::read_to_string(key_file) {
                Ok(text) => decode_key(&text)
                    .with_context(|| format!("the secret key file {}", key_file.display()))?,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    let key = random::<32>()?;
                    write_private(key_file, format!("{}\n", B64.encode(key)).as_bytes())
                        .with_context(|| {
                            format!("creating the secret key file {}", key_file.display())
                        })?;
                    tracing::info!(file = %key_file.display(), "created a new secret key");
                    key
                }
                Err(e) => {
                    return Err(e).with_context(|| {
                        format!("reading the secret key file {}", key_file.display())
                    });
                }
            },
        };
        Ok(Self {
            cipher: ChaCha20Poly1305::new(Key::from_slice(&key)),
        })
    }

    /// Encrypts `plain`; `context` (e.g. storefront and plugin) must be given
    /// again to decrypt, so a value copied to another row does not decrypt.
    pub fn seal(&self, context: &str, plain: &[u8]) -> anyhow::Result<String> {
        let nonce = random::<12>()?;
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| anyhow!("encryption failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!("{VERSION}{}", B64.encode(out)))
    }

    pub fn open(&self, context: &str, sealed: &str) -> anyhow::Result<Vec<u8>> {
        let bytes = sealed
            .strip_prefix(VERSION)
            .and_then(|b| B64.decode(b).ok())
            .filter(|b| b.len() > 12)
            .ok_or_else(|| anyhow!("a stored secret is malformed"))?;
        let (nonce, sealed) = bytes.split_at(12);
        self.cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| {
                anyhow!(
                    "a stored secret cannot be decrypted: the secret key changed \
                     (check {KEY_ENV} or the key file), so enter the secret settings again"
                )
            })
    }
}

fn decode_key(text: &str) -> anyhow::Result<[u8; 32]> {
    let bytes = B64
        .decode(text.trim())
        .map_err(|_| anyhow!("the key is not base64"))?;
    bytes
        .try_into()
        .map_err(|_| anyhow!("the key must be 32 bytes (44 base64 characters)"))
}

pub fn random<const N: usize>() -> anyhow::Result<[u8; N]> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| anyhow!("no system randomness: {e}"))?;
    Ok(buf)
}

/// A random token of 32 bytes, URL-safe base64.
pub fn random_token() -> anyhow::Result<String> {
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random::<32>()?))
}

/// Creates `path` readable by its owner only, failing if it exists.
pub fn write_private(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()?;
    Ok(())
}

/// The admin token from `path`, created (random, mode 0600) when missing.
pub fn load_or_create_token(path: &Path) -> anyhow::Result<String> {
    match std::fs::read_to_string(path) {
        Ok(text) if !text.trim().is_empty() => Ok(text.trim().to_string()),
        Ok(_) => bail!("the admin token file {} is empty", path.display()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let token = random_token()?;
            write_private(path, format!("{token}\n").as_bytes())
                .with_context(|| format!("creating the admin token file {}", path.display()))?;
            tracing::info!(file = %path.display(), "created an admin token");
            Ok(token)
        }
        Err(e) => {
            Err(e).with_context(|| format!("reading the admin token file {}", path.display()))
        }
    }
}

/// Equality that takes the same time wherever the inputs differ: every
/// comparison of a secret or its digest in the service goes through here.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    subtle::ConstantTimeEq::ct_eq(a, b).into()
}

/// `url` as it may be shown (logs, errors, `--print-config`): a password
/// becomes `***` (`redis://:secret@host` -> `redis://:***@host`), and text
/// that is not a URL is not shown at all (it might hold one).
pub fn redact_url(url: &str) -> String {
    if url.is_empty() {
        return String::new();
    }
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() && parsed.set_password(Some("***")).is_err() {
                return "(a URL with a password, not shown)".into();
            }
            parsed.to_string()
        }
        Err(_) => "(not a valid URL, not shown)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_in_a_url_is_never_shown() {
        for (url, shown) in [
            (
                "redis://:s3cret@cache.internal:6380/2",
                "redis://:***@cache.internal:6380/2",
            ),
            (
                "redis://app:s3cret@10.0.0.5/0",
                "redis://app:***@10.0.0.5/0",
            ),
            ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
            ("redis://app@host", "redis://app@host"),
            ("redis://:p%40ss%3Aw0rd@host", "redis://:***@host"),
            ("", ""),
            ("redis//:s3cret@nowhere", "(not a valid URL, not shown)"),
        ] {
            assert_eq!(redact_url(url), shown, "{url}");
        }
    }

    #[test]
    fn seals_and_opens_bound_to_context() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("k");
        let sb = SecretBox::load(&file).unwrap();
        let sealed = sb.seal("a/tharstern", b"hunter2").unwrap();
        assert!(!sealed.contains("hunter2"));
        assert_eq!(sb.open("a/tharstern", &sealed).unwrap(), b"hunter2");
        assert!(sb.open("b/tharstern", &sealed).is_err());
        // The same file gives the same key.
        let again = SecretBox::load(&file).unwrap();
        assert_eq!(again.open("a/tharstern", &sealed).unwrap(), b"hunter2");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
