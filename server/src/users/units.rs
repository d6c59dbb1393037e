//! Units (the tree of departments) in the database.

use sqlx::{PgExecutor, PgPool};

use super::{MAX_NAME_CHARS, WriteError, constraint};

/// A unit as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitRow {
    pub id: String,
    pub name: String,
    pub parent_id: Option<String>,
}

/// Creates a unit.
pub async fn create_unit(db: impl PgExecutor<'_>, unit: &UnitRow) -> Result<(), WriteError> {
    let valid = |s: &str| !s.trim().is_empty() && s.chars().count() <= MAX_NAME_CHARS;
    if !valid(&unit.id) || unit.id.trim() != unit.id || !valid(&unit.name) {
        return Err(WriteError::InvalidUnit);
    }
    let result = sqlx::query!(
        "insert into units (id, name, parent_id) values ($1, $2, $3)",
        unit.id,
        unit.name,
        unit.parent_id
    )
    .execute(db)
    .await;
    match result {
        Ok(_) => Ok(()),
        Err(error) => Err(match constraint(&error) {
            Some("units_pkey") => WriteError::DuplicateUnit(unit.id.clone()),
            Some("units_parent_id_fkey") => {
                WriteError::UnknownUnit(unit.parent_id.clone().unwrap_or_default())
            }
            _ => WriteError::Database(error),
        }),
    }
}

/// Renames unit `id` and/or moves it below `parent` (`Some(None)`: to the top). A move below
/// the unit itself or one of its descendants is refused: the tree would become a loop, which
/// the `parent_id` constraint alone cannot rule out.
pub async fn update_unit(
    pool: &PgPool,
    id: &str,
    name: Option<&str>,
    parent: Option<Option<&str>>,
) -> Result<(), WriteError> {
    if let Some(name) = name
        && (name.trim().is_empty() || name.chars().count() > MAX_NAME_CHARS)
    {
        return Err(WriteError::InvalidUnit);
    }
    let mut tx = pool.begin().await?;
    // Two concurrent moves could each pass the check and together close a loop; moves are
    // rare, so they simply take turns.
    sqlx::query!("lock table units in share row exclusive mode")
        .execute(&mut *tx)
        .await?;
    if let Some(Some(parent)) = parent {
        let loops = sqlx::query_scalar!(
            r#"with recursive up (id, parent_id) as (
                   select id, parent_id from units where id = $1
                   union
                   select u.id, u.parent_id from units u join up on u.id = up.parent_id
               )
               select exists(select 1 from up where id = $2) as "loops!""#,
            parent,
            id
        )
        .fetch_one(&mut *tx)
        .await?;
        if loops {
            return Err(WriteError::UnitCycle(id.to_owned()));
        }
    }
    let (set_parent, parent_id) = match parent {
        Some(parent) => (true, parent.map(str::to_owned)),
        None => (false, None),
    };
    let result = sqlx::query!(
        "update units set
             name = coalesce($2, name),
             parent_id = case when $3 then $4 else parent_id end
         where id = $1",
        id,
        name.map(str::trim),
        set_parent,
        parent_id
    )
    .execute(&mut *tx)
    .await;
    match result {
        Ok(done) if done.rows_affected() == 0 => {
            return Err(WriteError::UnknownUnit(id.to_owned()));
        }
        Ok(_) => {}
        Err(error) => {
            return Err(match constraint(&error) {
                Some("units_parent_id_fkey") => {
                    WriteError::UnknownUnit(parent_id.unwrap_or_default())
                }
                _ => WriteError::Database(error),
            });
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Every unit, by id.
pub async fn list_units(pool: &PgPool) -> Result<Vec<UnitRow>, sqlx::Error> {
    sqlx::query_as!(UnitRow, "select id, name, parent_id from units order by id")
        .fetch_all(pool)
        .await
}
