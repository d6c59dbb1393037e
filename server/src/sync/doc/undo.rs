//! Putting back what a reviewed message changed and its author may not change.

use automerge::{ActorId, Automerge, AutomergeError, ChangeHash};

use super::super::review::{Refusal, Verdict};

/// Restores what `verdict` names with one change by the server's `actor`, dated now. Returns
/// the fields restored and the refusals to tell the author (an unknown field is mentioned only
/// if something had to be put back for it).
pub(super) fn restore(
    doc: &mut Automerge,
    actor: ActorId,
    verdict: Verdict,
    heads_before: &[ChangeHash],
    user: &str,
) -> Result<(Vec<String>, Vec<Refusal>), AutomergeError> {
    doc.set_actor(actor);
    let mut tx = doc.transaction();
    let restored = match &verdict {
        Verdict::Accept => Ok(Vec::new()),
        Verdict::Restore { fields, .. } => fields
            .iter()
            .filter_map(|(field, mode)| {
                match super::super::restore::restore_root_key(&mut tx, field, heads_before, mode) {
                    Ok(true) => Some(Ok(field.clone())),
                    Ok(false) => None,
                    Err(error) => Some(Err(error)),
                }
            })
            .collect::<Result<Vec<_>, _>>(),
        Verdict::RestoreAll { .. } => super::super::restore::restore_all(&mut tx, heads_before),
    };
    let refusals: Vec<Refusal> = match verdict {
        Verdict::Accept => Vec::new(),
        Verdict::Restore { refusals, .. } | Verdict::RestoreAll { refusals } => refusals,
    };
    match restored {
        Ok(fields) if !fields.is_empty() => {
            let note = format!("duyan: restored {} (changed by {user})", fields.join(", "));
            // Seconds, as automerge JS stamps its changes.
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
            tx.commit_with(
                automerge::transaction::CommitOptions::default()
                    .with_message(note)
                    .with_time(now),
            );
            let told = refusals
                .into_iter()
                .filter(|r| r.code != "unknown_field" || fields.contains(&r.field))
                .collect();
            Ok((fields, told))
        }
        Ok(_) => {
            tx.rollback();
            // Nothing to put back (e.g. an unknown key that did not change); but a forbidden
            // change that wrote nothing new is still worth telling about.
            let told = refusals
                .into_iter()
                .filter(|r| r.code != "unknown_field")
                .collect();
            Ok((Vec::new(), told))
        }
        Err(error) => {
            tx.rollback();
            Err(error)
        }
    }
}
