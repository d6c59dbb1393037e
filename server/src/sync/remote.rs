//! Scale-out: several processes on one database hear of each other's changes.
//!
//! Every write that adds changes to a document notifies `duyan_documents` in its own
//! transaction (`storage::postgres`), so the notification arrives when the change is committed
//! and only then. Each process listens on one dedicated connection. A notification for a
//! document this process has loaded becomes a [`DocCommand::Remote`] in the document's inbox:
//! the task reads the one increment named (or everything, if it was a new document or the
//! increment was compacted away meanwhile), merges it and syncs its peers, as it would after
//! a change of its own. Documents not loaded here are ignored: they are read whole when
//! someone asks for them. A process's own notifications are skipped by their origin tag.
//!
//! If the listening connection drops, notifications sent meanwhile are lost; so after every
//! reconnect, once it listens again, every loaded document reads what storage holds. Nothing
//! waits on another process: a process that dies simply stops notifying.

use std::sync::Arc;
use std::time::Duration;

use duyan_shared::DocumentId;
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::hub::Hub;
use crate::storage::postgres::NOTIFY_CHANNEL;

/// A change another process stored, as its notification says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub doc: DocumentId,
    /// The increment appended; `None` for a new document's first snapshot.
    pub increment: Option<i64>,
    pub origin: String,
}

impl Notice {
    /// Reads `<document id> <increment id or -> <origin>`; `None` for anything else.
    pub fn parse(payload: &str) -> Option<Self> {
        let mut parts = payload.split(' ');
        let doc = parts.next()?.parse().ok()?;
        let increment = match parts.next()? {
            "-" => None,
            id => Some(id.parse().ok()?),
        };
        let origin = parts.next()?.to_owned();
        parts.next().is_none().then_some(Self {
            doc,
            increment,
            origin,
        })
    }
}

/// Listens for other processes' changes until shutdown; `origin` is this process's store's tag.
pub fn spawn_listener(
    pool: PgPool,
    hub: Hub,
    origin: Arc<str>,
    shutdown: CancellationToken,
    tracker: &TaskTracker,
) {
    tracker.spawn(async move {
        let mut connected_before = false;
        let mut delay = Duration::from_millis(100);
        loop {
            let listener = tokio::select! {
                () = shutdown.cancelled() => return,
                listener = listen(&pool) => listener,
            };
            let mut listener = match listener {
                Ok(listener) => listener,
                Err(error) => {
                    tracing::warn!(%error, "cannot listen for other processes' changes; retrying");
                    tokio::select! {
                        () = shutdown.cancelled() => return,
                        () = tokio::time::sleep(delay) => {}
                    }
                    delay = (delay * 2).min(Duration::from_secs(5));
                    continue;
                }
            };
            delay = Duration::from_millis(100);
            if connected_before {
                // Changes stored while we were not listening: every loaded document reads
                // what storage holds. Listening first, so nothing falls in between.
                tracing::info!("listening for other processes' changes again");
                for id in hub.loaded_ids() {
                    hub.remote_change(id, None);
                }
            }
            connected_before = true;
            loop {
                let received = tokio::select! {
                    () = shutdown.cancelled() => return,
                    received = listener.try_recv() => received,
                };
                match received {
                    Ok(Some(notification)) => match Notice::parse(notification.payload()) {
                        Some(notice) if *notice.origin != *origin => {
                            hub.remote_change(notice.doc, notice.increment);
                        }
                        Some(_) => {}
                        None => {
                            tracing::warn!(
                                payload = notification.payload(),
                                "ignoring a malformed change notification"
                            );
                        }
                    },
                    Ok(None) => {
                        tracing::warn!(
                            "lost the connection listening for other processes' changes"
                        );
                        break;
                    }
                    Err(error) => {
                        tracing::warn!(%error, "listening for other processes' changes failed");
                        break;
                    }
                }
            }
        }
    });
}

async fn listen(pool: &PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(NOTIFY_CHANNEL).await?;
    Ok(listener)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_notices_and_nothing_else() {
        let doc = DocumentId::from_bytes([3; 16]);
        assert_eq!(
            Notice::parse(&format!("{doc} 42 abc")),
            Some(Notice {
                doc,
                increment: Some(42),
                origin: "abc".into()
            })
        );
        assert_eq!(
            Notice::parse(&format!("{doc} - abc")).unwrap().increment,
            None
        );
        for bad in [
            String::new(),
            "x 1 a".to_owned(),
            format!("{doc} one a"),
            format!("{doc} 1"),
            format!("{doc} 1 a b"),
        ] {
            assert_eq!(Notice::parse(&bad), None, "{bad}");
        }
    }
}
