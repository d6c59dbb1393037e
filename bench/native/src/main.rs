//! Native benchmark clients for `bench/`: a drop-in for `bench/lib/client-worker.mjs`, driven
//! the same way (one JSON command per line on stdin, one JSON reply per line on stdout), with
//! the records and edits computed beforehand by the JavaScript driver (`bench/lib/native.mjs`)
//! so the clock measures the servers, not the clients. Each connection is one task
//! (`client.rs`); this process runs them on one thread, as a Node worker does.

mod client;
mod ops;
mod wire;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut stdout = tokio::io::stdout();
    let mut state = ops::Worker::default();
    say(
        &mut stdout,
        serde_json::json!({ "ready": true, "pid": std::process::id() }),
    )
    .await;
    while let Ok(Some(line)) = lines.next_line().await {
        let reply = match serde_json::from_str::<serde_json::Value>(&line) {
            Ok(command) => state.run(command).await,
            Err(e) => serde_json::json!({ "ok": false, "error": format!("not JSON: {e}") }),
        };
        say(&mut stdout, reply).await;
    }
}

async fn say(stdout: &mut tokio::io::Stdout, value: serde_json::Value) {
    let mut line = value.to_string();
    line.push('\n');
    // The driver is gone if this fails; nothing else to tell.
    let _ = stdout.write_all(line.as_bytes()).await;
    let _ = stdout.flush().await;
}
