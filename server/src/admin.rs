//! The administration commands (`duyan user ...`, `duyan unit ...`, `duyan reindex`) and the
//! first start's `admin` user.
//!
//! The commands write to the database directly; running servers notice within a second
//! through `directory_version` (see [`crate::directory`]).

use std::io::{BufRead, Write};

use anyhow::{Context, bail};
use duyan_shared::rules::Role;
use sqlx::PgPool;

use crate::auth::password::{self, MIN_PASSWORD_CHARS};
use crate::config::{DatabaseArgs, UnitCommand, UserCommand};
use crate::db;
use crate::users::{self, NewUser, UnitRow, WriteError};

/// Runs a `duyan user` command.
pub async fn user(database: &DatabaseArgs, command: UserCommand) -> anyhow::Result<()> {
    with_database(database, |pool| Box::pin(run_user(pool, command))).await
}

/// Runs a `duyan unit` command.
pub async fn unit(database: &DatabaseArgs, command: UnitCommand) -> anyhow::Result<()> {
    with_database(database, |pool| Box::pin(run_unit(pool, command))).await
}

/// Runs `duyan reindex`: rebuilds the projection from the stored documents.
pub async fn reindex(database: &DatabaseArgs) -> anyhow::Result<()> {
    with_database(database, |pool| {
        Box::pin(async move {
            let done = crate::projection::reindex(pool).await?;
            println_ok(format_args!(
                "reindexed {} documents: {} rows written, {} removed",
                done.documents, done.rows, done.removed
            ))?;
            Ok(())
        })
    })
    .await
}

type CommandFuture<'a> = std::pin::Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send + 'a>>;

/// Opens the database as `serve` does (the embedded one: a running server's cluster, else one
/// started for this command), runs `f`, and closes it again (stopping the embedded cluster if
/// it was started for this command), also when `f` failed.
async fn with_database<F>(database: &DatabaseArgs, f: F) -> anyhow::Result<()>
where
    F: for<'a> FnOnce(&'a PgPool) -> CommandFuture<'a>,
{
    let db = db::connect(
        database.database_url.as_deref(),
        &database.data_dir,
        2,
        std::time::Duration::from_secs(30),
        true,
    )
    .await?;
    let result = f(&db.pool).await;
    let closed = db.close().await;
    result.and(closed)
}

async fn run_user(pool: &PgPool, command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Add {
            username,
            display_name,
            roles,
            unit,
            password_stdin,
        } => {
            let roles = parse_roles(&roles)?;
            let (password, generated) = if password_stdin {
                (read_password()?, false)
            } else {
                (generate_password(), true)
            };
            let password_hash = hash(password.clone()).await?;
            let id = users::create_user(
                pool,
                &NewUser {
                    username,
                    display_name,
                    roles,
                    unit,
                    password_hash,
                    must_change_password: generated,
                },
            )
            .await?;
            let mut out = std::io::stdout().lock();
            writeln!(out, "{id}")?;
            if generated {
                writeln!(
                    out,
                    "one-time password: {password} (to be changed at the first sign-in)"
                )?;
            }
        }
        UserCommand::List => {
            let units = users::list_units(pool).await?;
            let unit_name = |id: &str| {
                units
                    .iter()
                    .find(|u| u.id == id)
                    .map_or_else(|| id.to_owned(), |u| format!("{} ({})", u.name, u.id))
            };
            let rows = users::list(pool)
                .await?
                .into_iter()
                .map(|user| {
                    let roles: Vec<&str> = user.roles.iter().map(|r| r.as_str()).collect();
                    vec![
                        user.username,
                        user.display_name,
                        roles.join(","),
                        user.unit.as_deref().map(unit_name).unwrap_or_default(),
                        if user.disabled { "yes" } else { "" }.to_owned(),
                    ]
                })
                .collect();
            print_table(
                &["username", "display name", "roles", "unit", "disabled"],
                rows,
            )?;
        }
        UserCommand::Disable { username } => {
            users::set_disabled(pool, &username, true).await?;
            println_ok(format_args!(
                "disabled {username}; their sessions are ended"
            ))?;
        }
        UserCommand::Enable { username } => {
            users::set_disabled(pool, &username, false).await?;
            println_ok(format_args!("enabled {username}"))?;
        }
        UserCommand::Passwd {
            username,
            password_stdin,
        } => {
            let id = users::id_of(pool, &username).await?;
            let (password, generated) = if password_stdin {
                (read_password()?, false)
            } else {
                (generate_password(), true)
            };
            let password_hash = hash(password.clone()).await?;
            users::set_password(pool, &id, &password_hash, generated, None).await?;
            if generated {
                println_ok(format_args!(
                    "one-time password for {username}: {password} (to be changed at the next sign-in)"
                ))?;
            } else {
                println_ok(format_args!(
                    "password of {username} changed; their sessions are ended"
                ))?;
            }
        }
    }
    Ok(())
}

