//! Command line and environment configuration. Every flag has an environment twin; the
//! full list with comments is in `.env.example`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "duyan",
    version,
    about = "督研: offline-first 督办 and 调研 records"
)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Options of `serve`, which is what a bare `duyan` runs.
    #[command(flatten)]
    pub serve: Config,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default).
    Serve(Config),
}

/// Configuration of the server.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Address to listen on. Port 0 picks a free port (the URL is printed).
    #[arg(long, env = "DUYAN_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// PostgreSQL to use. Unset: a private cluster under the data directory is created and run.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Where the server keeps its own files (the embedded database among them).
    #[arg(long, env = "DUYAN_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// Secret for signing access tokens (used once sign-in exists). From the environment only
    /// in production: command lines are visible to other users of the machine.
    #[arg(long, env = "DUYAN_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,

    /// Directory of the built web app.
    #[arg(long, env = "DUYAN_WEB_DIR", default_value = "web/dist")]
    pub web_dir: PathBuf,

    /// Largest sync message accepted, in bytes.
    #[arg(long, env = "DUYAN_MAX_MESSAGE_BYTES", default_value_t = 8 * 1024 * 1024)]
    pub max_message_bytes: usize,

    /// Sustained sync messages per second per session (bursts of ten times that pass).
    #[arg(long, env = "DUYAN_MESSAGES_PER_SECOND", default_value_t = 1000)]
    pub messages_per_second: u32,

    /// Documents no session has used for this long are dropped from memory.
    #[arg(long, env = "DUYAN_DOC_IDLE_TIMEOUT", default_value = "60s", value_parser = humantime::parse_duration)]
    pub doc_idle_timeout: Duration,

    /// Connections in the database pool.
    #[arg(long, env = "DUYAN_DB_MAX_CONNECTIONS", default_value_t = 16)]
    pub db_max_connections: u32,
}
