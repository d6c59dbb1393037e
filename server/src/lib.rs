//! The Duyan server: one binary serving the sync endpoint, the API and the web app.
//!
//! Layout (read `docs/ARCHITECTURE.md` first):
//! - [`config`]: command line and environment.
//! - [`db`], [`embedded_pg`]: PostgreSQL, given by URL or run privately under the data dir.
//! - [`storage`]: documents as snapshot + increments, behind the [`storage::DocStore`] trait.
//! - [`access`]: who may read which record and which photo (Rust and SQL, one module).
//! - [`sync`]: the automerge-repo protocol, one task per loaded document, the review of changes.
//! - [`ws`]: WebSocket glue for `/sync`.
//! - [`directory`]: users and units in memory, reloaded when they change.
//! - [`auth`]: passwords, tokens, sessions, the `CurrentUser` extractor, `/api/auth/*`.
//! - [`users`]: users and units in the database; [`admin`]: the `user`/`unit` commands and
//!   the first start's `admin`; [`demo`]: `serve --demo`; [`backup`]: `backup`/`restore`.
//! - [`api`]: the `/api` router, its JSON error type [`api::ApiError`], the records list, the
//!   dashboard, the weekly report and the Excel ledger.
//! - [`projection`]: the queryable `records` table kept in step with the documents.
//! - [`blobs`]: photos, content-addressed, uploaded resumably, behind [`blobs::BlobStore`].
//! - [`documents`]: 督办单, 催办通知单 and 调研报告 as Word files, and the dossier's parts.
//! - [`app`]: the router and its state; [`metrics`]: Prometheus counters; [`edge`]: client
//!   addresses behind proxies, request ids, the access log, the metrics token.
//! - [`notify`]: events, reminders, the inbox's entries and the outbox to 企业微信 / 钉钉 /
//!   飞书 / webhooks.
//! - [`serve`]: wires it all together and shuts down gracefully.

pub mod access;
pub mod admin;
pub mod api;
pub mod app;
pub mod auth;
pub mod backup;
pub mod blobs;
pub mod config;
pub mod db;
pub mod demo;
pub mod directory;
pub mod documents;
pub mod edge;
pub mod embedded_pg;
pub mod meetings;
pub mod metrics;
pub mod notify;
pub mod projection;
pub mod storage;
pub mod sync;
pub mod users;
pub mod ws;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::app::AppState;
use crate::auth::{Auth, AuthConfig};
use crate::config::Config;
use crate::directory::DirectoryHandle;
use crate::metrics::Metrics;
use crate::storage::postgres::PgStore;
use crate::sync::SyncConfig;
use crate::sync::hub::{Hub, HubParts};
use crate::sync::protocol::PeerMetadata;
use crate::sync::session::{ServerIdentity, SessionLimits};

