//! The SQLite store: one file, WAL journal (readers never wait for the writer), `synchronous =
//! NORMAL` (a commit survives a crash of twinview; a power cut may lose the last commits, never
//! corrupt the file). The schema is in docs/store.md and versioned by `PRAGMA user_version`.

use std::path::Path;
use std::time::Duration;

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

use super::{Backend, HappeningRow, NamedReading, Rollup};
use crate::error::AppError;
use crate::twin::kept::{SeriesRow, StateRow};

/// The schema this build writes. A store with a higher version is refused; a lower one is
/// migrated at open, one step at a time.
pub const SCHEMA_VERSION: i64 = 1;

/// Each step brings the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 0 → 1
    "CREATE TABLE series (
         id INTEGER PRIMARY KEY,
         topic TEXT NOT NULL,
         field TEXT NOT NULL,
         device TEXT NOT NULL,
         unit TEXT,
         UNIQUE (topic, field)
     );
     CREATE TABLE readings (
         series INTEGER NOT NULL REFERENCES series (id),
         t INTEGER NOT NULL,
         value REAL NOT NULL
     );
     CREATE INDEX readings_by_series ON readings (series, t);
     CREATE INDEX readings_by_time ON readings (t);
     CREATE TABLE rollups (
         series INTEGER NOT NULL REFERENCES series (id),
         minute INTEGER NOT NULL,
         count INTEGER NOT NULL,
         mean REAL NOT NULL,
         min REAL NOT NULL,
         max REAL NOT NULL,
         last REAL NOT NULL,
         PRIMARY KEY (series, minute)
     ) WITHOUT ROWID;
     CREATE TABLE states (
         t INTEGER NOT NULL,
         topic TEXT NOT NULL,
         field TEXT NOT NULL,
         value TEXT NOT NULL
     );
     CREATE INDEX states_by_topic ON states (topic, field, t);
     CREATE INDEX states_by_time ON states (t);
     CREATE TABLE happenings (
         t INTEGER NOT NULL,
         type TEXT NOT NULL,
         subject TEXT,
         line TEXT NOT NULL
     );
     CREATE INDEX happenings_by_subject ON happenings (subject, t);
     CREATE INDEX happenings_by_time ON happenings (t);",
];

fn err(e: rusqlite::Error) -> String {
    e.to_string()
}

fn file_error(path: &Path, e: impl std::fmt::Display) -> AppError {
    AppError::File(format!("cannot open the store {}: {e}", path.display()))
}

/// Brings the schema of `conn` to [`SCHEMA_VERSION`], or refuses a newer one.
fn migrate(conn: &mut Connection, path: &Path) -> Result<(), AppError> {
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| file_error(path, e))?;
    if version > SCHEMA_VERSION {
        return Err(AppError::File(format!(
            "the store {} has schema version {version}, newer than this twinview knows ({SCHEMA_VERSION}): use a newer twinview, or another --store",
            path.display()
        )));
    }
    for (i, step) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.transaction().map_err(|e| file_error(path, e))?;
        tx.execute_batch(step).map_err(|e| file_error(path, e))?;
        tx.pragma_update(None, "user_version", i as i64 + 1)
            .map_err(|e| file_error(path, e))?;
        tx.commit().map_err(|e| file_error(path, e))?;
    }
    Ok(())
}

/// The writer's connection.
pub struct Sqlite {
    conn: Connection,
}

impl Sqlite {
    /// Opens or creates the store at `path` (its folder is created too) and migrates it.
    pub fn open(path: &Path) -> Result<Sqlite, AppError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| file_error(path, e))?;
        }
        let mut conn = Connection::open(path).map_err(|e| file_error(path, e))?;
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(|e| file_error(path, e))?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| file_error(path, e))?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(|e| file_error(path, e))?;
        migrate(&mut conn, path)?;
        Ok(Sqlite { conn })
    }
}

