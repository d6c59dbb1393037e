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
    Serve(Box<Config>),
    /// Add, list, disable, enable users and set their passwords.
    User(UserArgs),
    /// Add and list units (departments).
    Unit(UnitArgs),
    /// Rebuild the queryable projection (the `records` table) from the stored documents.
    Reindex(DatabaseArgs),
    /// Write a backup of everything (records, photos, users) to a file, with pg_dump; works
    /// while the server runs.
    Backup(BackupArgs),
    /// Restore a backup into an empty database (a fresh --data-dir, or an empty DATABASE_URL),
    /// with pg_restore.
    Restore(BackupArgs),
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The backup file (PostgreSQL's custom format, as `pg_dump -Fc` writes it).
    pub file: PathBuf,
}

/// Where the user and unit commands find the database: the same as `serve`. With no
/// `DATABASE_URL` they use the embedded database under the data directory: the cluster of the
/// server running there, else one they start and stop again afterwards (`backup` and
/// `restore` too).
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// PostgreSQL to use. Unset: the embedded cluster under the data directory.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, global = true)]
    pub database_url: Option<String>,

    /// Where the server keeps its own files (the embedded database among them).
    #[arg(long, env = "DUYAN_DATA_DIR", default_value = "data", global = true)]
    pub data_dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct UserArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(subcommand)]
    pub command: UserCommand,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; prints its id (and a generated one-time password without --password-stdin).
    Add {
        /// Sign-in name; stored lowercased.
        #[arg(long)]
        username: String,
        /// The name people see, e.g. 张三.
        #[arg(long)]
        display_name: String,
        /// A role: admin, leader, supervisor, handler, researcher, viewer. Repeat the flag or
        /// separate with commas.
        #[arg(long = "role", value_delimiter = ',', required = true)]
        roles: Vec<String>,
        /// The id of the user's unit.
        #[arg(long)]
        unit: Option<String>,
        /// Read the password from the first line of standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users.
    List,
    /// Disable a user and end all of their sessions.
    Disable { username: String },
    /// Enable a disabled user.
    Enable { username: String },
    /// Set a user's password and end their sessions. Without --password-stdin, a one-time
    /// password is generated, printed, and must be changed at the next sign-in.
    Passwd {
        username: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Args)]
pub struct UnitArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(subcommand)]
    pub command: UnitCommand,
}

#[derive(Debug, Subcommand)]
pub enum UnitCommand {
    /// Create a unit.
    Add {
        /// A short stable id, e.g. `refinery`; records refer to units by it.
        #[arg(long)]
        id: String,
        /// The unit's name, e.g. 炼油厂.
        #[arg(long)]
        name: String,
        /// The id of the unit above it.
        #[arg(long)]
        parent: Option<String>,
    },
    /// List units.
    List,
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

    /// Secret for signing access tokens, at least 32 bytes. Unset: a random one per process
    /// (tokens then do not survive a restart; clients refresh them). From the environment only
    /// in production: command lines are visible to other users of the machine.
    #[arg(long, env = "DUYAN_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,

    /// Lifetime of access tokens (at most 15 minutes). Sync sessions close when theirs expires
    /// and the app reconnects with a fresh one; tests shorten it to see that happen.
    #[arg(long, env = "DUYAN_ACCESS_TOKEN_TTL", default_value = "15m", value_parser = parse_token_ttl)]
    pub access_token_ttl: Duration,

    /// Password of the `admin` user created on the first start (when no user exists yet).
    /// Unset: a random one-time password is printed once.
    #[arg(long, env = "DUYAN_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,

    /// Seed demo units, users (password `demo1234`) and records, unless already seeded.
    #[arg(long, env = "DUYAN_DEMO", value_parser = clap::builder::BoolishValueParser::new())]
    pub demo: bool,

    /// Directory of the built web app.
    #[arg(long, env = "DUYAN_WEB_DIR", default_value = "web/dist")]
    pub web_dir: PathBuf,

    /// Largest sync message accepted, in bytes.
    #[arg(long, env = "DUYAN_MAX_MESSAGE_BYTES", default_value_t = 8 * 1024 * 1024)]
    pub max_message_bytes: usize,

    /// Sustained sync messages per second per session (bursts of ten times that pass).
    #[arg(long, env = "DUYAN_MESSAGES_PER_SECOND", default_value_t = 1000)]
    pub messages_per_second: u32,

