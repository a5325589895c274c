//! `tarello keys status|rotate|generate`. Key material is never printed,
//! except by `generate`, whose whole purpose is to print a new key.

use anyhow::bail;
use clap::{ArgGroup, Args, Subcommand};
use tarello_crypto::{KekSet, SecretString};
use tarello_domain::Slug;
use tarello_store::keyring;
use tarello_store::migrate::{self, MigrationSet};

use super::{UsageError, now, with_runtime};
use crate::config::Config;
use crate::kekfile::{self, KekSource};
use crate::progress::Bar;
use crate::runtime::{Mode, Runtime};

#[derive(Debug, Subcommand)]
pub enum KeysCmd {
    /// Show KEK ids and every workspace's data-key versions with their ages (never key material).
    Status,
    /// Rotate the KEK (rewrap every data key) or one workspace's data key (re-encrypt its fields). Resumable.
    Rotate(RotateArgs),
    /// Print a new random KEK (base64) for TARELLO_KEK or a key file.
    Generate,
    /// Give a workspace a new token signing key; the old one stays published
    /// (JWKS) for an hour so tokens it signed run out instead of failing.
    RotateSigning {
        /// The workspace's slug.
        #[arg(long, value_name = "SLUG")]
        workspace: String,
    },
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("what").required(true).args(["kek", "workspace"])))]
pub struct RotateArgs {
    /// Rewrap every data key under a new KEK. With a key file, the new key is generated and
    /// put first; with TARELLO_KEK, put the new key first yourself: TARELLO_KEK="NEW,OLD".
    #[arg(long)]
    kek: bool,
    /// Make a new data key for this workspace and re-encrypt its fields under it.
    #[arg(long, value_name = "SLUG")]
    workspace: Option<String>,
}

pub async fn run(cfg: Config, cmd: KeysCmd) -> anyhow::Result<()> {
    match cmd {
        KeysCmd::Generate => {
            println!("{}", KekSet::generate_key_text().expose());
            Ok(())
        }
        KeysCmd::Status => with_runtime(&cfg, |rt| Box::pin(status(rt))).await,
        KeysCmd::RotateSigning { workspace } => {
            let slug =
                Slug::parse(&workspace).map_err(|e| UsageError(format!("invalid slug: {e}")))?;
            with_runtime(&cfg, move |rt| Box::pin(rotate_signing(rt, slug))).await
        }
        KeysCmd::Rotate(args) => {
            if let Some(slug) = &args.workspace {
                let slug =
                    Slug::parse(slug).map_err(|e| UsageError(format!("invalid slug: {e}")))?;
                with_runtime(&cfg, move |rt| Box::pin(rotate_workspace(rt, slug))).await
            } else {
                rotate_kek(&cfg).await
            }
        }
    }
}

async fn status(rt: &Runtime) -> anyhow::Result<()> {
    let source = match &rt.kek_source {
        KekSource::Env => "TARELLO_KEK".to_owned(),
        KekSource::File(p) => p.display().to_string(),
    };
    println!("KEKs (from {source}):");
    for (i, id) in rt.keks.ids().iter().enumerate() {
        println!(
            "  {id}{}",
            if i == 0 {
                "  primary"
            } else {
                "  older (still unwraps)"
            }
        );
    }
    let rows = keyring::key_status(&rt.db).await?;
    println!(
        "\n{:<40} {:>7} {:<16} {:>10}  STATE",
        "WORKSPACE", "VERSION", "KEK", "AGE"
    );
    let t = now();
    for r in &rows {
        let age = t - r.created_at;
        let state = match r.retired_at {
            Some(_) => "retired",
            None => "live",
        };
        println!(
            "{:<40} {:>7} {:<16} {:>9}d  {state}",
            r.slug,
            r.version,
            r.kek_id,
            age.whole_days()
        );
    }
    Ok(())
}

