//! The README's administration commands, read from README.md and run as written (each line
//! through `bash`, the binary on `PATH`, from the directory holding `./data`) while a server
//! runs on that embedded database: each works, and the running server sees what it did.
//! Reading them from the README keeps the two from drifting apart.

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

/// The `sh` blocks of README.md that run `duyan` commands, as commands: continuation lines
/// joined, comment lines dropped (bash drops trailing comments itself).
fn readme_commands() -> Vec<String> {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .unwrap();
    let mut commands = Vec::new();
    for block in readme.split("```sh\n").skip(1) {
        let block = block.split("```").next().unwrap();
        let mut lines = Vec::new();
        let mut current = String::new();
        for line in block.lines() {
            if current.is_empty() && line.trim_start().starts_with('#') {
                continue;
            }
            match line.strip_suffix('\\') {
                Some(part) => current.push_str(part),
                None => {
                    current.push_str(line);
                    lines.push(std::mem::take(&mut current));
                }
            }
        }
        if lines
            .iter()
            .any(|l| l.starts_with("duyan ") || l.contains("| duyan "))
        {
            commands.extend(lines.into_iter().filter(|l| !l.trim().is_empty()));
        }
    }
    commands
}

struct Server {
    child: Child,
    address: String,
    printed: Vec<String>,
}

