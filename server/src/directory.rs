//! Who exists: users and units, held in memory so that every request and every sync message
//! can ask "who is this, what may they do" without a database round trip.
//!
//! A [`Directory`] is an immutable snapshot; [`DirectoryHandle`] publishes the current one
//! through a `watch` channel. It is reloaded whole: right away when this process changes users
//! or ends a session ([`DirectoryHandle::refresh`]), and within a second when another process
//! (the CLI, another server) does, which the poller notices through `directory_version`, a
//! counter that triggers bump on every change of `users`, `units` or a session's revocation.
//! Reloading whole keeps the code trivially correct; a directory is a few thousand rows at most.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use duyan_shared::rules::Role;
use sqlx::PgPool;
use tokio::sync::watch;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// How often the poller asks whether the directory changed.
const POLL_EVERY: Duration = Duration::from_secs(1);

/// A person who can sign in (or the `system` user, which cannot).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// A UUID string, or `system`.
    pub id: String,
    /// Lowercase.
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    /// The unit (department) the user belongs to.
    pub unit: Option<String>,
    pub disabled: bool,
    /// Signed in with a one-time password: must set a new one before anything else.
    pub must_change_password: bool,
}

impl User {
    /// Whether the user holds `role`.
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// A unit (department, plant, office); units form a tree through `parent`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    pub id: String,
    pub name: String,
    pub parent: Option<String>,
}

/// A snapshot of users, units and recently ended sessions.
#[derive(Debug, Default)]
pub struct Directory {
    users: HashMap<String, Arc<User>>,
    /// username -> user id.
    usernames: HashMap<String, String>,
    units: HashMap<String, Unit>,
    revoked_sessions: HashSet<String>,
    version: i64,
}

impl Directory {
    /// Builds a directory from its parts; what [`DirectoryHandle::load`] does after reading
    /// the database, and what tests use.
    pub fn new(
        users: impl IntoIterator<Item = User>,
        units: impl IntoIterator<Item = Unit>,
        revoked_sessions: impl IntoIterator<Item = String>,
        version: i64,
    ) -> Self {
        let mut directory = Self {
            version,
            revoked_sessions: revoked_sessions.into_iter().collect(),
            units: units.into_iter().map(|u| (u.id.clone(), u)).collect(),
            ..Self::default()
        };
        for user in users {
            directory
                .usernames
                .insert(user.username.clone(), user.id.clone());
            directory.users.insert(user.id.clone(), Arc::new(user));
        }
        directory
    }

    /// The user with this id.
    pub fn user(&self, id: &str) -> Option<&User> {
        self.users.get(id).map(|u| &**u)
    }

    /// The user with this id, shared (cheap to keep beyond the snapshot's lifetime).
    pub fn user_arc(&self, id: &str) -> Option<Arc<User>> {
        self.users.get(id).cloned()
    }

    /// The user with this username; case-insensitive.
    pub fn user_by_username(&self, name: &str) -> Option<&User> {
        let id = match self.usernames.get(name) {
            Some(id) => id,
            None => self.usernames.get(&name.trim().to_lowercase())?,
        };
        self.user(id)
    }

    /// Every user (the `system` user included), in no particular order.
    pub fn users(&self) -> impl Iterator<Item = &User> {
        self.users.values().map(|u| &**u)
    }

    /// The unit with this id.
    pub fn unit(&self, id: &str) -> Option<&Unit> {
        self.units.get(id)
    }

    /// Every unit, in no particular order.
    pub fn units(&self) -> impl Iterator<Item = &Unit> {
        self.units.values()
    }

    /// Whether `unit` is `ancestor` or lies below it in the tree. Safe against cycles (which
    /// the database cannot rule out with a simple constraint): a walk stops after visiting as
    /// many units as exist.
    pub fn unit_within(&self, unit: &str, ancestor: &str) -> bool {
        let mut current = Some(unit);
        for _ in 0..=self.units.len() {
            let Some(id) = current else {
                return false;
            };
            if id == ancestor {
                return true;
            }
            current = self.units.get(id).and_then(|u| u.parent.as_deref());
        }
        false
    }

    /// `unit` and every unit below it. A unit the directory does not know is still "this
    /// unit": records may name one.
    pub fn subtree(&self, unit: &str) -> Vec<String> {
        let mut units: Vec<String> = self
            .units()
            .filter(|u| self.unit_within(&u.id, unit))
            .map(|u| u.id.clone())
            .collect();
        if !units.iter().any(|u| u == unit) {
            units.push(unit.to_owned());
        }
        units
    }