async fn rotate_workspace(rt: &Runtime, slug: Slug) -> anyhow::Result<()> {
    let ws = tarello_store::find_workspace(&rt.db, &slug).await?;
    let report = keyring::rotate_workspace_key(&rt.db, &rt.keks, &ws, now(), &Bar::new()).await?;
    println!(
        "workspace {}: data key v{} is primary{}; {} field(s) re-encrypted; retired versions: {:?}",
        ws.slug,
        report.new_version,
        if report.resumed {
            " (resumed an unfinished rotation)"
        } else {
            ""
        },
        report.fields_reencrypted,
        report.retired_versions
    );
    Ok(())
}

/// KEK rotation. With a key file we write "NEW\nOLD…" first (so a kill
/// midway leaves both keys in the file and a rerun resumes), rewrap every
/// data key, then drop the old keys from the file.
async fn rotate_kek(cfg: &Config) -> anyhow::Result<()> {
    let (keks, text, source) = kekfile::load(cfg)?;
    match source {
        KekSource::Env => {
            if keks.ids().len() < 2 {
                bail!(
                    "TARELLO_KEK holds one key. Put a new key first and keep the old one after it: \
                     TARELLO_KEK=\"NEW,OLD\" (make one with `tarello keys generate`), run this again, \
                     then drop OLD"
                );
            }
        }
        KekSource::File(ref path) => {
            if keks.ids().len() < 2 {
                let new = KekSet::generate_key_text();
                let both = SecretString::new(format!("{}\n{}", new.expose(), text.expose().trim()));
                KekSet::parse(both.expose())?;
                kekfile::write_atomically(path, &both)?;
                eprintln!(
                    "new KEK written first in {}; the old one stays until every data key is rewrapped",
                    path.display()
                );
            } else {
                eprintln!(
                    "{} already holds several keys: resuming the rotation",
                    path.display()
                );
            }
        }
    }
    let rt = Runtime::open(cfg, Mode::Command).await?;
    let result = async {
        migrate::ensure_current(&rt.db, &MigrationSet::builtin()).await?;
        let n = keyring::rewrap_all(&rt.db, &rt.keks, now(), &Bar::new()).await?;
        let primary = rt.keks.primary_id().to_owned();
        match &rt.kek_source {
            KekSource::File(path) => {
                let only_new = rt
                    .kek_text
                    .expose()
                    .split(|c: char| c == ',' || c.is_whitespace())
                    .find(|s| !s.is_empty())
                    .map(|s| SecretString::new(s.to_owned()));
                if let Some(k) = only_new {
                    kekfile::write_atomically(path, &k)?;
                }
                println!("{n} data key(s) rewrapped; {} now holds only KEK {primary}", path.display());
            }
            KekSource::Env => println!(
                "{n} data key(s) rewrapped under KEK {primary}; remove the older key(s) from TARELLO_KEK"
            ),
        }
        Ok(())
    }
    .await;
    rt.close().await;
    result
}

async fn rotate_signing(rt: &Runtime, slug: Slug) -> anyhow::Result<()> {
    use tarello_crypto::{FieldPlace, SigningKey};
    use tarello_store::identity::signing;
    let ws = tarello_store::find_workspace(&rt.db, &slug).await?;
    let key = SigningKey::generate_ed25519();
    let cipher = keyring::field_cipher(&rt.db, &rt.keks, ws.id).await?;
    let place = FieldPlace::new(ws.id.0, "signing_key", "private_key", key.kid());
    let sealed = cipher.encrypt(&place, key.private_pkcs8().expose())?;
    signing::insert(&rt.db, ws.id, key.kid(), &sealed, &key.public_jwk(), now()).await?;
    let retired = signing::retire_others(&rt.db, ws.id, key.kid(), now()).await?;
    println!(
        "workspace {}: new signing key {} in use; {retired} older key(s) stay in the JWKS for an hour",
        ws.slug,
        key.kid()
    );
    Ok(())
}
