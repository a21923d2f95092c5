//! Opening SQLite files and the `user_version` migration ladder.

use crate::StoreError;
use rusqlite::Connection;
use std::path::Path;

/// One schema step: runs inside a transaction, takes the schema from version `i` to `i + 1`.
pub(crate) type Migration = fn(&rusqlite::Transaction<'_>) -> Result<(), StoreError>;

/// Opens (creating if needed) a database in WAL mode with a small page cache, and
/// brings its schema up to date.
pub(crate) fn open(path: &Path, migrations: &[Migration]) -> Result<Connection, StoreError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut conn = Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // NORMAL in WAL mode: a committed transaction survives a crash of this process
    // (kill -9); only an OS crash or power loss can lose the last commits.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Negative means KiB: keep each user's page cache small, we have many users.
    conn.pragma_update(None, "cache_size", -256)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // The bundled SQLite has STAT4, which re-compiles a cached statement whenever a new
    // value is bound to a parameter the planner looked at (`WHERE task_id = ?1 ORDER BY
    // …`): every call paid a full prepare. The stability guarantee keeps one plan.
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    // Every statement of the store fits, so none is compiled twice while the handle lives.
    conn.set_prepared_statement_cache_capacity(128);
    migrate(&mut conn, migrations)?;
    Ok(conn)
}

fn migrate(conn: &mut Connection, migrations: &[Migration]) -> Result<(), StoreError> {
    let current: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let current = usize::try_from(current).map_err(StoreError::corrupt)?;
    if current > migrations.len() {
        return Err(StoreError::Corrupt(format!(
            "schema version {current} is newer than this build knows ({}); upgrade arranger",
            migrations.len()
        )));
    }
    for (i, step) in migrations.iter().enumerate().skip(current) {
        let tx = conn.transaction()?;
        step(&tx)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}
