//! Users and units in the database: what the CLI, the first start, the demo seed and the
//! account endpoints write. Readers that need speed use the in-memory
//! [`Directory`](crate::directory::Directory) instead.

use duyan_shared::rules::Role;
use sqlx::{PgExecutor, PgPool};

use crate::auth::sessions;

mod units;
pub use units::{UnitRow, create_unit, list_units, update_unit};

/// Why a user or unit could not be written: the cases a person can fix, and the rest.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("username {0:?} is taken")]
    DuplicateUsername(String),
    #[error("unit id {0:?} is taken")]
    DuplicateUnit(String),
    #[error("no unit with id {0:?} (see `duyan unit list`)")]
    UnknownUnit(String),
    #[error("no user {0:?} (see `duyan user list`)")]
    UnknownUser(String),
    #[error("usernames may not be empty, contain spaces or be `system`")]
    InvalidUsername,
    #[error("display names must have 1 to {MAX_NAME_CHARS} characters")]
    InvalidDisplayName,
    #[error(
        "unknown role {0:?}: expected one of admin, leader, supervisor, handler, researcher, viewer"
    )]
    UnknownRole(String),
    #[error("give at least one role")]
    NoRoles,
    #[error("unit ids and names must have 1 to {MAX_NAME_CHARS} characters")]
    InvalidUnit,
    #[error("unit {0:?} cannot move below itself or a unit under it")]
    UnitCycle(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Longest display name, unit name and unit id accepted: they are labels on a phone screen.
pub const MAX_NAME_CHARS: usize = 100;

/// Roles as given by a person (CLI flags, the admin API): trimmed, case-insensitive, at least
/// one, duplicates dropped.
pub fn parse_roles(given: &[String]) -> Result<Vec<Role>, WriteError> {
    let mut roles = Vec::new();
    for role in given.iter().map(|r| r.trim()).filter(|r| !r.is_empty()) {
        let role: Role = role
            .to_lowercase()
            .parse()
            .map_err(|_| WriteError::UnknownRole(role.to_owned()))?;
        if !roles.contains(&role) {
            roles.push(role);
        }
    }
    if roles.is_empty() {
        return Err(WriteError::NoRoles);
    }
    Ok(roles)
}

/// A display name, trimmed, or why not.
pub fn check_display_name(name: &str) -> Result<String, WriteError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(WriteError::InvalidDisplayName);
    }
    Ok(name.to_owned())
}

/// The username as stored and looked up: trimmed and lowercased, since sign-in is
/// case-insensitive.
pub fn normalize_username(name: &str) -> String {
    name.trim().to_lowercase()
}

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub unit: Option<String>,
    /// An Argon2 PHC string (see [`crate::auth::password`]).
    pub password_hash: String,
    pub must_change_password: bool,
}

fn role_strings(roles: &[Role]) -> Vec<String> {
    let mut strings: Vec<String> = roles.iter().map(|r| r.as_str().to_owned()).collect();
    strings.sort();
    strings.dedup();
    strings
}

/// Creates a user; returns its id.
pub async fn create_user(db: impl PgExecutor<'_>, user: &NewUser) -> Result<String, WriteError> {
    let username = normalize_username(&user.username);
    if username.is_empty()
        || username.contains(char::is_whitespace)
        || username == "system"
        || username.chars().count() > MAX_NAME_CHARS
    {
        return Err(WriteError::InvalidUsername);
    }
    let display_name = check_display_name(&user.display_name)?;
    let result = sqlx::query_scalar!(
        "insert into users (username, display_name, password_hash, roles, unit_id, must_change_password)
         values ($1, $2, $3, $4, $5, $6) returning id",
        username,
        display_name,
        user.password_hash,
        &role_strings(&user.roles),
        user.unit,
        user.must_change_password
    )
    .fetch_one(db)
    .await;
    result.map_err(|error| match constraint(&error) {
        Some("users_username_key") => WriteError::DuplicateUsername(username.clone()),
        Some("users_unit_id_fkey") => {
            WriteError::UnknownUnit(user.unit.clone().unwrap_or_default())
        }
        _ => WriteError::Database(error),
    })
}

pub(crate) fn constraint(error: &sqlx::Error) -> Option<&str> {
    error.as_database_error().and_then(|e| e.constraint())
}

/// What sign-in needs to know about a username.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub id: String,
    pub password_hash: String,
    pub disabled: bool,
}

/// The credentials of `username` (already normalised), if such a user exists.
pub async fn credentials(
    pool: &PgPool,
    username: &str,
) -> Result<Option<Credentials>, sqlx::Error> {
    sqlx::query_as!(
        Credentials,
        "select id, password_hash, disabled from users where username = $1",
        username
    )
    .fetch_optional(pool)
    .await
}

/// A user as the API shows it: the wire type of the domain crate.
pub use duyan_shared::api::Account;