    /// `user` as the access rule's SQL sees them (see [`crate::access::Reader`]).
    pub fn reader(&self, user: &User) -> crate::access::Reader {
        crate::access::Reader::new(self, &user.id, &user.roles, user.unit.as_deref())
    }

    /// Whether the session was ended (signed out, user disabled, stolen refresh token) in the
    /// last day. Older revocations need not be known: access tokens live minutes.
    pub fn is_session_revoked(&self, session_id: &str) -> bool {
        self.revoked_sessions.contains(session_id)
    }

    /// The `directory_version` this snapshot was read at.
    pub fn version(&self) -> i64 {
        self.version
    }
}

/// Access decisions read users and units from here. A disabled user is no
/// one: they may read and change nothing.
impl crate::access::People for Directory {
    fn person(&self, user_id: &str) -> Option<crate::access::Person> {
        let user = self.user(user_id).filter(|u| !u.disabled)?;
        Some(crate::access::Person {
            roles: user.roles.clone(),
            unit: user.unit.clone(),
        })
    }

    fn unit_within(&self, unit: &str, ancestor: &str) -> bool {
        Directory::unit_within(self, unit, ancestor)
    }

    fn subtree(&self, unit: &str) -> Vec<String> {
        Directory::subtree(self, unit)
    }
}

/// Shares the current [`Directory`] and keeps it fresh. Cheap to clone.
#[derive(Clone)]
pub struct DirectoryHandle {
    pool: PgPool,
    sender: Arc<watch::Sender<Arc<Directory>>>,
}

impl DirectoryHandle {
    /// Reads the directory from the database.
    pub async fn load(pool: &PgPool) -> anyhow::Result<Self> {
        let directory = read(pool).await?;
        let (sender, _) = watch::channel(Arc::new(directory));
        Ok(Self {
            pool: pool.clone(),
            sender: Arc::new(sender),
        })
    }

    /// The current snapshot.
    pub fn current(&self) -> Arc<Directory> {
        self.sender.borrow().clone()
    }

    /// A receiver that sees every new snapshot, e.g. for sessions that must react when their
    /// user is disabled.
    pub fn subscribe(&self) -> watch::Receiver<Arc<Directory>> {
        self.sender.subscribe()
    }

    /// Reloads now. Called right after this process changed users or ended a session, so the
    /// change holds here at once rather than after the next poll.
    pub async fn refresh(&self) -> Result<(), sqlx::Error> {
        let fresh = read(&self.pool).await?;
        self.publish(fresh);
        Ok(())
    }

    /// Checks `directory_version` every second and reloads when it moved; stops on `shutdown`.
    /// One one-row query per second per process.
    pub fn spawn_poller(&self, pool: PgPool, shutdown: CancellationToken, tracker: &TaskTracker) {
        let handle = self.clone();
        tracker.spawn(async move {
            let mut tick = tokio::time::interval(POLL_EVERY);
            tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
            let mut failing = false;
            // Told at once of a change (migration 0012 notifies from the version trigger);
            // the poll stays, for a notification lost while the listener reconnects.
            let mut listener = directory_listener(&pool).await;
            loop {
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    _ = tick.tick() => {}
                    heard = next_notification(&mut listener) => {
                        if !heard {
                            listener = None;
                        }
                    }
                }
                let result = match current_version(&pool).await {
                    Ok(version) if version == handle.current().version() => Ok(()),
                    Ok(_) => read(&pool).await.map(|fresh| handle.publish(fresh)),
                    Err(error) => Err(error),
                };
                match result {
                    Ok(()) if failing => {
                        failing = false;
                        tracing::info!("directory reloads work again");
                    }
                    Ok(()) => {}
                    // Logged once per outage, not every second; the old snapshot stays in use.
                    Err(error) if !failing => {
                        failing = true;
                        tracing::warn!(%error, "cannot reload the user directory; keeping the last one");
                    }
                    Err(_) => {}
                }
            }
        });
    }

    /// Publishes `fresh` unless a newer snapshot is already out (two reloads may finish in
    /// either order).
    fn publish(&self, fresh: Directory) {
        self.sender.send_if_modified(|current| {
            if fresh.version >= current.version {
                *current = Arc::new(fresh);
                true
            } else {
                false
            }
        });
    }
}

async fn current_version(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!("select version from directory_version")
        .fetch_one(pool)
        .await
}

