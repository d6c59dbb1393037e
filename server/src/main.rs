use std::process::ExitCode;

use clap::Parser;
use duyan::config::{Cli, Command};
use tracing_subscriber::EnvFilter;

// jemalloc hands freed memory back to the OS (glibc's malloc keeps it in per-thread arenas),
// which is what lets RSS fall after idle documents are unloaded. Its options are set at build
// time in .cargo/config.toml, where each is explained: a background thread with a short decay,
// no thread caches (an idle thread's cache is never flushed) and larger slabs (less metadata
// kept from a peak).
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // The administration commands print their results; the log is for trouble only.
    let default_filter = match cli.command {
        Some(
            Command::User(_)
            | Command::Unit(_)
            | Command::Reindex(_)
            | Command::Backup(_)
            | Command::Restore(_),
        ) => "warn",
        _ => "info",
    };
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let json = match &cli.command {
        Some(Command::Serve(config)) => config.log_format == "json",
        None => cli.serve.log_format == "json",
        _ => std::env::var("DUYAN_LOG_FORMAT").is_ok_and(|f| f == "json"),
    };
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        // One JSON object per line, with the current span (the request id) on each.
        logs.json()
            .with_current_span(true)
            .with_span_list(false)
            .init();
    } else {
        logs.init();
    }
    let result = match cli.command {
        Some(Command::Serve(config)) => duyan::serve(*config).await,
        None => duyan::serve(cli.serve).await,
        Some(Command::User(args)) => duyan::admin::user(&args.database, args.command).await,
        Some(Command::Unit(args)) => duyan::admin::unit(&args.database, args.command).await,
        Some(Command::Reindex(database)) => duyan::admin::reindex(&database).await,
        Some(Command::Backup(args)) => duyan::backup::backup(&args.database, &args.file).await,
        Some(Command::Restore(args)) => duyan::backup::restore(&args.database, &args.file).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // One line, causes included: what went wrong, for a person at a terminal.
            eprintln!("duyan: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
