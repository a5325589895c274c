//! The KEK, from `TARELLO_KEK` or a key file. The embedded default
//! generates `<data dir>/kek` (0600) on first start and warns loudly: a key
//! next to the data protects a stolen dump, not a stolen disk.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use anyhow::{Context, bail};
use tarello_crypto::{KekSet, SecretString};

use crate::config::Config;

#[derive(Debug)]
pub enum KekSource {
    Env,
    File(std::path::PathBuf),
}

pub fn load(cfg: &Config) -> anyhow::Result<(KekSet, SecretString, KekSource)> {
    if let Some(text) = &cfg.kek {
        let set = KekSet::parse(text.expose()).context("TARELLO_KEK")?;
        return Ok((set, text.clone(), KekSource::Env));
    }
    let path = cfg.kek_file_path();
    if !path.exists() {
        if cfg.kek_file.is_some() {
            bail!(
                "TARELLO_KEK_FILE: {} does not exist; create it with `tarello keys generate > {}` (mode 0600)",
                path.display(),
                path.display()
            );
        }
        write_atomically(&path, &KekSet::generate_key_text())?;
        tracing::warn!(
            kek.file = %path.display(),
            "GENERATED A NEW KEY-ENCRYPTION KEY. It protects every workspace's data keys: back it up \
             apart from the database, and in production keep it out of the data directory \
             (TARELLO_KEK or TARELLO_KEK_FILE on other storage). Lose it and the encrypted data is gone."
        );
    }
    let meta = fs::metadata(&path).with_context(|| format!("KEK file {}", path.display()))?;
    if meta.permissions().mode() & 0o077 != 0 {
        tracing::warn!(kek.file = %path.display(), "the KEK file is readable by others; chmod 600 it");
    }
    let text = SecretString::new(
        fs::read_to_string(&path)
            .with_context(|| format!("cannot read KEK file {}", path.display()))?,
    );
    let set = KekSet::parse(text.expose())
        .with_context(|| format!("KEK file {} (TARELLO_KEK_FILE)", path.display()))?;
    Ok((set, text, KekSource::File(path)))
}

/// Writes key text with mode 0600 through a temporary file and a rename,
/// so a crash leaves the old file or the new one, never half of one.
pub fn write_atomically(path: &Path, text: &SecretString) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    let _ = fs::remove_file(&tmp);
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .with_context(|| format!("cannot write key file {}", tmp.display()))?;
    f.write_all(text.expose().as_bytes())?;
    f.write_all(b"\n")?;
    f.sync_all()?;
    fs::rename(&tmp, path).with_context(|| format!("cannot write key file {}", path.display()))?;
    Ok(())
}
