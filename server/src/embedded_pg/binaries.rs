//! Which installed PostgreSQL runs the embedded cluster: the major version that created it.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;

/// The major version of PostgreSQL that created the cluster in `pgdata`, if there is one.
pub fn cluster_version(pgdata: &Path) -> anyhow::Result<Option<u32>> {
    let file = pgdata.join("PG_VERSION");
    match fs::read_to_string(&file) {
        Ok(text) => {
            let version = text.trim().parse().with_context(|| {
                format!("{} does not name a PostgreSQL version", file.display())
            })?;
            Ok(Some(version))
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error).with_context(|| format!("cannot read {}", file.display())),
    }
}

/// The installed PostgreSQL server binaries, `(major version, bin dir)`: the one on `PATH`
/// first (resolved, so `/usr/local/bin/pg_ctl -> /usr/lib/postgresql/15/bin/pg_ctl` gives that
/// installation's directory), then every `/usr/lib/postgresql/*/bin` (Debian keeps them off
/// `PATH`), newest first.
pub fn installed_servers() -> Vec<(u32, PathBuf)> {
    let has_tools = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    let mut found = Vec::new();
    let from_path = std::env::var_os("PATH")
        .and_then(|path| std::env::split_paths(&path).find(|dir| has_tools(dir)))
        .and_then(|dir| dir.join("pg_ctl").canonicalize().ok())
        .and_then(|pg_ctl| pg_ctl.parent().map(Path::to_path_buf));
    if let Some(dir) = from_path
        && let Some(version) = tool_version(&dir.join("pg_ctl"))
    {
        found.push((version, dir));
    }
    let mut listed: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            has_tools(&bin).then_some((version, bin))
        })
        .collect();
    listed.sort_by(|a, b| b.cmp(a));
    found.extend(listed);
    found
}

/// The major version a PostgreSQL tool reports (`pg_ctl (PostgreSQL) 15.8 ...` gives 15).
fn tool_version(tool: &Path) -> Option<u32> {
    let output = std::process::Command::new(tool)
        .arg("--version")
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let number = text.split_whitespace().nth(2)?;
    number.split('.').next()?.parse().ok()
}

/// The binaries to run the cluster in `pgdata` with (created by `wanted`, or new).
pub(super) fn bin_dir_for(wanted: Option<u32>, pgdata: &Path) -> anyhow::Result<PathBuf> {
    choose_bin_dir(wanted, &installed_servers()).map_err(|problem| {
        anyhow::anyhow!(match problem {
            NoServer::None =>
                "PostgreSQL is not installed: install its server package (Debian/Ubuntu: apt-get install postgresql) or set DATABASE_URL".to_owned(),
            NoServer::Version { wanted, installed } => format!(
                "the embedded database in {} was created by PostgreSQL {wanted}, which is not installed (installed: {}); install PostgreSQL {wanted} again (Debian/Ubuntu: apt-get install postgresql-{wanted}) to run it, or move the data to the new version (duyan backup with PostgreSQL {wanted}, then duyan restore into a new data directory)",
                pgdata.display(),
                installed
                    .iter()
                    .map(|v| format!("PostgreSQL {v}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        })
    })
}

/// The PostgreSQL client program `name` (`pg_dump`, `pg_restore`) of the newest installation,
/// which can read every older server and archive; else `name` as found on `PATH`.
pub fn client_tool(name: &str) -> PathBuf {
    let mut listed: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let tool = entry.path().join("bin").join(name);
            tool.is_file().then_some((version, tool))
        })
        .collect();
    listed.sort_by(|a, b| b.cmp(a));
    listed
        .into_iter()
        .next()
        .map_or_else(|| PathBuf::from(name), |(_, tool)| tool)
}

/// Why no binaries fit.
#[derive(Debug, PartialEq, Eq)]
pub enum NoServer {
    None,
    Version { wanted: u32, installed: Vec<u32> },
}

/// The bin dir of version `wanted` among `installed` (in preference order), or the first of
/// them for a new cluster.
pub fn choose_bin_dir(
    wanted: Option<u32>,
    installed: &[(u32, PathBuf)],
) -> Result<PathBuf, NoServer> {
    match wanted {
        None => installed
            .first()
            .map(|(_, dir)| dir.clone())
            .ok_or(NoServer::None),
        Some(wanted) => installed
            .iter()
            .find(|(version, _)| *version == wanted)
            .map(|(_, dir)| dir.clone())
            .ok_or_else(|| {
                let mut versions: Vec<u32> = installed.iter().map(|(v, _)| *v).collect();
                versions.dedup();
                NoServer::Version {
                    wanted,
                    installed: versions,
                }
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cluster_runs_only_with_the_version_that_made_it() {
        let installed = vec![
            (17, PathBuf::from("/usr/lib/postgresql/17/bin")),
            (15, PathBuf::from("/usr/lib/postgresql/15/bin")),
        ];
        assert_eq!(
            choose_bin_dir(None, &installed),
            Ok(PathBuf::from("/usr/lib/postgresql/17/bin")),
            "a new cluster takes the first (PATH's, else the newest)"
        );
        assert_eq!(
            choose_bin_dir(Some(15), &installed),
            Ok(PathBuf::from("/usr/lib/postgresql/15/bin"))
        );
        assert_eq!(
            choose_bin_dir(Some(13), &installed),
            Err(NoServer::Version {
                wanted: 13,
                installed: vec![17, 15]
            })
        );
        assert_eq!(choose_bin_dir(None, &[]), Err(NoServer::None));
    }
}