    /// Documents no session has used for this long are dropped from memory, and database
    /// connections unused for this long are closed (down to one).
    #[arg(long, env = "DUYAN_DOC_IDLE_TIMEOUT", default_value = "60s", value_parser = humantime::parse_duration)]
    pub doc_idle_timeout: Duration,

    /// Connections in the database pool.
    #[arg(long, env = "DUYAN_DB_MAX_CONNECTIONS", default_value_t = 16)]
    pub db_max_connections: u32,

    /// Largest photo accepted, in bytes (larger ones get 413).
    #[arg(long, env = "DUYAN_MAX_PHOTO_BYTES", default_value_t = 15 * 1024 * 1024, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_photo_bytes: u64,

    /// Largest attachment (PDF, Word, Excel, WPS, ODF, text) accepted, in bytes (larger ones
    /// get 413).
    #[arg(long, env = "DUYAN_MAX_ATTACHMENT_BYTES", default_value_t = 20 * 1024 * 1024, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_attachment_bytes: u64,

    /// Proxies whose `X-Forwarded-For` names the client (addresses or networks, comma
    /// separated, e.g. `127.0.0.1,10.0.0.0/8`). Behind a reverse proxy this must name it, or
    /// every client counts as the proxy's address for the sign-in limits.
    #[arg(long, env = "DUYAN_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<crate::edge::Net>,

    /// A token that lets a scraper read `/metrics` (`Authorization: Bearer <token>`) without an
    /// admin account. From the environment only in production.
    #[arg(long, env = "DUYAN_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,

    /// Also serve `/metrics`, with no authentication, on this address (bind it to a private
    /// interface the scraper reaches).
    #[arg(long, env = "DUYAN_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,

    /// Log format on stderr: `text` or `json` (one object per line, for log collectors).
    #[arg(long, env = "DUYAN_LOG_FORMAT", default_value = "text", value_parser = ["text", "json"])]
    pub log_format: String,

    /// Photo uploads one user may run at once (more get 429).
    #[arg(long, env = "DUYAN_UPLOADS_PER_USER", default_value_t = 4, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=64))]
    pub uploads_per_user: usize,

    /// Notifications: the web app's public address, for links in messages sent to 企业微信,
    /// 钉钉, 飞书 and webhooks (default: the listen address).
    #[arg(long, env = "DUYAN_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Allow notification channels whose targets are in private or loopback ranges.
    #[arg(long, env = "DUYAN_NOTIFY_ALLOW_PRIVATE", value_parser = clap::builder::BoolishValueParser::new())]
    pub notify_allow_private: bool,

    /// How often reminders (deadlines, 24-hour responses, feedback) are looked for.
    #[arg(long, env = "DUYAN_REMINDER_INTERVAL", default_value = "60s", value_parser = humantime::parse_duration)]
    pub reminder_interval: Duration,

    /// The daily digest's hour (Asia/Shanghai, `HH:MM`) for channels created without one, or
    /// `off` for no digest unless a channel asks for one.
    #[arg(long, env = "DUYAN_DIGEST_AT", default_value = "08:30", value_parser = parse_digest_at)]
    pub digest_at: DigestAt,

    /// Web Push: the VAPID private key, base64url of the P-256 scalar (`npx web-push
    /// generate-vapid-keys` prints one). Unset: no Web Push; the app hides it.
    #[arg(long, env = "DUYAN_VAPID_PRIVATE_KEY", hide_env_values = true)]
    pub vapid_private_key: Option<String>,

    /// Web Push: a contact for push services, `mailto:` or `https:` (required with a key).
    #[arg(long, env = "DUYAN_VAPID_SUBJECT")]
    pub vapid_subject: Option<String>,
}

/// `--digest-at`: a time of day, or none.
#[derive(Debug, Clone, Copy)]
pub struct DigestAt(pub Option<chrono::NaiveTime>);

fn parse_digest_at(value: &str) -> Result<DigestAt, String> {
    if value == "off" {
        return Ok(DigestAt(None));
    }
    crate::notify::clock::parse_hm(value)
        .map(|t| DigestAt(Some(t)))
        .ok_or_else(|| "must be HH:MM or off".to_owned())
}

fn parse_token_ttl(value: &str) -> Result<Duration, String> {
    let ttl = humantime::parse_duration(value).map_err(|e| e.to_string())?;
    if ttl > Duration::from_secs(15 * 60) || ttl < Duration::from_secs(1) {
        return Err("must be between 1s and 15m".to_owned());
    }
    Ok(ttl)
}
