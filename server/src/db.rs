//! Connecting to PostgreSQL (given, or embedded) and preparing it.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::config::Config;
use crate::embedded_pg::EmbeddedPostgres;

/// A pool plus the embedded cluster behind it, if any (stopped on shutdown).
pub struct Database {
    pub pool: PgPool,
    pub embedded: Option<EmbeddedPostgres>,
}

impl Database {
    /// Closes the pool, then stops the embedded cluster if we started one.
    pub async fn close(self) -> anyhow::Result<()> {
        self.pool.close().await;
        if let Some(embedded) = self.embedded {
            embedded.stop().await?;
        }
        Ok(())
    }
}

pub async fn open(config: &Config) -> anyhow::Result<Database> {
    connect(
        config.database_url.as_deref(),
        &config.data_dir,
        config.db_max_connections,
        // Like documents, connections opened for a burst are given back once unused for the
        // idle timeout, with the memory they hold here and in PostgreSQL: after a phone
        // fetched ten thousand records, a dozen idle connections' buffers and statement caches
        // were most of what the server still held (BENCHMARKS.md, (d)).
        config.doc_idle_timeout,
        false,
    )
    .await
}

/// Connects to `database_url`, or starts the embedded cluster under `data_dir` when it is
/// `None`, and applies the migrations. Connections unused for `idle_timeout` are closed, down
/// to one. `command`: an administration command, which uses the cluster of a server running
/// on `data_dir` rather than refuse it.
pub async fn connect(
    database_url: Option<&str>,
    data_dir: &Path,
    max_connections: u32,
    idle_timeout: Duration,
    command: bool,
) -> anyhow::Result<Database> {
    let (options, embedded) = match database_url {
        Some(url) => (
            url.parse::<PgConnectOptions>()
                .context("DATABASE_URL is not a valid PostgreSQL URL")?,
            None,
        ),
        None => {
            let pg = if command {
                EmbeddedPostgres::start_or_attach(data_dir).await?
            } else {
                EmbeddedPostgres::start(data_dir).await?
            };
            (pg.connect_options(), Some(pg))
        }
    };
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        // Under a burst, waiting for a connection is normal; failing after the default 30 s
        // would turn load into errors. Storage retries cover real outages.
        .acquire_timeout(Duration::from_secs(60))
        .idle_timeout(idle_timeout)
        .min_connections(1)
        .connect_with(options)
        .await
        .context("cannot connect to PostgreSQL")?;
    sqlx::migrate!("./migrations")
        .run(&pool)
        .await
        .context("database migration failed")?;
    let filled = crate::projection::search::backfill(&pool)
        .await
        .context("cannot compute the records list's search keys")?;
    if filled > 0 {
        tracing::info!(
            rows = filled,
            "computed the search keys of existing records"
        );
    }
    Ok(Database { pool, embedded })
}

/// This installation's storage id, created on first start. Clients key "what this server
/// holds" by it, so it must survive restarts and be shared by processes on one database.
pub async fn storage_id(pool: &PgPool) -> anyhow::Result<String> {
    let candidate = format!("duyan-{:032x}", rand::random::<u128>());
    sqlx::query!(
        "insert into server_meta (key, value) values ('storage_id', $1) on conflict (key) do nothing",
        candidate
    )
    .execute(pool)
    .await?;
    let id = sqlx::query_scalar!("select value from server_meta where key = 'storage_id'")
        .fetch_one(pool)
        .await?;
    Ok(id)
}
