//! The run command's promises, checked on the real binary: with no `DATABASE_URL` it creates
//! and runs its own PostgreSQL, `/healthz` says whether the database answers, a second start
//! reuses the same data, and shutdown stops the database it started.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};
use tokio_tungstenite::tungstenite::Message;

/// The binary the test command built (`DUYAN_BIN`), else the workspace's debug build.
fn binary() -> PathBuf {
    std::env::var_os("DUYAN_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/debug/duyan"))
}

/// The first start creates `admin` with this password (instead of printing a random one).
const ADMIN_PASSWORD: &str = "front-door-admin-password";

struct Server {
    child: Child,
    address: String,
}

impl Server {
    async fn start(data_dir: &Path) -> Server {
        let mut child = Command::new(binary())
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .arg("--web-dir")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../web/dist"))
            .env_remove("DATABASE_URL")
            .env("DUYAN_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("the duyan binary runs (build it first: cargo build --bin duyan)");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        // Lines before it (the first start's admin password) are skipped.
        let address = tokio::time::timeout(Duration::from_secs(120), async {
            loop {
                let line = lines
                    .next_line()
                    .await
                    .unwrap()
                    .expect("the server prints its URL");
                if let Some(address) = line.strip_prefix("duyan: listening on http://") {
                    return address.to_owned();
                }
            }
        })
        .await
        .expect("the server starts within two minutes");
        Server { child, address }
    }

    async fn get(&self, path: &str) -> (u16, String) {
        self.get_with(path, "").await
    }

    /// GET with extra header lines (each ending in CRLF).
    async fn get_with(&self, path: &str, headers: &str) -> (u16, String) {
        let mut stream = tokio::net::TcpStream::connect(&self.address).await.unwrap();
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: test\r\n{headers}Connection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        let status = response[9..12].parse().unwrap();
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default();
        (status, body)
    }

    async fn post_json(&self, path: &str, body: &str) -> (u16, String) {
        let mut stream = tokio::net::TcpStream::connect(&self.address).await.unwrap();
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        let status = response[9..12].parse().unwrap();
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default();
        (status, body)
    }

    /// Signs in as the first-start admin; returns an access token.
    async fn sign_in(&self) -> String {
        let body = format!(r#"{{"username":"admin","password":"{ADMIN_PASSWORD}"}}"#);
        let (status, body) = self.post_json("/api/auth/login", &body).await;
        assert_eq!(status, 200, "sign-in: {body}");
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }

    /// The storage id the server announces to sync clients: it identifies the stored data.
    async fn storage_id(&self) -> String {
        let (status, _) = self.get("/sync").await;
        assert_eq!(status, 401, "the sync endpoint needs a token");
        let token = self.sign_in().await;
        let (mut ws, _) =
            tokio_tungstenite::connect_async(format!("ws://{}/sync?token={token}", self.address))
                .await
                .unwrap();
        let join = cbor_map(&[("type", "join"), ("senderId", "front-door-test")]);
        ws.send(Message::Binary(join.into())).await.unwrap();
        loop {
            match ws.next().await.expect("an answer to join").unwrap() {
                Message::Binary(bytes) => {
                    let value: ciborium::Value = ciborium::from_reader(&bytes[..]).unwrap();
                    assert_eq!(text(&value, "type").as_deref(), Some("peer"));
                    let metadata = field(&value, "peerMetadata").unwrap();
                    assert_eq!(
                        field(&metadata, "isEphemeral"),
                        Some(ciborium::Value::Bool(false))
                    );
                    return text(&metadata, "storageId").expect("a storage id");
                }
                _ => continue,
            }
        }
    }

    /// SIGTERM, and the exit status.
    async fn stop(mut self) -> std::process::ExitStatus {
        let pid = nix::unistd::Pid::from_raw(self.child.id().unwrap() as i32);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
        tokio::time::timeout(Duration::from_secs(60), self.child.wait())
            .await
            .unwrap()
            .unwrap()
    }
}

fn cbor_map(fields: &[(&str, &str)]) -> Vec<u8> {
    let map = fields
        .iter()
        .map(|(k, v)| {
            (
                ciborium::Value::Text((*k).into()),
                ciborium::Value::Text((*v).into()),
            )
        })
        .collect();
    let mut out = Vec::new();
    ciborium::into_writer(&ciborium::Value::Map(map), &mut out).unwrap();
    out
}

fn field(value: &ciborium::Value, name: &str) -> Option<ciborium::Value> {
    value
        .as_map()?
        .iter()
        .find(|(k, _)| k.as_text() == Some(name))
        .map(|(_, v)| v.clone())
}

fn text(value: &ciborium::Value, name: &str) -> Option<String> {
    field(value, name)?.into_text().ok()
}

/// A fresh data directory under the system temp dir. Not under target/: when the tests run
/// as root the database runs as `postgres`, which must be able to reach it, and a clone may
/// sit in a directory only root may enter (as `mktemp -d` makes them).
fn data_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("duyan-e2e-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn runs_its_own_database_and_reuses_it_on_the_next_start() {
    let dir = data_dir("embedded");
    let first = Server::start(&dir).await;
    assert_eq!(first.get("/healthz").await, (200, "ok".to_owned()));
    let storage_id = first.storage_id().await;
    assert!(
        dir.join("pg/postmaster.pid").exists(),
        "the cluster runs under the data dir"
    );
    assert!(first.stop().await.success());
    assert!(
        !dir.join("pg/postmaster.pid").exists(),
        "shutdown stops the database it started"
    );

    let second = Server::start(&dir).await;
    assert_eq!(second.get("/healthz").await.0, 200);
    assert_eq!(
        second.storage_id().await,
        storage_id,
        "the second start uses the same data"
    );

    let (status, _) = second.get("/metrics").await;
    assert_eq!(status, 401, "metrics are for signed-in admins");
    let token = second.sign_in().await;
    let (status, metrics) = second
        .get_with("/metrics", &format!("Authorization: Bearer {token}\r\n"))
        .await;
    assert_eq!(status, 200);
    for name in [
        "duyan_sessions_open",
        "duyan_documents_loaded",
        "duyan_sync_messages_received_total",
        "duyan_storage_write_seconds_bucket",
        // The binary's allocator is jemalloc, which reports the heap.
        "duyan_heap_allocated_bytes",
        "duyan_heap_metadata_bytes",
    ] {
        assert!(metrics.contains(name), "/metrics lacks {name}");
    }

    // The web app is served at / (a placeholder until the PWA lands), with SPA fallback.
    let (status, body) = second.get("/").await;
    assert_eq!(status, 200);
    assert!(body.contains("督研"), "{body}");
    assert_eq!(second.get("/ledger/some/client/route").await.0, 200);

    // The database going away is what /healthz reports.
    stop_cluster(&dir.join("pg"));
    assert_eq!(
        second.get("/healthz").await,
        (503, "database unavailable".to_owned())
    );
    assert!(second.stop().await.success());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Stops the embedded cluster behind the server's back, as the database's own user.
fn stop_cluster(pgdata: &Path) {
    let pg_ctl = std::env::split_paths(&std::env::var_os("PATH").unwrap())
        .map(|dir| dir.join("pg_ctl"))
        .find(|path| path.is_file())
        .or_else(|| {
            let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
                .ok()?
                .filter_map(|e| Some(e.ok()?.path().join("bin/pg_ctl")))
                .filter(|p| p.is_file())
                .collect();
            found.sort();
            found.pop()
        })
        .expect("pg_ctl");
    let mut command = std::process::Command::new(pg_ctl);
    command
        .args(["stop", "-w", "-m", "immediate", "-D"])
        .arg(pgdata);
    if nix::unistd::geteuid().is_root() {
        let user = nix::unistd::User::from_name("postgres").unwrap().unwrap();
        std::os::unix::process::CommandExt::uid(&mut command, user.uid.as_raw());
    }
    let status = command.status().unwrap();
    assert!(status.success(), "pg_ctl stop failed");
}

#[tokio::test]
async fn an_embedded_cluster_is_run_only_by_the_postgresql_that_made_it() {
    let dir = data_dir("pinned");
    // A cluster made by a PostgreSQL this machine does not have (9.x, long gone).
    std::fs::create_dir_all(dir.join("pg")).unwrap();
    std::fs::write(dir.join("pg/PG_VERSION"), "9\n").unwrap();
    let output = Command::new(binary())
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&dir)
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    assert!(!output.status.success(), "it must not start");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("created by PostgreSQL 9, which is not installed")
            && stderr.contains("apt-get install postgresql-9"),
        "a clear message: {stderr}"
    );
    // Nothing was touched: the cluster stays for the right PostgreSQL.
    assert_eq!(
        std::fs::read_to_string(dir.join("pg/PG_VERSION")).unwrap(),
        "9\n"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
