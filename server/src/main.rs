use clap::Parser;
use duyan::config::{Cli, Command};
use tracing_subscriber::EnvFilter;

// jemalloc hands freed memory back to the OS (glibc's malloc keeps it in per-thread arenas),
// which is what lets RSS fall after idle documents are unloaded. Its background thread does
// the returning on a timer; without it, pages go back only on later allocator activity, so
// an idle server would sit on the memory of documents it has long dropped.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    if let Err(error) = tikv_jemalloc_ctl::background_thread::write(true) {
        tracing::warn!(%error, "jemalloc background thread unavailable; freed memory returns to the OS later");
    }
    let cli = Cli::parse();
    let config = match cli.command {
        Some(Command::Serve(config)) => config,
        None => cli.serve,
    };
    duyan::serve(config).await
}