/// Runs the server until SIGINT or SIGTERM, then stops accepting, lets sessions close and
/// document tasks finish their writes, and stops the embedded database if it runs one.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let shutdown = CancellationToken::new();
    tokio::spawn(stop_on_signal(shutdown.clone()));

    // Checked before anything starts, so a bad secret is one clear line and no cleanup.
    let auth = Arc::new(Auth::from_config(
        config.jwt_secret.as_deref(),
        AuthConfig {
            access_ttl: config.access_token_ttl,
            password_change_exempt: if config.demo {
                demo::usernames()
            } else {
                Vec::new()
            },
            ..AuthConfig::default()
        },
    )?);

    let database = db::open(&config).await?;
    let pool = database.pool.clone();
    let setup = async {
        admin::ensure_first_admin(&pool, config.admin_password.as_deref()).await?;
        if config.demo {
            demo::seed(&pool).await?;
        }
        let storage_id = db::storage_id(&pool).await?;
        let directory = DirectoryHandle::load(&pool).await?;
        anyhow::Ok((storage_id, directory))
    };
    let (storage_id, directory) = match setup.await {
        Ok(done) => done,
        Err(error) => {
            // Do not leave an embedded cluster running behind a failed start.
            if let Err(close) = database.close().await {
                tracing::warn!(error = %close, "cannot stop the embedded database");
            }
            return Err(error);
        }
    };
    let identity = ServerIdentity {
        // A fresh peer id per process, as automerge-repo servers do; the storage id is what
        // identifies the data.
        peer_id: format!("duyan-{:016x}", rand::random::<u64>()).into(),
        metadata: Arc::new(PeerMetadata {
            storage_id: Some(storage_id),
            is_ephemeral: false,
        }),
    };
    let metrics = Arc::new(Metrics::default());
    let tracker = TaskTracker::new();
    directory.spawn_poller(pool.clone(), shutdown.clone(), &tracker);
    {
        // So the first sign-in of an unknown username is not slower than the others.
        let auth = auth.clone();
        tokio::spawn(async move { auth.passwords.warm_up().await });
    }
    let people_rx = people_of(&directory, shutdown.clone(), &tracker);
    let store = Arc::new(PgStore::new(pool.clone()));
    let origin = store.origin().clone();
    let (closed_meetings, closed_meetings_rx) = tokio::sync::mpsc::channel(meetings::QUEUE);
    let hub = Hub::new(HubParts {
        store,
        projector: Some(Arc::new(
            projection::PgProjector::new(pool.clone()).with_closed_meetings(closed_meetings),
        )),
        people: people_rx,
        server_peer_id: identity.peer_id.clone(),
        config: SyncConfig {
            doc_idle_timeout: config.doc_idle_timeout,
            ..SyncConfig::default()
        },
        metrics: metrics.clone(),
        tracker: tracker.clone(),
        shutdown: shutdown.clone(),
    });
    sync::remote::spawn_listener(
        pool.clone(),
        hub.clone(),
        origin,
        shutdown.clone(),
        &tracker,
    );
    meetings::spawn(
        pool.clone(),
        hub.clone(),
        closed_meetings_rx,
        shutdown.clone(),
        &tracker,
    );
    let metrics_for_scraper = metrics.clone();
    let vapid = match (&config.vapid_private_key, &config.vapid_subject) {
        (Some(key), Some(subject)) => {
            Some(Arc::new(notify::webpush::Vapid::from_base64(key, subject)?))
        }
        (Some(_), None) => anyhow::bail!("DUYAN_VAPID_PRIVATE_KEY needs DUYAN_VAPID_SUBJECT"),
        (None, _) => None,
    };
    let state = AppState {
        pool: pool.clone(),
        hub,
        identity,
        limits: SessionLimits {
            max_message_bytes: config.max_message_bytes,
            messages_per_second: config.messages_per_second,
        },
        metrics,
        tracker: tracker.clone(),
        shutdown: shutdown.clone(),
        web_dir: config.web_dir.clone(),
        auth,
        directory,
        blobs: blobs::Blobs::postgres(
            pool.clone(),
            blobs::BlobLimits {
                max_bytes: config.max_photo_bytes,
                max_attachment_bytes: config.max_attachment_bytes,
                uploads_per_user: config.uploads_per_user,
                ..blobs::BlobLimits::default()
            },
        ),
        notify: notify::Settings {
            allow_private: config.notify_allow_private,
            digest_at: config.digest_at.0,
            vapid: vapid.clone(),
        },
    };
    blobs::spawn_cleanup(state.blobs.store.clone(), shutdown.clone(), &tracker);
    let outbox = notify::outbox::Outbox::new(
        pool.clone(),
        notify::outbox::OutboxConfig {
            public_url: config
                .public_url
                .clone()
                .unwrap_or_else(|| format!("http://{}", config.listen)),
            allow_private: config.notify_allow_private,
            ..Default::default()
        },
        state.metrics.clone(),
    )?;
    outbox.spawn(shutdown.clone(), &tracker);
    if let Some(vapid) = vapid {
        notify::push::Pusher::new(pool.clone(), vapid, config.notify_allow_private)?
            .spawn(shutdown.clone(), &tracker);
    }
    notify::reminders::spawn(
        pool.clone(),
        config.reminder_interval,
        shutdown.clone(),
        &tracker,
    );

    if !config.web_dir.join("index.html").is_file() {
        tracing::warn!(dir = %config.web_dir.display(), "no built web app there (npm --prefix web run build); only the API and sync are served");
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let address = listener.local_addr()?;
    tracing::info!(%address, "listening");
    // One line on stdout for people and scripts (tests parse the port from it). Not
    // `println!`, which panics if whoever started us has stopped reading.
    let _ = std::io::Write::write_all(
        &mut std::io::stdout(),
        format!("duyan: listening on http://{address}\n").as_bytes(),
    );

    if let Some(address) = config.metrics_listen {
        spawn_metrics_listener(address, metrics_for_scraper.clone(), shutdown.clone()).await?;
    }
    let edge = edge::Edge {
        trusted: edge::TrustedProxies(config.trusted_proxies.clone()),
        metrics_token: config.metrics_token.clone(),
        metrics: metrics_for_scraper,
    };
    // With the client's address on every request: the sign-in limiter counts per address.
    let service =
        edge::layer(app::app(state), edge).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(shutdown.clone().cancelled_owned())
        .await?;
    tracing::info!("shutting down: closing sessions and finishing writes");
    tracker.close();
    tracker.wait().await;
    pool.close().await;
    if let Some(embedded) = database.embedded {
        embedded.stop().await?;
    }
    tracing::info!("stopped");
    Ok(())
}