/// The account of user `id`.
pub async fn account(pool: &PgPool, id: &str) -> Result<Option<Account>, sqlx::Error> {
    let row = sqlx::query!(
        "select id, username, display_name, roles, unit_id, must_change_password, disabled
         from users where id = $1",
        id
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|row| Account {
        roles: crate::directory::parse_roles(&row.id, &row.roles),
        id: row.id,
        username: row.username,
        display_name: row.display_name,
        unit: row.unit_id,
        must_change_password: row.must_change_password,
        disabled: row.disabled,
    }))
}

/// Every user but `system`, by username.
pub async fn list(pool: &PgPool) -> Result<Vec<Account>, sqlx::Error> {
    let rows = sqlx::query!(
        "select id, username, display_name, roles, unit_id, must_change_password, disabled
         from users where id <> 'system' order by username"
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| Account {
            roles: crate::directory::parse_roles(&row.id, &row.roles),
            id: row.id,
            username: row.username,
            display_name: row.display_name,
            unit: row.unit_id,
            must_change_password: row.must_change_password,
            disabled: row.disabled,
        })
        .collect())
}

/// Whether any user other than `system` exists (the first start creates `admin` when not).
pub async fn any_person(pool: &PgPool) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(r#"select exists(select 1 from users where id <> 'system') as "any!""#)
        .fetch_one(pool)
        .await
}

/// Sets a user's password. `keep_session`: the session that made the change stays signed in;
/// every other session of the user is ended, since a password change is what someone does
/// when they fear another device has their account. Returns false for an unknown user.
pub async fn set_password(
    pool: &PgPool,
    user_id: &str,
    password_hash: &str,
    must_change_password: bool,
    keep_session: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let updated = sqlx::query!(
        "update users set password_hash = $2, must_change_password = $3, updated_at = now()
         where id = $1 and id <> 'system'",
        user_id,
        password_hash,
        must_change_password
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if updated == 1 {
        sessions::revoke_all_of_user(&mut tx, user_id, keep_session).await?;
    }
    tx.commit().await?;
    Ok(updated == 1)
}

/// Disables or enables `username` (see [`set_disabled_by_id`]).
pub async fn set_disabled(pool: &PgPool, username: &str, disabled: bool) -> Result<(), WriteError> {
    let id = id_of(pool, username).await?;
    set_disabled_by_id(pool, &id, disabled).await
}

/// Disables or enables user `id`. Disabling also ends all of the user's sessions, so their
/// devices are signed out at once instead of when their tokens would have expired.
pub async fn set_disabled_by_id(pool: &PgPool, id: &str, disabled: bool) -> Result<(), WriteError> {
    let mut tx = pool.begin().await?;
    let updated = sqlx::query!(
        "update users set disabled = $2, updated_at = now() where id = $1 and id <> 'system'",
        id,
        disabled
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if updated == 0 {
        return Err(WriteError::UnknownUser(id.to_owned()));
    }
    if disabled {
        sessions::revoke_all_of_user(&mut tx, id, None).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// What an admin may change of a user; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserChange {
    pub display_name: Option<String>,
    pub roles: Option<Vec<Role>>,
    /// `Some(None)` takes the user out of every unit.
    pub unit: Option<Option<String>>,
}

/// Changes user `id` (not `system`). A change of roles or unit changes what the user may read
/// and do; the directory's reload carries it to every process and sync session.
pub async fn update_user(pool: &PgPool, id: &str, change: &UserChange) -> Result<(), WriteError> {
    let display_name = change
        .display_name
        .as_deref()
        .map(check_display_name)
        .transpose()?;
    let roles = change.roles.as_deref().map(role_strings);
    let (set_unit, unit) = match &change.unit {
        Some(unit) => (true, unit.clone()),
        None => (false, None),
    };
    let result = sqlx::query!(
        "update users set
             display_name = coalesce($2, display_name),
             roles = coalesce($3, roles),
             unit_id = case when $4 then $5 else unit_id end,
             updated_at = now()
         where id = $1 and id <> 'system'",
        id,
        display_name,
        roles.as_deref(),
        set_unit,
        unit
    )
    .execute(pool)
    .await;
    match result {
        Ok(done) if done.rows_affected() == 0 => Err(WriteError::UnknownUser(id.to_owned())),
        Ok(_) => Ok(()),
        Err(error) => Err(match constraint(&error) {
            Some("users_unit_id_fkey") => WriteError::UnknownUnit(unit.unwrap_or_default()),
            _ => WriteError::Database(error),
        }),
    }
}

/// The id of `username`.
pub async fn id_of(pool: &PgPool, username: &str) -> Result<String, WriteError> {
    let username = normalize_username(username);
    sqlx::query_scalar!(
        "select id from users where username = $1 and id <> 'system'",
        username
    )
    .fetch_optional(pool)
    .await?
    .ok_or(WriteError::UnknownUser(username))
}
