//! What an operator relies on, checked on the real binary and the deployment files: the
//! embedded database stays pinned to the PostgreSQL version that created it, and the container
//! file copies what exists and runs what the server is.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

/// The binary the test command built (`DUYAN_BIN`), else the workspace's debug build.
fn binary() -> PathBuf {
    std::env::var_os("DUYAN_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target/debug/duyan"))
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A new empty directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "duyan-{name}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir(&dir).unwrap();
        // Run as root, the embedded database runs as `postgres`, which must reach the dir
        // (else the cluster would be looked for elsewhere, and the test would prove nothing).
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn a_cluster_made_by_a_postgresql_that_is_gone_is_refused_with_what_to_do() {
    // As after an OS upgrade that replaced PostgreSQL: the cluster names a major version
    // whose binaries are not installed (99 never is).
    let data = TempDir::new("pg-version");
    let pgdata = data.0.join("pg");
    std::fs::create_dir(&pgdata).unwrap();
    std::fs::write(pgdata.join("PG_VERSION"), "99\n").unwrap();

    let child = tokio::process::Command::new(binary())
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data.0)
        .env_remove("DATABASE_URL")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the duyan binary runs (build it first: cargo build --bin duyan)");
    let output = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("duyan gives up at once")
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "it must not start: {stderr}");
    assert!(
        String::from_utf8_lossy(&output.stdout).is_empty(),
        "no listening line"
    );
    // One line saying what is wrong and both ways out.
    let error = stderr
        .lines()
        .find(|l| l.starts_with("duyan: error: "))
        .unwrap_or_else(|| panic!("an error line: {stderr}"));
    for expected in [
        &format!("{} was created by PostgreSQL 99", pgdata.display()),
        "which is not installed (installed: PostgreSQL ",
        "apt-get install postgresql-99",
        "duyan backup with PostgreSQL 99, then duyan restore into a new data directory",
    ] {
        assert!(error.contains(expected), "`{expected}` in: {error}");
    }
    // Nothing was made over it with another version.
    let mut left: Vec<String> = std::fs::read_dir(&pgdata)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["PG_VERSION"]);
}

#[test]
fn the_container_file_copies_what_exists_and_runs_what_the_server_is() {
    let containerfile = read("deploy/Containerfile");
    let lines: Vec<&str> = containerfile
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .collect();
    let words = |prefix: &str| -> Vec<Vec<&str>> {
        lines
            .iter()
            .filter_map(|l| l.strip_prefix(prefix))
            .map(|rest| rest.split_whitespace().collect())
            .collect()
    };

    // Every path copied from the build context (the repository) exists.
    let copies = words("COPY ");
    let mut from_context = 0;
    for copy in copies.iter().filter(|c| !c[0].starts_with("--from=")) {
        for source in &copy[..copy.len() - 1] {
            assert!(
                repo().join(source).exists(),
                "COPY {source}: not in the repository"
            );
            from_context += 1;
        }
    }
    assert!(
        from_context >= 8,
        "the crates, the lock file, .sqlx, the web app"
    );

    // The binary built is the one the server crate declares, and the one run.
    let manifest = read("server/Cargo.toml");
    let bin = manifest
        .split("[[bin]]")
        .nth(1)
        .and_then(|s| s.lines().find_map(|l| l.strip_prefix("name = ")))
        .map(|n| n.trim_matches('"'))
        .expect("server/Cargo.toml names its binary");
    assert!(containerfile.contains(&format!("cargo build --release --locked --bin {bin}")));
    let installed = format!("/usr/local/bin/{bin}");
    assert!(
        copies
            .iter()
            .any(|c| c[1] == format!("/src/target/release/{bin}") && c[2] == installed)
    );
    assert!(containerfile.contains(&format!("ENTRYPOINT [\"{installed}\"]")));

    // The Rust image is the toolchain's version.
    let toolchain = read("rust-toolchain.toml");
    let channel = toolchain
        .lines()
        .find_map(|l| l.strip_prefix("channel = "))
        .map(|c| c.trim_matches('"'))
        .unwrap();
    assert!(containerfile.contains(&format!("FROM docker.io/library/rust:{channel}-bookworm")));

    // Every variable it sets is one the server reads, and the port it exposes is the one it
    // listens on.
    let env_example = read(".env.example");
    let mut settings: Vec<(&str, &str)> = Vec::new();
    let mut continued = false;
    for line in &lines {
        let rest = match line.strip_prefix("ENV ") {
            Some(rest) => rest,
            None if continued => line,
            None => continue,
        };
        continued = rest.ends_with('\\');
        settings.extend(
            rest.trim_end_matches('\\')
                .split_whitespace()
                .filter_map(|w| w.split_once('=')),
        );
    }
    for (name, _) in &settings {
        if name.starts_with("DUYAN_") {
            assert!(
                env_example.contains(&format!("{name}=")),
                "{name} is not a setting (.env.example)"
            );
        }
    }
    let value = |name: &str| {
        settings
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
            .unwrap_or_else(|| panic!("ENV {name}"))
    };
    let port = value("DUYAN_LISTEN").rsplit(':').next().unwrap();
    assert_eq!(words("EXPOSE "), [[port]]);
    // The same places as the systemd unit, so the README's operations apply to both.
    let unit = read("deploy/duyan.service");
    assert!(unit.contains(&format!("--data-dir {}", value("DUYAN_DATA_DIR"))));
    assert!(unit.contains(&format!("--web-dir {}", value("DUYAN_WEB_DIR"))));
    assert!(
        copies
            .iter()
            .any(|c| c[0] == "--from=web" && c[2] == value("DUYAN_WEB_DIR"))
    );
    // The client tools `duyan backup` runs.
    assert!(containerfile.contains("postgresql-client"));
}
