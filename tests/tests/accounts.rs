//! Users as an operator meets them, on the real binary with its embedded database: the first
//! start prints the `admin` password once, that password signs in, and the `user` / `unit`
//! commands create people who can sign in, with one clear line for each mistake.

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

/// The binary the test command built (`DUYAN_BIN`), else the workspace's debug build.
fn binary() -> PathBuf {
    std::env::var_os("DUYAN_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/debug/duyan"))
}

struct Server {
    child: Child,
    address: String,
    /// What the server printed on stdout before its listening line.
    printed: Vec<String>,
}

impl Server {
    async fn start(data_dir: &Path) -> Server {
        let mut child = Command::new(binary())
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .env_remove("DATABASE_URL")
            .env_remove("DUYAN_ADMIN_PASSWORD")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("the duyan binary runs (build it first: cargo build --bin duyan)");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut printed = Vec::new();
        let address = tokio::time::timeout(Duration::from_secs(120), async {
            loop {
                let line = lines.next_line().await.unwrap().expect("a listening line");
                match line.strip_prefix("duyan: listening on http://") {
                    Some(address) => return address.to_owned(),
                    None => printed.push(line),
                }
            }
        })
        .await
        .expect("the server starts within two minutes");
        Server {
            child,
            address,
            printed,
        }
    }

    /// POSTs JSON; returns the status and body.
    async fn post(&self, path: &str, json: &str) -> (u16, String) {
        let mut stream = tokio::net::TcpStream::connect(&self.address).await.unwrap();
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{json}",
            json.len()
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

    async fn login(&self, username: &str, password: &str) -> (u16, serde_json::Value) {
        let body = serde_json::json!({"username": username, "password": password}).to_string();
        let (status, body) = self.post("/api/auth/login", &body).await;
        (status, serde_json::from_str(&body).unwrap())
    }

    async fn stop(mut self) {
        let pid = nix::unistd::Pid::from_raw(self.child.id().unwrap() as i32);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
        let status = tokio::time::timeout(Duration::from_secs(60), self.child.wait())
            .await
            .unwrap()
            .unwrap();
        assert!(status.success());
    }
}

/// Runs `duyan <args> --data-dir <dir>` with `stdin` as its input.
async fn duyan(dir: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(binary())
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env_remove("DATABASE_URL")
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).await.unwrap();
    drop(input);
    tokio::time::timeout(Duration::from_secs(120), child.wait_with_output())
        .await
        .expect("the command finishes")
        .unwrap()
}

#[track_caller]
fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// The command failed with exactly one line on stderr, containing `expected`.
#[track_caller]
fn fails_with(output: &Output, expected: &str) {
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains(expected), "{stderr}");
}

fn data_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("duyan-e2e-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn first_start_admin_and_the_user_commands() {
    let dir = data_dir("accounts");

    // The first start creates admin and prints its one-time password, once.
    let server = Server::start(&dir).await;
    let line = server
        .printed
        .iter()
        .find(|l| l.starts_with("duyan: created user admin"))
        .unwrap_or_else(|| panic!("no admin line in {:?}", server.printed));
    let password = line
        .strip_prefix("duyan: created user admin with one-time password ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap()
        .to_owned();
    let (status, body) = server.login("admin", &password).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["roles"], serde_json::json!(["admin"]));
    assert_eq!(body["user"]["must_change_password"], true);
    // A command uses the running server's database, and leaves it running.
    let list = stdout(&duyan(&dir, &["user", "list"], "").await);
    assert!(list.lines().any(|l| l.starts_with("admin")), "{list}");
    assert_eq!(server.login("admin", &password).await.0, 200);
    server.stop().await;

    let unit = duyan(
        &dir,
        &["unit", "add", "--id", "office", "--name", "办公室"],
        "",
    )
    .await;
    assert_eq!(stdout(&unit).trim(), "office");
    let add = duyan(
        &dir,
        &[
            "user",
            "add",
            "--username",
            "ZhangSan",
            "--display-name",
            "张三",
            "--role",
            "handler,researcher",
            "--unit",
            "office",
            "--password-stdin",
        ],
        "zhangsan-password\n",
    )
    .await;
    let id = stdout(&add).trim().to_owned();
    assert_eq!(id.len(), 36, "a UUID: {id:?}");

    let bad = |role: &'static str, username: &'static str, unit: &'static str| {
        let dir = dir.clone();
        async move {
            duyan(
                &dir,
                &[
                    "user",
                    "add",
                    "--username",
                    username,
                    "--display-name",
                    "x",
                    "--role",
                    role,
                    "--unit",
                    unit,
                ],
                "",
            )
            .await
        }
    };
    fails_with(
        &bad("boss", "lisi", "office").await,
        "unknown role \"boss\"",
    );
    fails_with(
        &bad("viewer", "zhangsan", "office").await,
        "\"zhangsan\" is taken",
    );
    fails_with(
        &bad("viewer", "lisi", "nowhere").await,
        "no unit with id \"nowhere\"",
    );
    fails_with(
        &duyan(&dir, &["unit", "add", "--id", "office", "--name", "x"], "").await,
        "unit id \"office\" is taken",
    );

    let list = stdout(&duyan(&dir, &["user", "list"], "").await);
    let row = list.lines().find(|l| l.starts_with("zhangsan")).unwrap();
    assert!(
        row.contains("张三") && row.contains("handler,researcher"),
        "{list}"
    );
    assert!(row.contains("办公室 (office)"), "{list}");

    // The second start creates no admin; the new user signs in.
    let server = Server::start(&dir).await;
    assert!(server.printed.is_empty(), "{:?}", server.printed);
    let (status, body) = server.login("zhangsan", "zhangsan-password").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["id"], id.as_str());
    assert_eq!(body["user"]["unit"], "office");
    server.stop().await;

    let disable = duyan(&dir, &["user", "disable", "zhangsan"], "").await;
    stdout(&disable);
    let server = Server::start(&dir).await;
    let (status, body) = server.login("zhangsan", "zhangsan-password").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("account_disabled"))
    );
    server.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}
