//! The projection's part for the office's cycle (migration `0015_cycle.sql`): the cycle's
//! columns and the 批示 (`record_instructions`) are written with the row (`write.rs`); this
//! removes them with it.

use sqlx::PgConnection;

/// Removes the 批示 of a record that is gone.
pub(super) async fn forget(conn: &mut PgConnection, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query!("delete from record_instructions where record_id = $1", id)
        .execute(conn)
        .await?;
    Ok(())
}