impl Server {
    /// `duyan serve` in `dir`, on its default data dir `./data`, as `scripts/run.sh` runs it.
    async fn start(dir: &Path) -> Server {
        let mut child = Command::new(binary())
            .args(["serve", "--listen", "127.0.0.1:0"])
            .current_dir(dir)
            .env_remove("DATABASE_URL")
            .env_remove("DUYAN_DATA_DIR")
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

    async fn request(&self, head: &str, body: &str) -> (u16, serde_json::Value) {
        let mut stream = tokio::net::TcpStream::connect(&self.address).await.unwrap();
        let request = format!(
            "{head}\r\nHost: test\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        let status = response[9..12].parse().unwrap();
        let body = response.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        (status, serde_json::from_str(body).unwrap_or_default())
    }

    async fn login(&self, username: &str, password: &str) -> (u16, serde_json::Value) {
        let body = serde_json::json!({"username": username, "password": password}).to_string();
        self.request("POST /api/auth/login HTTP/1.1", &body).await
    }

    async fn me(&self, token: &str) -> u16 {
        let head = format!("GET /api/me HTTP/1.1\r\nAuthorization: Bearer {token}");
        self.request(&head, "").await.0
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

/// The password typed for a `--password-stdin` that the README does not pipe one into.
const TYPED_PASSWORD: &str = "typed at the terminal";

/// Runs one README line with bash in `dir`, the binary's directory first on `PATH`.
async fn run(dir: &Path, command: &str) -> Output {
    let bin_dir = binary().canonicalize().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut child = Command::new("bash")
        .args(["-euo", "pipefail", "-c", command])
        .current_dir(dir)
        .env("PATH", path)
        .env_remove("DATABASE_URL")
        .env_remove("DUYAN_DATA_DIR")
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if command.contains("--password-stdin") && !command.contains('|') {
        input
            .write_all(format!("{TYPED_PASSWORD}\n").as_bytes())
            .await
            .unwrap();
    }
    drop(input);
    let output = tokio::time::timeout(Duration::from_secs(120), child.wait_with_output())
        .await
        .expect("the command finishes")
        .unwrap();
    assert!(
        output.status.success(),
        "`{command}` failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Polls `/api/me` until it no longer answers 200 (the server hears of a disable within a
/// second).
async fn signed_out(server: &Server, token: &str) -> bool {
    for _ in 0..50 {
        if server.me(token).await == 401 {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test]
async fn the_readme_commands_work_as_written_while_the_server_runs() {
    let commands = readme_commands();
    for expected in [
        "unit add",
        "unit list",
        "user add",
        "user disable",
        "reindex",
    ] {
        assert!(
            commands.iter().any(|c| c.contains(expected)),
            "the README shows `duyan {expected}`: {commands:?}"
        );
    }
    let dir = std::env::temp_dir().join(format!("duyan-e2e-readme-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let server = Server::start(&dir).await;
    assert!(
        server
            .printed
            .iter()
            .any(|l| l.starts_with("duyan: created user admin")),
        "{:?}",
        server.printed
    );

    // zhangwei's password and a token of theirs, once the README has created them.
    let mut zhangwei: Option<(String, String)> = None;
    for command in &commands {
        let output = run(&dir, command).await;
        let stdout = String::from_utf8(output.stdout).unwrap();
        let words: Vec<&str> = command.split_whitespace().collect();
        let subcommand = (words[1], words.get(2).copied().unwrap_or(""));
        if command.contains("| duyan user add") {
            // The password piped in is the one that signs in.
            assert!(command.contains("--username lijing"), "`{command}`");
            let (status, body) = server.login("lijing", "a long password").await;
            assert_eq!(status, 200, "{body}");
            let roles = body["user"]["roles"].as_array().unwrap();
            assert_eq!(roles.len(), 2, "{body}");
            assert!(roles.contains(&"supervisor".into()) && roles.contains(&"researcher".into()));
            continue;
        }
        assert_eq!(words[0], "duyan", "`{command}`");
        match subcommand {
            ("unit", "add") => {
                let id = words[words.iter().position(|w| *w == "--id").unwrap() + 1];
                assert_eq!(stdout.trim(), id, "`{command}`");
            }
            ("unit", "list") => assert!(stdout.contains("炼油一车间"), "{stdout}"),
            ("user", "add") => {
                assert!(command.contains("--username zhangwei"), "`{command}`");
                let password = stdout
                    .lines()
                    .find_map(|l| l.strip_prefix("one-time password: "))
                    .and_then(|rest| rest.split_whitespace().next())
                    .unwrap_or_else(|| panic!("a one-time password in {stdout:?}"))
                    .to_owned();
                let (status, body) = server.login("zhangwei", &password).await;
                assert_eq!(status, 200, "the running server knows zhangwei: {body}");
                assert_eq!(body["user"]["unit"], "refinery");
                assert_eq!(body["user"]["must_change_password"], true);
                let token = body["access_token"].as_str().unwrap().to_owned();
                zhangwei = Some((password, token));
            }
            ("user", "list") => {
                for name in ["admin", "zhangwei", "lijing", "李静"] {
                    assert!(stdout.contains(name), "{name} in {stdout}");
                }
            }
            ("user", "disable") => {
                let (password, token) = zhangwei.clone().expect("zhangwei was added first");
                assert!(
                    signed_out(&server, &token).await,
                    "disable ends the sessions"
                );
                let (status, body) = server.login("zhangwei", &password).await;
                assert_eq!(status, 403, "{body}");
                assert_eq!(body["error"]["code"], "account_disabled");
            }
            ("user", "enable") => {
                let (password, _) = zhangwei.clone().unwrap();
                assert_eq!(server.login("zhangwei", &password).await.0, 200);
            }
            ("user", "passwd") => {
                assert_eq!(server.login("zhangwei", TYPED_PASSWORD).await.0, 200);
            }
            ("reindex", _) => assert!(stdout.starts_with("reindexed "), "{stdout}"),
            ("backup", file) => {
                let size = std::fs::metadata(dir.join(file)).map(|m| m.len());
                assert!(size.is_ok_and(|n| n > 0), "`{command}` wrote {file}");
                assert!(!dir.join(format!("{file}.partial")).exists());
            }
            ("restore", _) => {
                let target = words[words.iter().position(|w| *w == "--data-dir").unwrap() + 1];
                assert!(
                    dir.join(target).join("pg/PG_VERSION").exists(),
                    "`{command}` made a cluster in {target}"
                );
            }
            _ => panic!("no check for the README's `{command}`: add one here"),
        }
    }
    assert!(zhangwei.is_some(), "the README adds zhangwei");
    server.stop().await;
    assert!(
        !dir.join("data/pg/postmaster.pid").exists(),
        "the server stopped its database; the commands did not leave one running"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
