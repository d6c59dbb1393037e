//! The embedded default database: a private PostgreSQL cluster under the data directory, run
//! with the machine's own PostgreSQL binaries, so that `duyan` works with nothing set up.
//!
//! It listens on a Unix socket only (no TCP port to collide with or expose). The postmaster
//! runs in its own process group so a Ctrl-C in the terminal reaches only `duyan`, which then
//! finishes its writes before stopping the cluster. If `duyan` dies without stopping it (kill
//! -9), the next start finds the cluster running and reuses it.
//!
//! One server owns a data directory (`duyan.lock`). The administration commands (`duyan user`,
//! `unit`, `reindex`) share it: while a server holds the lock they connect to its cluster
//! through the same socket and leave it running; when none does, they start the cluster for
//! themselves and stop it afterwards.

use std::fs::{self, File};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection};
use tokio::process::Command;

mod binaries;

pub use binaries::client_tool;
use binaries::{bin_dir_for, cluster_version};

const USER: &str = "duyan";
const DATABASE: &str = "duyan";
/// Only names the socket file; nothing listens on TCP.
const PORT: u16 = 5432;
/// Where the cluster lives when we run as root and `postgres` cannot reach the data dir.
const ROOT_FALLBACK: &str = "/var/lib/duyan";
/// Unix socket paths are limited to 107 bytes, `/.s.PGSQL.5432` included.
const MAX_SOCKET_DIR_LEN: usize = 90;

pub struct EmbeddedPostgres {
    bin: PathBuf,
    pgdata: PathBuf,
    socket_dir: PathBuf,
    /// PostgreSQL refuses to run as root; when we are root it runs as this (uid, gid).
    run_as: Option<(u32, u32)>,
    /// Held while we own the cluster, so two servers never share one cluster directory.
    /// `None` when a command uses a running server's cluster, which is not ours to stop.
    lock: Option<File>,
}

/// How long a command waits for a running server's cluster to answer (the server may be
/// creating or starting it): as long as `pg_ctl start` is given.
const ATTACH_TIMEOUT: Duration = Duration::from_secs(120);

impl EmbeddedPostgres {
    /// For `serve`: starts (or reuses) the cluster and owns it; refuses a data dir that another
    /// server holds.
    pub async fn start(data_dir: &Path) -> anyhow::Result<Self> {
        Self::open(data_dir, false).await
    }

    /// For a command: the running server's cluster when a server holds the data dir, else the
    /// cluster started for this command ([`Self::stop`] stops only the latter).
    pub async fn start_or_attach(data_dir: &Path) -> anyhow::Result<Self> {
        Self::open(data_dir, true).await
    }