/// Serves `/metrics` alone, unauthenticated, on `address` (a private interface for the
/// scraper), until shutdown.
async fn spawn_metrics_listener(
    address: SocketAddr,
    metrics: Arc<Metrics>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .with_context(|| format!("cannot listen for metrics on {address}"))?;
    tracing::info!(address = %listener.local_addr()?, "serving /metrics");
    let router = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let metrics = metrics.clone();
            async move {
                (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        "text/plain; version=0.0.4",
                    )],
                    metrics.render(),
                )
            }
        }),
    );
    tokio::spawn(async move {
        let served = axum::serve(listener, router)
            .with_graceful_shutdown(shutdown.cancelled_owned())
            .await;
        if let Err(error) = served {
            tracing::error!(%error, "the metrics listener stopped");
        }
    });
    Ok(())
}

/// The directory as the sync layer sees it: every reload is passed on, so loaded documents
/// check their peers against the new users and units.
pub fn people_of(
    directory: &DirectoryHandle,
    shutdown: CancellationToken,
    tracker: &TaskTracker,
) -> tokio::sync::watch::Receiver<Arc<dyn crate::access::People>> {
    let current: Arc<dyn crate::access::People> = directory.current();
    let (tx, rx) = tokio::sync::watch::channel(current);
    let mut changes = directory.subscribe();
    tracker.spawn(async move {
        loop {
            tokio::select! {
                changed = changes.changed() => {
                    if changed.is_err() {
                        break;
                    }
                    let next: Arc<dyn crate::access::People> = changes.borrow_and_update().clone();
                    tx.send_replace(next);
                }
                () = shutdown.cancelled() => break,
            }
        }
    });
    rx
}

async fn stop_on_signal(shutdown: CancellationToken) {
    let ctrl_c = tokio::signal::ctrl_c();
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(term) => term,
        Err(error) => {
            tracing::error!(%error, "cannot listen for SIGTERM");
            let _ = ctrl_c.await;
            shutdown.cancel();
            return;
        }
    };
    tokio::select! {
        _ = ctrl_c => {}
        _ = term.recv() => {}
    }
    shutdown.cancel();
}
