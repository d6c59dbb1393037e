use clap::Parser;
use duyan::config::{Cli, Command};
use tracing_subscriber::EnvFilter;

// jemalloc hands freed memory back to the OS (glibc's malloc keeps it in per-thread arenas),
// which is what lets RSS fall after idle documents are unloaded. Its options (a background
// thread, short decay) are set at build time in .cargo/config.toml.
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
    let cli = Cli::parse();
    let config = match cli.command {
        Some(Command::Serve(config)) => config,
        None => cli.serve,
    };
    duyan::serve(config).await
}