/// Reads everything in one repeatable-read transaction, so the rows match the version read.
async fn read(pool: &PgPool) -> Result<Directory, sqlx::Error> {
    let mut tx = pool
        .begin_with("begin isolation level repeatable read read only")
        .await?;
    let version = sqlx::query_scalar!("select version from directory_version")
        .fetch_one(&mut *tx)
        .await?;
    let users = sqlx::query!(
        "select id, username, display_name, roles, unit_id, disabled, must_change_password
             from users"
    )
    .fetch_all(&mut *tx)
    .await?;
    let units = sqlx::query!("select id, name, parent_id from units")
        .fetch_all(&mut *tx)
        .await?;
    let revoked =
        sqlx::query_scalar!("select id from sessions where revoked_at > now() - interval '1 day'")
            .fetch_all(&mut *tx)
            .await?;
    tx.commit().await?;

    let users = users.into_iter().map(|row| User {
        roles: parse_roles(&row.id, &row.roles),
        id: row.id,
        username: row.username,
        display_name: row.display_name,
        unit: row.unit_id,
        disabled: row.disabled,
        must_change_password: row.must_change_password,
    });
    let units = units.into_iter().map(|row| Unit {
        id: row.id,
        name: row.name,
        parent: row.parent_id,
    });
    Ok(Directory::new(users, units, revoked, version))
}

/// Roles as stored. The table's check constraint allows only known roles; one this build does
/// not know (written by a newer version) is skipped, which grants less, never more.
pub(crate) fn parse_roles(user_id: &str, stored: &[String]) -> Vec<Role> {
    stored
        .iter()
        .filter_map(|role| match role.parse() {
            Ok(role) => Some(role),
            Err(error) => {
                tracing::warn!(user = user_id, %error, "ignoring an unknown role");
                None
            }
        })
        .collect()
}

/// Listens for directory changes; `None` (polling only) if that fails.
async fn directory_listener(pool: &PgPool) -> Option<sqlx::postgres::PgListener> {
    let mut listener = sqlx::postgres::PgListener::connect_with(pool).await.ok()?;
    listener.listen("duyan_directory").await.ok()?;
    Some(listener)
}

/// Waits for the next directory notification; `false` when listening failed (the poll goes
/// on alone). Never returns without a listener.
async fn next_notification(listener: &mut Option<sqlx::postgres::PgListener>) -> bool {
    match listener {
        Some(listener) => matches!(listener.try_recv().await, Ok(Some(_))),
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(id: &str, parent: Option<&str>) -> Unit {
        Unit {
            id: id.into(),
            name: id.into(),
            parent: parent.map(Into::into),
        }
    }

    #[test]
    fn unit_within_follows_the_tree() {
        let directory = Directory::new(
            [],
            [
                unit("company", None),
                unit("refinery", Some("company")),
                unit("workshop-1", Some("refinery")),
                unit("office", Some("company")),
            ],
            [],
            1,
        );
        assert!(directory.unit_within("workshop-1", "workshop-1"));
        assert!(directory.unit_within("workshop-1", "refinery"));
        assert!(directory.unit_within("workshop-1", "company"));
        assert!(!directory.unit_within("refinery", "workshop-1"));
        assert!(!directory.unit_within("workshop-1", "office"));
        assert!(!directory.unit_within("nowhere", "company"));
        // An unknown unit is still within itself: equality needs no tree.
        assert!(directory.unit_within("nowhere", "nowhere"));
    }

    #[test]
    fn unit_within_survives_cycles() {
        let directory = Directory::new(
            [],
            [
                unit("a", Some("b")),
                unit("b", Some("c")),
                unit("c", Some("a")),
                unit("d", None),
            ],
            [],
            1,
        );
        assert!(directory.unit_within("a", "c"));
        assert!(!directory.unit_within("a", "d"));
    }

    #[test]
    fn usernames_are_case_insensitive() {
        let user = User {
            id: "u1".into(),
            username: "zhangsan".into(),
            display_name: "张三".into(),
            roles: vec![Role::Handler],
            unit: None,
            disabled: false,
            must_change_password: false,
        };
        let directory = Directory::new([user], [], ["s-old".to_owned()], 7);
        assert_eq!(directory.user_by_username("ZhangSan").unwrap().id, "u1");
        assert_eq!(directory.user("u1").unwrap().display_name, "张三");
        assert!(directory.is_session_revoked("s-old"));
        assert!(!directory.is_session_revoked("s-new"));
        assert_eq!(directory.version(), 7);
    }
}