async fn run_unit(pool: &PgPool, command: UnitCommand) -> anyhow::Result<()> {
    match command {
        UnitCommand::Add { id, name, parent } => {
            let id = id.trim().to_owned();
            users::create_unit(
                pool,
                &UnitRow {
                    id: id.clone(),
                    name,
                    parent_id: parent,
                },
            )
            .await?;
            println_ok(format_args!("{id}"))?;
        }
        UnitCommand::List => {
            let rows = users::list_units(pool)
                .await?
                .into_iter()
                .map(|u| vec![u.id, u.name, u.parent_id.unwrap_or_default()])
                .collect();
            print_table(&["id", "name", "parent"], rows)?;
        }
    }
    Ok(())
}

/// Creates the `admin` user when no person exists yet (the first start). The password comes
/// from `DUYAN_ADMIN_PASSWORD`, else it is generated, printed once on stdout and must be
/// changed at the first sign-in.
pub async fn ensure_first_admin(pool: &PgPool, password: Option<&str>) -> anyhow::Result<()> {
    if users::any_person(pool).await? {
        return Ok(());
    }
    let (password, generated) = match password {
        Some(given) => {
            if given.chars().count() < MIN_PASSWORD_CHARS {
                bail!("DUYAN_ADMIN_PASSWORD must have at least {MIN_PASSWORD_CHARS} characters");
            }
            (given.to_owned(), false)
        }
        None => (generate_password(), true),
    };
    let password_hash = hash(password.clone()).await?;
    let created = users::create_user(
        pool,
        &NewUser {
            username: "admin".into(),
            display_name: "系统管理员".into(),
            roles: vec![Role::Admin],
            unit: None,
            password_hash,
            must_change_password: generated,
        },
    )
    .await;
    match created {
        Ok(id) => {
            tracing::info!(user = %id, "created the first user, admin");
            if generated {
                println_ok(format_args!(
                    "duyan: created user admin with one-time password {password} (change it after signing in)"
                ))?;
            }
            Ok(())
        }
        // Another process on the same database got there first.
        Err(WriteError::DuplicateUsername(_)) => Ok(()),
        Err(error) => Err(error.into()),
    }
}

fn parse_roles(given: &[String]) -> anyhow::Result<Vec<Role>> {
    Ok(users::parse_roles(given)?)
}

/// A random password of 12 characters from an alphabet without look-alikes (0/O, 1/l/I), to
/// be read off a terminal and typed on a phone.
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    (0..12)
        .map(|_| char::from(ALPHABET[rand::random_range(0..ALPHABET.len())]))
        .collect()
}

/// The first line of standard input, without its line ending.
fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.chars().count() < MIN_PASSWORD_CHARS {
        bail!("the password must have at least {MIN_PASSWORD_CHARS} characters");
    }
    Ok(password)
}

async fn hash(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || password::hash_blocking(&password))
        .await?
        .map_err(|e| anyhow::anyhow!("cannot hash the password: {e}"))
}

/// Writes a line to stdout, without panicking when stdout is closed (a caller that read only
/// the line it wanted), which `println!` would.
pub(crate) fn println_ok(line: std::fmt::Arguments<'_>) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{line}").and_then(|()| out.flush()) {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Prints rows under a header, columns aligned for a terminal (CJK characters are two
/// columns wide).
fn print_table(header: &[&str], rows: Vec<Vec<String>>) -> std::io::Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|h| width(h)).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(width(cell));
        }
    }
    let mut out = std::io::stdout().lock();
    let header: Vec<String> = header.iter().map(|h| (*h).to_owned()).collect();
    for row in std::iter::once(&header).chain(&rows) {
        let mut line = String::new();
        for (i, (cell, w)) in row.iter().zip(&widths).enumerate() {
            line.push_str(cell);
            if i + 1 < row.len() {
                line.push_str(&" ".repeat(w - width(cell) + 2));
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

fn width(s: &str) -> usize {
    s.chars()
        .map(|c| if u32::from(c) >= 0x2E80 { 2 } else { 1 })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_with_a_clear_error() {
        let given = vec!["Handler".to_owned(), " viewer".to_owned()];
        assert_eq!(
            parse_roles(&given).unwrap(),
            vec![Role::Handler, Role::Viewer]
        );
        let error = parse_roles(&["boss".to_owned()]).unwrap_err().to_string();
        assert!(
            error.starts_with("unknown role \"boss\": expected one of admin,"),
            "{error}"
        );
    }

    #[test]
    fn generated_passwords_are_long_enough_and_differ() {
        let a = generate_password();
        assert_eq!(a.chars().count(), 12);
        assert_ne!(a, generate_password());
    }
}