impl Backend for Sqlite {
    fn series(&mut self, rows: &[SeriesRow]) -> Result<Vec<i64>, String> {
        let tx = self.conn.transaction().map_err(err)?;
        let mut ids = Vec::with_capacity(rows.len());
        {
            let mut upsert = tx
                .prepare_cached(
                    "INSERT INTO series (topic, field, device, unit) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (topic, field) DO UPDATE SET
                         device = excluded.device,
                         unit = coalesce(excluded.unit, unit)
                     RETURNING id",
                )
                .map_err(err)?;
            for r in rows {
                let id: i64 = upsert
                    .query_row(params![r.topic, r.field, r.device, r.unit], |row| {
                        row.get(0)
                    })
                    .map_err(err)?;
                ids.push(id);
            }
        }
        tx.commit().map_err(err)?;
        Ok(ids)
    }

    fn write(
        &mut self,
        readings: &[(i64, i64, f64)],
        states: &[StateRow],
        happenings: &[HappeningRow],
        rollups: &[Rollup],
    ) -> Result<(), String> {
        let tx = self.conn.transaction().map_err(err)?;
        {
            let mut put = tx
                .prepare_cached("INSERT INTO readings (series, t, value) VALUES (?1, ?2, ?3)")
                .map_err(err)?;
            for (s, t, v) in readings {
                put.execute(params![s, t, v]).map_err(err)?;
            }
            let mut put = tx
                .prepare_cached(
                    "INSERT INTO states (t, topic, field, value) VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(err)?;
            for s in states {
                put.execute(params![s.t_ms, s.topic, s.field, s.value])
                    .map_err(err)?;
            }
            let mut put = tx
                .prepare_cached(
                    "INSERT INTO happenings (t, type, subject, line) VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(err)?;
            for h in happenings {
                put.execute(params![h.t_ms, h.kind, h.subject, h.line])
                    .map_err(err)?;
            }
            let mut put = tx
                .prepare_cached(
                    "INSERT INTO rollups (series, minute, count, mean, min, max, last)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                     ON CONFLICT (series, minute) DO UPDATE SET
                         mean = (mean * count + excluded.mean * excluded.count)
                                / (count + excluded.count),
                         count = count + excluded.count,
                         min = min(min, excluded.min),
                         max = max(max, excluded.max),
                         last = excluded.last",
                )
                .map_err(err)?;
            for r in rollups {
                put.execute(params![
                    r.series,
                    r.minute,
                    r.count as i64,
                    r.mean,
                    r.min,
                    r.max,
                    r.last
                ])
                .map_err(err)?;
            }
        }
        tx.commit().map_err(err)
    }

    fn prune(&mut self, raw_before: i64, rollups_before: i64) -> Result<(), String> {
        let tx = self.conn.transaction().map_err(err)?;
        tx.execute("DELETE FROM readings WHERE t < ?1", [raw_before])
            .map_err(err)?;
        tx.execute("DELETE FROM states WHERE t < ?1", [raw_before])
            .map_err(err)?;
        tx.execute("DELETE FROM happenings WHERE t < ?1", [raw_before])
            .map_err(err)?;
        tx.execute(
            "DELETE FROM rollups WHERE minute < ?1",
            [rollups_before.div_euclid(60_000)],
        )
        .map_err(err)?;
        tx.commit().map_err(err)
    }
}

/// A row of `topic, field, device, unit, t, value` (restore, replay from the store).
fn named(r: &rusqlite::Row<'_>) -> rusqlite::Result<NamedReading> {
    Ok(NamedReading {
        topic: r.get(0)?,
        field: r.get(1)?,
        device: r.get(2)?,
        unit: r.get(3)?,
        t_ms: r.get(4)?,
        value: r.get(5)?,
    })
}

/// A read-only connection: restore, `twinview history`, the UI's long charts.
pub struct Reader {
    conn: Connection,
}

/// One bucket of rollups: its start (epoch ms), and the count, mean, min, max and last of the
/// readings in it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    pub t_ms: i64,
    pub count: u64,
    pub mean: f64,
    pub min: f64,
    pub max: f64,
    pub last: f64,
}

/// A stored series.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSeries {
    pub id: i64,
    pub topic: String,
    pub field: String,
    pub device: String,
    pub unit: Option<String>,
}

