//! `duyan backup FILE` and `duyan restore FILE`: the whole database with PostgreSQL's own
//! `pg_dump` / `pg_restore`, in their custom format (compressed, restorable table by table).
//!
//! Everything the server keeps is in PostgreSQL: documents, the projection, users, sessions and
//! the photos' bytes (`blobs`, `blob_parts`, see [`crate::blobs`]), so one dump is a complete
//! backup; the data directory holds nothing else worth saving.
//!
//! - The database is the one `serve` would use: `DATABASE_URL`, or the embedded cluster of the
//!   data directory, shared with a running server as the other commands share it
//!   ([`EmbeddedPostgres::start_or_attach`]), so a backup needs no downtime: `pg_dump` reads one
//!   consistent snapshot while the server goes on writing. With no server running, the cluster
//!   is started for the command and stopped again.
//! - A restore goes only into an empty database (a fresh data directory, or a database just
//!   made with `createdb`), in one transaction: it never mixes two installations' data, and a
//!   failed restore leaves the database empty. Owners and grants are not restored, so a dump of
//!   the embedded cluster (user `duyan`) restores into a database with any owner, and back.
//! - The tools are the newest installed PostgreSQL's: a newer `pg_dump` reads older servers and
//!   a newer `pg_restore` reads older archives, so a backup taken before an upgrade restores
//!   after it.
//! - The password of `DATABASE_URL` goes to the tools in `PGPASSWORD`, not on their command
//!   line, which other users of the machine can read.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::{Context, bail};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection};
use tokio::process::Command;

use crate::config::DatabaseArgs;
use crate::embedded_pg::{self, EmbeddedPostgres};

/// Writes a backup of the whole database to `file` (first to `file.partial`, renamed once
/// complete, so a failed backup never leaves a truncated file under the real name). Prints
/// where and how big.
pub async fn backup(database: &DatabaseArgs, file: &Path) -> anyhow::Result<()> {
    let partial = partial_name(file);
    let target = Target::open(database).await?;
    let dumped = target
        .run(
            "pg_dump",
            &[
                "--format=custom".into(),
                "--file".into(),
                partial.clone().into(),
            ],
        )
        .await;
    let closed = target.close().await;
    if let Err(error) = dumped.and(closed) {
        let _ = std::fs::remove_file(&partial);
        return Err(error);
    }
    std::fs::rename(&partial, file)
        .with_context(|| format!("cannot rename {} to {}", partial.display(), file.display()))?;
    let bytes = std::fs::metadata(file)?.len();
    crate::admin::println_ok(format_args!(
        "backup written to {} ({bytes} bytes)",
        file.display()
    ))?;
    Ok(())
}

/// Restores the backup in `file` into the database, which must hold no tables yet.
pub async fn restore(database: &DatabaseArgs, file: &Path) -> anyhow::Result<()> {
    // Read the archive's table of contents first: a file that is no backup is refused before
    // anything is created.
    let listed = Command::new(embedded_pg::client_tool("pg_restore"))
        .arg("--list")
        .arg(file)
        .stdin(Stdio::null())
        .output()
        .await
        .context("cannot run pg_restore (install PostgreSQL's client tools)")?;
    if !listed.status.success() {
        bail!(
            "{} is not a backup that pg_restore can read: {}",
            file.display(),
            String::from_utf8_lossy(&listed.stderr).trim()
        );
    }
    let target = Target::open(database).await?;
    let restored = async {
        let tables = target.tables().await?;
        if tables > 0 {
            bail!(
                "the database already holds {tables} tables: restore into a fresh data directory (--data-dir) or an empty database (createdb), never over an installation"
            );
        }
        target
            .run(
                "pg_restore",
                &[
                    "--single-transaction".into(),
                    "--no-owner".into(),
                    "--no-privileges".into(),
                    file.into(),
                ],
            )
            .await
    }
    .await;
    let closed = target.close().await;
    restored.and(closed)?;
    crate::admin::println_ok(format_args!(
        "restored {}; start the server on this database",
        file.display()
    ))?;
    Ok(())
}

fn partial_name(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}

/// The database a command works on, and how PostgreSQL's tools reach it.
struct Target {
    options: PgConnectOptions,
    /// `--dbname` for the tools: a libpq connection string or URL, without the password.
    dbname: String,
    password: Option<String>,
    /// The embedded cluster; [`Target::close`] stops it if this command started it.
    embedded: Option<EmbeddedPostgres>,
}

impl Target {
    async fn open(database: &DatabaseArgs) -> anyhow::Result<Self> {
        if let Some(url) = &database.database_url {
            let options = url
                .parse::<PgConnectOptions>()
                .context("DATABASE_URL is not a valid PostgreSQL URL")?;
            let mut parsed =
                url::Url::parse(url).context("DATABASE_URL is not a valid PostgreSQL URL")?;
            let password = parsed.password().map(|p| {
                percent_encoding::percent_decode_str(p)
                    .decode_utf8_lossy()
                    .into_owned()
            });
            let _ = parsed.set_password(None);
            return Ok(Self {
                options,
                dbname: parsed.into(),
                password,
                embedded: None,
            });
        }
        let pg = EmbeddedPostgres::start_or_attach(&database.data_dir).await?;
        Ok(Self {
            options: pg.connect_options(),
            dbname: pg.conninfo(),
            password: None,
            embedded: Some(pg),
        })
    }

    /// Tables in the database's `public` schema (where the migrations put everything).
    async fn tables(&self) -> anyhow::Result<i64> {
        let mut conn = self
            .options
            .connect()
            .await
            .context("cannot connect to the database")?;
        let tables = sqlx::query_scalar(
            "select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace
             where n.nspname = 'public' and c.relkind in ('r', 'p')",
        )
        .fetch_one(&mut conn)
        .await?;
        conn.close().await?;
        Ok(tables)
    }

    async fn run(&self, program: &str, args: &[OsString]) -> anyhow::Result<()> {
        let mut command = Command::new(embedded_pg::client_tool(program));
        command
            .arg("--dbname")
            .arg(&self.dbname)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        if let Some(password) = &self.password {
            command.env("PGPASSWORD", password);
        }
        let output = command
            .output()
            .await
            .with_context(|| format!("cannot run {program} (install PostgreSQL's client tools)"))?;
        if !output.status.success() {
            bail!(
                "{program} failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        Ok(())
    }

    async fn close(self) -> anyhow::Result<()> {
        match self.embedded {
            Some(pg) => pg.stop().await,
            None => Ok(()),
        }
    }
}