    async fn open(data_dir: &Path, attach: bool) -> anyhow::Result<Self> {
        fs::create_dir_all(data_dir)
            .with_context(|| format!("cannot create data directory {}", data_dir.display()))?;
        let data_dir = data_dir.canonicalize()?;
        let lock = File::create(data_dir.join("duyan.lock"))?;
        let owned = lock.try_lock().is_ok();
        if !owned && !attach {
            bail!(
                "another duyan server (or a duyan command) is using {}",
                data_dir.display()
            );
        }
        let run_as = if nix::unistd::geteuid().is_root() {
            let user = nix::unistd::User::from_name("postgres")?.context(
                "running as root needs the `postgres` system user to run the embedded database",
            )?;
            Some((user.uid.as_raw(), user.gid.as_raw()))
        } else {
            None
        };
        let digest = data_dir
            .to_string_lossy()
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
            });
        let mut home = data_dir.clone();
        if let Some((uid, gid)) = run_as
            && !reachable(&data_dir, uid, gid).await
        {
            // The database's user cannot enter the data dir (a checkout under a root-only
            // directory). Keep the cluster somewhere it can, persistent and tied to this data
            // dir, rather than fail.
            home = PathBuf::from(ROOT_FALLBACK).join(format!("{digest:016x}"));
            tracing::warn!(
                data_dir = %data_dir.display(),
                cluster = %home.display(),
                "the postgres user cannot reach the data dir; keeping the embedded database elsewhere"
            );
            fs::create_dir_all(&home)?;
        }
        let pgdata = home.join("pg");
        // A cluster only runs with the major version that created it: after an upgrade that
        // installs a newer PostgreSQL, keep using the old one rather than fail to start it.
        let bin = bin_dir_for(cluster_version(&pgdata)?, &pgdata)?;
        let mut socket_dir = home.join("pg-run");
        if socket_dir.as_os_str().len() > MAX_SOCKET_DIR_LEN {
            socket_dir = std::env::temp_dir().join(format!("duyan-pg-{digest:016x}"));
        }
        let pg = Self {
            bin,
            pgdata,
            socket_dir,
            run_as,
            lock: owned.then_some(lock),
        };
        if !owned {
            pg.wait_for_owner().await?;
            return Ok(pg);
        }
        pg.private_dir(&pg.socket_dir)?;
        if !pg.pgdata.join("PG_VERSION").exists() {
            pg.private_dir(&pg.pgdata)?;
            tracing::info!(dir = %pg.pgdata.display(), "creating the embedded database cluster");
            pg.run(
                "initdb",
                &[
                    "-D".as_ref(),
                    pg.pgdata.as_os_str(),
                    "-U".as_ref(),
                    USER.as_ref(),
                    "-A".as_ref(),
                    "trust".as_ref(),
                    "-E".as_ref(),
                    "UTF8".as_ref(),
                    "--no-locale".as_ref(),
                ],
            )
            .await?;
        }
        if pg.pg_ctl_status().await? {
            tracing::info!("reusing the embedded database cluster, which is already running");
        } else {
            let options = format!(
                "-c listen_addresses='' -k '{}' -p {PORT}",
                pg.socket_dir.display()
            );
            let log = pg.pgdata.join("server.log");
            pg.run(
                "pg_ctl",
                &[
                    "start".as_ref(),
                    "-w".as_ref(),
                    "-t".as_ref(),
                    "120".as_ref(),
                    "-D".as_ref(),
                    pg.pgdata.as_os_str(),
                    "-l".as_ref(),
                    log.as_os_str(),
                    "-o".as_ref(),
                    options.as_ref(),
                ],
            )
            .await?;
        }
        pg.ensure_database().await?;
        Ok(pg)
    }

    /// How to reach the cluster.
    pub fn connect_options(&self) -> PgConnectOptions {
        PgConnectOptions::new()
            .socket(&self.socket_dir)
            .port(PORT)
            .username(USER)
            .database(DATABASE)
    }

    /// How PostgreSQL's own tools (`pg_dump`, `pg_restore`) reach the cluster: a libpq
    /// connection string over its socket.
    pub fn conninfo(&self) -> String {
        let quoted = self
            .socket_dir
            .to_string_lossy()
            .replace('\\', "\\\\")
            .replace('\'', "\\'");
        format!("host='{quoted}' port={PORT} user={USER} dbname={DATABASE}")
    }

    /// Stops the cluster, waiting for it to finish (a fast shutdown: open transactions roll
    /// back, committed ones are on disk).
    pub async fn stop(self) -> anyhow::Result<()> {
        if self.lock.is_none() {
            // A running server's cluster: it goes on serving.
            return Ok(());
        }
        // It may have stopped under us (an operator, a crash); then there is nothing to do.
        if !self.pg_ctl_status().await? {
            tracing::warn!("the embedded database was not running at shutdown");
            return Ok(());
        }
        self.run(
            "pg_ctl",
            &[
                "stop".as_ref(),
                "-w".as_ref(),
                "-m".as_ref(),
                "fast".as_ref(),
                "-D".as_ref(),
                self.pgdata.as_os_str(),
            ],
        )
        .await
    }

    /// Waits until the cluster of the server holding the data dir runs and its database
    /// answers (the server may be creating or starting it right now).
    async fn wait_for_owner(&self) -> anyhow::Result<()> {
        let deadline = Instant::now() + ATTACH_TIMEOUT;
        loop {
            let answered = if self.pg_ctl_status().await? {
                match self.connect_options().connect().await {
                    Ok(conn) => return Ok(conn.close().await?),
                    Err(error) => Some(error),
                }
            } else {
                None
            };
            if Instant::now() > deadline {
                let why = answered.map(|e| format!(": {e}")).unwrap_or_default();
                bail!(
                    "a duyan server holds {} but its database does not answer{why}",
                    self.pgdata.display()
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn ensure_database(&self) -> anyhow::Result<()> {
        let mut conn = self
            .connect_options()
            .database("postgres")
            .connect()
            .await
            .context("cannot connect to the embedded database")?;
        let exists: bool =
            sqlx::query_scalar("select exists (select 1 from pg_database where datname = $1)")
                .bind(DATABASE)
                .fetch_one(&mut conn)
                .await?;
        if !exists {
            // Literal because sqlx refuses dynamic SQL; keep in step with DATABASE.
            sqlx::query("create database duyan")
                .execute(&mut conn)
                .await?;
        }
        conn.close().await?;
        Ok(())
    }

    async fn pg_ctl_status(&self) -> anyhow::Result<bool> {
        let status = self
            .command("pg_ctl")
            .args(["status", "-D"])
            .arg(&self.pgdata)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .await?;
        Ok(status.success())
    }

    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(self.bin.join(program));
        // Its own process group: a terminal's Ctrl-C must not stop the database under us.
        command
            .process_group(0)
            // `/` as working directory: the database's user may not be allowed into ours.
            .current_dir("/");
        if let Some((uid, gid)) = self.run_as {
            command.uid(uid).gid(gid);
        }
        command
    }

    async fn run(&self, program: &str, args: &[&std::ffi::OsStr]) -> anyhow::Result<()> {
        let output = self
            .command(program)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .await
            .with_context(|| format!("cannot run {program}"))?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            if self.run_as.is_some() && stderr.contains("Permission denied") {
                bail!(
                    "the embedded database runs as the `postgres` user (PostgreSQL refuses to run as root), which cannot reach {}: choose a --data-dir it can reach (e.g. under /var/lib) or set DATABASE_URL",
                    self.pgdata.display()
                );
            }
            bail!("{program} failed ({}): {}", output.status, stderr.trim());
        }
        Ok(())
    }

    /// A directory only the database's user may enter.
    fn private_dir(&self, dir: &Path) -> anyhow::Result<()> {
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        if let Some((uid, gid)) = self.run_as {
            std::os::unix::fs::chown(dir, Some(uid), Some(gid))?;
        }
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
        Ok(())
    }
}

/// Whether the user `uid` may enter `dir` (and so every directory above it).
async fn reachable(dir: &Path, uid: u32, gid: u32) -> bool {
    Command::new("test")
        .arg("-x")
        .arg(dir)
        .uid(uid)
        .gid(gid)
        .current_dir("/")
        .stdin(Stdio::null())
        .status()
        .await
        .is_ok_and(|status| status.success())
}