impl Reader {
    pub fn open(path: &Path) -> Result<Reader, AppError> {
        if !path.exists() {
            return Err(AppError::File(format!(
                "no store at {} (start twinview with --store {} first)",
                path.display(),
                path.display()
            )));
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| file_error(path, e))?;
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(|e| file_error(path, e))?;
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| file_error(path, e))?;
        if version > SCHEMA_VERSION {
            return Err(AppError::File(format!(
                "the store {} has schema version {version}, newer than this twinview knows ({SCHEMA_VERSION}): use a newer twinview",
                path.display()
            )));
        }
        if version == 0 {
            return Err(AppError::File(format!(
                "{} is not a twinview store (empty, or another program's database)",
                path.display()
            )));
        }
        Ok(Reader { conn })
    }

    fn q<T>(&self, r: rusqlite::Result<T>) -> Result<T, AppError> {
        r.map_err(|e| AppError::File(format!("cannot read the store: {e}")))
    }

    /// Series whose `topic` or `topic/field` is `name`, or whose topic matches `name` as an
    /// MQTT filter (`+`, `#`).
    pub fn series(&self, name: &str) -> Result<Vec<StoredSeries>, AppError> {
        let mut st = self.q(self
            .conn
            .prepare("SELECT id, topic, field, device, unit FROM series ORDER BY topic, field"))?;
        let rows = self.q(st.query_map([], |r| {
            Ok(StoredSeries {
                id: r.get(0)?,
                topic: r.get(1)?,
                field: r.get(2)?,
                device: r.get(3)?,
                unit: r.get(4)?,
            })
        }))?;
        let mut out = Vec::new();
        for s in rows {
            let s = self.q(s)?;
            let full = format!("{}/{}", s.topic, s.field);
            if s.topic == name || full == name || crate::source::filter_matches(name, &s.topic) {
                out.push(s);
            }
        }
        Ok(out)
    }

    /// Raw readings of series `id` in `[since, until)` (epoch ms), oldest first, at most
    /// `limit`.
    pub fn readings(
        &self,
        id: i64,
        since: i64,
        until: i64,
        limit: usize,
    ) -> Result<Vec<(i64, f64)>, AppError> {
        let mut st = self.q(self.conn.prepare_cached(
            "SELECT t, value FROM readings WHERE series = ?1 AND t >= ?2 AND t < ?3
             ORDER BY t LIMIT ?4",
        ))?;
        let rows = self.q(st.query_map(params![id, since, until, limit as i64], |r| {
            Ok((r.get(0)?, r.get(1)?))
        }))?;
        rows.map(|r| self.q(r)).collect()
    }

    /// Rollups of series `id` in `[since, until)` merged into buckets of `every_min` minutes.
    pub fn buckets(
        &self,
        id: i64,
        since: i64,
        until: i64,
        every_min: i64,
    ) -> Result<Vec<Bucket>, AppError> {
        let every = every_min.max(1);
        let mut st = self.q(self.conn.prepare_cached(
            "SELECT (minute / ?4) * ?4 AS b, sum(count), sum(mean * count) / sum(count),
                    min(min), max(max),
                    (SELECT r2.last FROM rollups r2 WHERE r2.series = ?1
                        AND r2.minute / ?4 = rollups.minute / ?4 ORDER BY r2.minute DESC LIMIT 1)
             FROM rollups WHERE series = ?1 AND minute >= ?2 AND minute < ?3
             GROUP BY b ORDER BY b",
        ))?;
        let rows = self.q(st.query_map(
            params![
                id,
                since.div_euclid(60_000),
                // A minute is in the range when any of it is: the last one may be partly past
                // `until` (the current minute, most often).
                until.saturating_add(59_999).div_euclid(60_000),
                every
            ],
            |r| {
                Ok(Bucket {
                    t_ms: r.get::<_, i64>(0)? * 60_000,
                    count: r.get::<_, i64>(1)? as u64,
                    mean: r.get(2)?,
                    min: r.get(3)?,
                    max: r.get(4)?,
                    last: r.get(5)?,
                })
            },
        ))?;
        rows.map(|r| self.q(r)).collect()
    }

    /// Happenings about `subject` (a device, topic or job) since `since`, oldest first.
    pub fn happenings(
        &self,
        subject: &str,
        since: i64,
        limit: usize,
    ) -> Result<Vec<(i64, String, String)>, AppError> {
        let mut st = self.q(self.conn.prepare_cached(
            "SELECT t, type, line FROM happenings WHERE subject = ?1 AND t >= ?2
             ORDER BY t DESC LIMIT ?3",
        ))?;
        let rows = self.q(st.query_map(params![subject, since, limit as i64], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        }))?;
        let mut v: Vec<_> = rows.map(|r| self.q(r)).collect::<Result<_, _>>()?;
        v.reverse();
        Ok(v)
    }

    /// The newest stored reading's time (epoch ms).
    pub fn newest(&self) -> Result<Option<i64>, AppError> {
        self.q(self
            .conn
            .query_row("SELECT max(t) FROM readings", [], |r| r.get(0))
            .optional())
            .map(Option::flatten)
    }

    /// The readings of the `span` before the newest one, at most `limit` (the newest kept),
    /// oldest first, with their series named.
    pub fn recent(&self, span: Duration, limit: usize) -> Result<Vec<NamedReading>, AppError> {
        let Some(newest) = self.newest()? else {
            return Ok(Vec::new());
        };
        let since = newest - span.as_millis() as i64;
        let mut st = self.q(self.conn.prepare(
            "SELECT s.topic, s.field, s.device, s.unit, r.t, r.value
             FROM readings r JOIN series s ON s.id = r.series
             WHERE r.t >= ?1 ORDER BY r.t DESC, r.rowid DESC LIMIT ?2",
        ))?;
        let rows = self.q(st.query_map(params![since, limit as i64], named))?;
        let mut v: Vec<NamedReading> = rows.map(|r| self.q(r)).collect::<Result<_, _>>()?;
        v.reverse();
        Ok(v)
    }

    /// Readings and state changes in `[since, until)` (epoch ms), oldest first, at most
    /// `limit` of each: the stuff of a replay.
    pub fn range(
        &self,
        since: i64,
        until: i64,
        limit: usize,
    ) -> Result<(Vec<NamedReading>, Vec<StateRow>), AppError> {
        let mut st = self.q(self.conn.prepare(
            "SELECT s.topic, s.field, s.device, s.unit, r.t, r.value
             FROM readings r JOIN series s ON s.id = r.series
             WHERE r.t >= ?1 AND r.t < ?2 ORDER BY r.t, r.rowid LIMIT ?3",
        ))?;
        let rows = self.q(st.query_map(params![since, until, limit as i64], named))?;
        let readings = rows.map(|r| self.q(r)).collect::<Result<_, _>>()?;
        let mut st = self.q(self.conn.prepare(
            "SELECT t, topic, field, value FROM states WHERE t >= ?1 AND t < ?2
             ORDER BY t, rowid LIMIT ?3",
        ))?;
        let rows = self.q(st.query_map(params![since, until, limit as i64], |r| {
            Ok(StateRow {
                t_ms: r.get(0)?,
                topic: r.get(1)?,
                field: r.get(2)?,
                value: r.get(3)?,
            })
        }))?;
        let states = rows.map(|r| self.q(r)).collect::<Result<_, _>>()?;
        Ok((readings, states))
    }

    /// Rows in each table (tests, `history --stats`).
    pub fn count(&self, table: &str) -> Result<u64, AppError> {
        let table = match table {
            "readings" | "rollups" | "states" | "happenings" | "series" => table,
            _ => return Ok(0),
        };
        self.q(self
            .conn
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| {
                r.get::<_, i64>(0)
            }))
        .map(|n| n as u64)
    }
}
