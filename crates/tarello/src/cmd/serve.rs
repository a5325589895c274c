//! `tarello serve`: the HTTP API.

use std::sync::Arc;

use anyhow::Context;
use tarello_api::{AppState, HttpOptions};
use tarello_store::migrate::{self, MigrationSet};
use tokio::net::TcpListener;

use crate::config::Config;
use crate::runtime::{self, Mode, Runtime};

pub async fn run(cfg: Config) -> anyhow::Result<()> {
    runtime::prepare_data_dir(&cfg.data_dir)?;
    let _lock = crate::serve_lock::acquire(&cfg.data_dir)?;
    let rt = Runtime::open(&cfg, Mode::Serve).await?;
    let result = serve(&cfg, &rt).await;
    rt.close().await;
    result
}

async fn serve(cfg: &Config, rt: &Runtime) -> anyhow::Result<()> {
    let set = Arc::new(MigrationSet::builtin());
    migrate::ensure_current(&rt.db, &set).await?;
    tarello_store::keyring::verify_kek(&rt.db, &rt.keks, super::now()).await?;
    let services = tarello_service::Services::new(
        rt.db.clone(),
        tarello_crypto::KekSet::parse(rt.kek_text.expose())?,
        cfg.auth.clone(),
        Arc::new(tarello_service::SystemClock),
        match &cfg.smtp_url {
            Some(url) => tarello_service::Mailer::smtp(url.expose(), &cfg.mail_from)?,
            None => tarello_service::Mailer::Outbox(tarello_service::Outbox::new(
                cfg.data_dir.join("outbox"),
                &cfg.mail_from,
            )),
        },
    )?
    .with_attachments(runtime::open_blobs(cfg).await?, cfg.attachments.clone());
    // Kept to drain the capability log once the last request is done.
    let log = services.clone();
    let app = tarello_api::router(
        AppState {
            db: rt.db.clone(),
            migrations: set,
            services,
            trusted_proxies: Arc::new(cfg.trusted_proxies.clone()),
        },
        &HttpOptions {
            body_limit: cfg.body_limit_bytes,
            request_timeout: cfg.request_timeout,
        },
    );
    let audit = tokio::spawn(super::audit::background(
        rt.db.clone(),
        tarello_crypto::KekSet::parse(rt.kek_text.expose())?,
    ));
    let listener = TcpListener::bind(cfg.listen)
        .await
        .with_context(|| format!("TARELLO_LISTEN: cannot listen on {}", cfg.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(http.listen = %addr, "serving");
    eprintln!("Tarello is listening on http://{addr}");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    audit.abort();
    log.flush_capability_log().await;
    tracing::info!("stopped");
    Ok(())
}

/// SIGINT or SIGTERM: stop accepting, finish in-flight requests, return.
async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
    }
    tracing::info!("shutting down");
}
