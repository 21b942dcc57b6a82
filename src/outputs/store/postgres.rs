//! The PostgreSQL store, to share history between instances (`--store postgres://…`, several
//! `--share` instances may write to one database). tokio-postgres on the writer's own thread
//! with a runtime of its own; readings go in with binary `COPY`, the fastest way into
//! PostgreSQL. The password comes from `--store-password-file` or `TWINVIEW_STORE_PASSWORD`,
//! never from the URL. No TLS: use it on loopback or a trusted network (docs/store.md).
//!
//! The schema is the SQLite one in PostgreSQL's types, versioned in `twinview_schema` and
//! migrated under an advisory lock, so instances starting together migrate once.

use std::time::Duration;

use tokio::runtime::Runtime;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Client, NoTls};

use super::{Backend, HappeningRow, NamedReading, Rollup};
use crate::error::AppError;
use crate::twin::kept::{SeriesRow, StateRow};

/// The schema this build writes (as in SQLite).
pub const SCHEMA_VERSION: i64 = 1;

const MIGRATIONS: &[&str] = &[
    // 0 → 1
    "CREATE TABLE series (
         id BIGSERIAL PRIMARY KEY,
         topic TEXT NOT NULL,
         field TEXT NOT NULL,
         device TEXT NOT NULL,
         unit TEXT,
         UNIQUE (topic, field)
     );
     CREATE TABLE readings (
         series BIGINT NOT NULL REFERENCES series (id),
         t BIGINT NOT NULL,
         value DOUBLE PRECISION NOT NULL
     );
     CREATE INDEX readings_by_series ON readings (series, t);
     CREATE INDEX readings_by_time ON readings (t);
     CREATE TABLE rollups (
         series BIGINT NOT NULL REFERENCES series (id),
         minute BIGINT NOT NULL,
         count BIGINT NOT NULL,
         mean DOUBLE PRECISION NOT NULL,
         min DOUBLE PRECISION NOT NULL,
         max DOUBLE PRECISION NOT NULL,
         last DOUBLE PRECISION NOT NULL,
         PRIMARY KEY (series, minute)
     );
     CREATE TABLE states (
         t BIGINT NOT NULL,
         topic TEXT NOT NULL,
         field TEXT NOT NULL,
         value TEXT NOT NULL
     );
     CREATE INDEX states_by_topic ON states (topic, field, t);
     CREATE INDEX states_by_time ON states (t);
     CREATE TABLE happenings (
         t BIGINT NOT NULL,
         type TEXT NOT NULL,
         subject TEXT,
         line TEXT NOT NULL
     );
     CREATE INDEX happenings_by_subject ON happenings (subject, t);
     CREATE INDEX happenings_by_time ON happenings (t);",
];

/// Where and as whom to connect. Shown without the password, always.
#[derive(Clone, PartialEq, Eq)]
pub struct PgTarget {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub dbname: String,
    pub password: Option<crate::source::conn::Secret>,
}

impl std::fmt::Debug for PgTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl PgTarget {
    /// `postgres://[USER@]HOST[:PORT][/DB]`; a password in the URL is refused.
    pub fn parse(url: &str) -> Result<PgTarget, String> {
        let rest = url
            .strip_prefix("postgres://")
            .or_else(|| url.strip_prefix("postgresql://"))
            .ok_or_else(|| format!("`{url}` is not a postgres:// URL"))?;
        let (auth, rest) = match rest.rsplit_once('@') {
            Some((a, r)) => (Some(a), r),
            None => (None, rest),
        };
        if auth.is_some_and(|a| a.contains(':')) {
            return Err(format!(
                "`{}`: no password in the store's URL (it would show in the process list); use --store-password-file FILE or TWINVIEW_STORE_PASSWORD",
                crate::text::redacted(url)
            ));
        }
        let (hostport, db) = rest.split_once('/').unwrap_or((rest, ""));
        let db = db.split('?').next().unwrap_or("");
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) => (
                h,
                p.parse::<u16>()
                    .map_err(|_| format!("`{url}`: `{p}` is not a port"))?,
            ),
            None => (hostport, 5432),
        };
        if host.is_empty() {
            return Err(format!("`{url}`: no host"));
        }
        let user = auth.unwrap_or("twinview").to_string();
        Ok(PgTarget {
            host: host.to_string(),
            port,
            dbname: if db.is_empty() {
                user.clone()
            } else {
                db.to_string()
            },
            user,
            password: None,
        })
    }

    pub fn describe(&self) -> String {
        format!(
            "postgres://{}@{}:{}/{}",
            self.user, self.host, self.port, self.dbname
        )
    }

    fn config(&self) -> tokio_postgres::Config {
        let mut c = tokio_postgres::Config::new();
        c.host(&self.host)
            .port(self.port)
            .user(&self.user)
            .dbname(&self.dbname)
            .application_name("twinview")
            // The server's NOTICEs (`… already exists, skipping`) are not news for the log.
            .options("-c client_min_messages=warning")
            .connect_timeout(Duration::from_secs(10));
        if let Some(p) = &self.password {
            c.password(p.expose());
        }
        c
    }
}

fn runtime() -> Result<Runtime, AppError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| AppError::Other(format!("cannot start the store's runtime: {e}")))
}

fn err(e: tokio_postgres::Error) -> String {
    // The server's own message when there is one (`relation … does not exist`), else the
    // client's (`connection refused`).
    match e.as_db_error() {
        Some(db) => db.message().to_string(),
        None => e.to_string(),
    }
}

async fn connect(target: &PgTarget) -> Result<Client, String> {
    let (client, conn) = target.config().connect(NoTls).await.map_err(err)?;
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            log::debug!("store connection ended: {e}");
        }
    });
    Ok(client)
}

async fn migrate(client: &mut Client) -> Result<(), String> {
    let tx = client.transaction().await.map_err(err)?;
    // One instance migrates; the others wait here and find the work done.
    tx.execute("SELECT pg_advisory_xact_lock(7305627813)", &[])
        .await
        .map_err(err)?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS twinview_schema (version BIGINT NOT NULL)")
        .await
        .map_err(err)?;
    let version: i64 = tx
        .query_opt("SELECT version FROM twinview_schema", &[])
        .await
        .map_err(err)?
        .map(|r| r.get(0))
        .unwrap_or(0);
    if version > SCHEMA_VERSION {
        return Err(format!(
            "the store has schema version {version}, newer than this twinview knows ({SCHEMA_VERSION}): use a newer twinview, or another --store"
        ));
    }
    for step in MIGRATIONS.iter().skip(version as usize) {
        tx.batch_execute(step).await.map_err(err)?;
    }
    if version == 0 {
        tx.execute(
            "INSERT INTO twinview_schema (version) VALUES ($1)",
            &[&SCHEMA_VERSION],
        )
        .await
        .map_err(err)?;
    } else if version < SCHEMA_VERSION {
        tx.execute(
            "UPDATE twinview_schema SET version = $1",
            &[&SCHEMA_VERSION],
        )
        .await
        .map_err(err)?;
    }
    tx.commit().await.map_err(err)
}

/// The writer's connection; reconnects by itself after a failure.
pub struct Postgres {
    rt: Runtime,
    target: PgTarget,
    client: Option<Client>,
}

impl Postgres {
    /// Connects and migrates: a wrong URL, password or a newer schema is an error at start.
    pub fn open(target: &PgTarget) -> Result<Postgres, AppError> {
        let rt = runtime()?;
        let shown = target.describe();
        let client = rt
            .block_on(async {
                let mut c = connect(target).await?;
                migrate(&mut c).await?;
                Ok::<_, String>(c)
            })
            .map_err(|e| AppError::Connect(format!("cannot open the store {shown}: {e}")))?;
        Ok(Postgres {
            rt,
            target: target.clone(),
            client: Some(client),
        })
    }

    /// Runs `f` on the client (connecting again when the last connection failed); `f` hands
    /// the client back with its result.
    fn run<T, F>(&mut self, f: impl FnOnce(Client) -> F) -> Result<T, String>
    where
        F: std::future::Future<Output = (Client, Result<T, String>)>,
    {
        let c = match self.client.take() {
            Some(c) if !c.is_closed() => c,
            _ => self.rt.block_on(connect(&self.target))?,
        };
        let (c, r) = self.rt.block_on(f(c));
        if !c.is_closed() {
            self.client = Some(c);
        }
        r
    }
}

impl Backend for Postgres {
    fn series(&mut self, rows: &[SeriesRow]) -> Result<Vec<i64>, String> {
        self.run(|mut c| async move {
            let r = upsert_series(&mut c, rows).await;
            (c, r)
        })
    }

    fn write(
        &mut self,
        readings: &[(i64, i64, f64)],
        states: &[StateRow],
        happenings: &[HappeningRow],
        rollups: &[Rollup],
    ) -> Result<(), String> {
        self.run(|mut c| async move {
            let r = write_rows(&mut c, readings, states, happenings, rollups).await;
            (c, r)
        })
    }

    fn prune(&mut self, raw_before: i64, rollups_before: i64) -> Result<(), String> {
        self.run(|mut c| async move {
            let r = prune(&mut c, raw_before, rollups_before).await;
            (c, r)
        })
    }
}

async fn upsert_series(c: &mut Client, rows: &[SeriesRow]) -> Result<Vec<i64>, String> {
    let tx = c.transaction().await.map_err(err)?;
    let st = tx
        .prepare(
            "INSERT INTO series (topic, field, device, unit) VALUES ($1, $2, $3, $4)
             ON CONFLICT (topic, field) DO UPDATE SET
                 device = excluded.device,
                 unit = coalesce(excluded.unit, series.unit)
             RETURNING id",
        )
        .await
        .map_err(err)?;
    let mut ids = Vec::with_capacity(rows.len());
    for r in rows {
        let row = tx
            .query_one(
                &st,
                &[
                    &r.topic,
                    &r.field,
                    &r.device,
                    &r.unit as &(dyn ToSql + Sync),
                ],
            )
            .await
            .map_err(err)?;
        ids.push(row.get(0));
    }
    tx.commit().await.map_err(err)?;
    Ok(ids)
}

async fn write_rows(
    c: &mut Client,
    readings: &[(i64, i64, f64)],
    states: &[StateRow],
    happenings: &[HappeningRow],
    rollups: &[Rollup],
) -> Result<(), String> {
    let tx = c.transaction().await.map_err(err)?;
    if !readings.is_empty() {
        let sink = tx
            .copy_in("COPY readings (series, t, value) FROM STDIN BINARY")
            .await
            .map_err(err)?;
        let w = BinaryCopyInWriter::new(sink, &[Type::INT8, Type::INT8, Type::FLOAT8]);
        tokio::pin!(w);
        for (s, t, v) in readings {
            let row: [&(dyn ToSql + Sync); 3] = [s, t, v];
            w.as_mut().write(&row).await.map_err(err)?;
        }
        w.finish().await.map_err(err)?;
    }
    if !states.is_empty() {
        let st = tx
            .prepare("INSERT INTO states (t, topic, field, value) VALUES ($1, $2, $3, $4)")
            .await
            .map_err(err)?;
        for s in states {
            tx.execute(&st, &[&s.t_ms, &s.topic, &s.field, &s.value])
                .await
                .map_err(err)?;
        }
    }
    if !happenings.is_empty() {
        let st = tx
            .prepare("INSERT INTO happenings (t, type, subject, line) VALUES ($1, $2, $3, $4)")
            .await
            .map_err(err)?;
        for h in happenings {
            tx.execute(&st, &[&h.t_ms, &h.kind, &h.subject, &h.line])
                .await
                .map_err(err)?;
        }
    }
    if !rollups.is_empty() {
        let st = tx
            .prepare(
                "INSERT INTO rollups (series, minute, count, mean, min, max, last)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (series, minute) DO UPDATE SET
                     mean = (rollups.mean * rollups.count
                             + excluded.mean * excluded.count)
                            / (rollups.count + excluded.count),
                     count = rollups.count + excluded.count,
                     min = least(rollups.min, excluded.min),
                     max = greatest(rollups.max, excluded.max),
                     last = excluded.last",
            )
            .await
            .map_err(err)?;
        for r in rollups {
            let count = r.count as i64;
            tx.execute(
                &st,
                &[
                    &r.series, &r.minute, &count, &r.mean, &r.min, &r.max, &r.last,
                ],
            )
            .await
            .map_err(err)?;
        }
    }
    tx.commit().await.map_err(err)
}

async fn prune(c: &mut Client, raw_before: i64, rollups_before: i64) -> Result<(), String> {
    let minute = rollups_before.div_euclid(60_000);
    let tx = c.transaction().await.map_err(err)?;
    for q in [
        "DELETE FROM readings WHERE t < $1",
        "DELETE FROM states WHERE t < $1",
        "DELETE FROM happenings WHERE t < $1",
    ] {
        tx.execute(q, &[&raw_before]).await.map_err(err)?;
    }
    tx.execute("DELETE FROM rollups WHERE minute < $1", &[&minute])
        .await
        .map_err(err)?;
    tx.commit().await.map_err(err)
}

/// Reads the shared history: restore, `twinview history`.
pub struct PgReader {
    pg: Postgres,
}

impl PgReader {
    pub fn open(target: &PgTarget) -> Result<PgReader, AppError> {
        Ok(PgReader {
            pg: Postgres::open(target)?,
        })
    }

    /// Runs `sql` with `params` and returns its rows.
    fn q(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<tokio_postgres::Row>, AppError> {
        self.pg
            .run(|c| async move {
                let r = c.query(sql, params).await.map_err(err);
                (c, r)
            })
            .map_err(|e| AppError::File(format!("cannot read the store: {e}")))
    }

    pub fn series(&mut self, name: &str) -> Result<Vec<super::sqlite::StoredSeries>, AppError> {
        let rows = self.q(
            "SELECT id, topic, field, device, unit FROM series ORDER BY topic, field",
            &[],
        )?;
        Ok(rows
            .iter()
            .map(|r| super::sqlite::StoredSeries {
                id: r.get(0),
                topic: r.get(1),
                field: r.get(2),
                device: r.get(3),
                unit: r.get(4),
            })
            .filter(|s| {
                s.topic == name
                    || format!("{}/{}", s.topic, s.field) == name
                    || crate::source::filter_matches(name, &s.topic)
            })
            .collect())
    }

    pub fn readings(
        &mut self,
        id: i64,
        since: i64,
        until: i64,
        limit: usize,
    ) -> Result<Vec<(i64, f64)>, AppError> {
        let limit = limit as i64;
        let rows = self.q(
            "SELECT t, value FROM readings WHERE series = $1 AND t >= $2 AND t < $3
             ORDER BY t LIMIT $4",
            &[&id, &since, &until, &limit],
        )?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    pub fn buckets(
        &mut self,
        id: i64,
        since: i64,
        until: i64,
        every_min: i64,
    ) -> Result<Vec<super::sqlite::Bucket>, AppError> {
        let every = every_min.max(1);
        let (from, to) = (
            since.div_euclid(60_000),
            until.saturating_add(59_999).div_euclid(60_000),
        );
        let rows = self.q(
            "SELECT (minute / $4) * $4 AS b, sum(count)::BIGINT,
                    sum(mean * count) / sum(count), min(min), max(max),
                    (array_agg(last ORDER BY minute DESC))[1]
             FROM rollups WHERE series = $1 AND minute >= $2 AND minute < $3
             GROUP BY b ORDER BY b",
            &[&id, &from, &to, &every],
        )?;
        Ok(rows
            .iter()
            .map(|r| super::sqlite::Bucket {
                t_ms: r.get::<_, i64>(0) * 60_000,
                count: r.get::<_, i64>(1) as u64,
                mean: r.get(2),
                min: r.get(3),
                max: r.get(4),
                last: r.get(5),
            })
            .collect())
    }

    pub fn range(
        &mut self,
        since: i64,
        until: i64,
        limit: usize,
    ) -> Result<(Vec<NamedReading>, Vec<StateRow>), AppError> {
        let limit = limit as i64;
        let rows = self.q(
            "SELECT s.topic, s.field, s.device, s.unit, r.t, r.value
             FROM readings r JOIN series s ON s.id = r.series
             WHERE r.t >= $1 AND r.t < $2 ORDER BY r.t LIMIT $3",
            &[&since, &until, &limit],
        )?;
        let readings = rows
            .iter()
            .map(|r| NamedReading {
                topic: r.get(0),
                field: r.get(1),
                device: r.get(2),
                unit: r.get(3),
                t_ms: r.get(4),
                value: r.get(5),
            })
            .collect();
        let rows = self.q(
            "SELECT t, topic, field, value FROM states WHERE t >= $1 AND t < $2
             ORDER BY t LIMIT $3",
            &[&since, &until, &limit],
        )?;
        let states = rows
            .iter()
            .map(|r| StateRow {
                t_ms: r.get(0),
                topic: r.get(1),
                field: r.get(2),
                value: r.get(3),
            })
            .collect();
        Ok((readings, states))
    }

    pub fn happenings(
        &mut self,
        subject: &str,
        since: i64,
        limit: usize,
    ) -> Result<Vec<(i64, String, String)>, AppError> {
        let limit = limit as i64;
        let rows = self.q(
            "SELECT t, type, line FROM happenings WHERE subject = $1 AND t >= $2
             ORDER BY t DESC LIMIT $3",
            &[&subject, &since, &limit],
        )?;
        let mut v: Vec<(i64, String, String)> = rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect();
        v.reverse();
        Ok(v)
    }

    pub fn recent(&mut self, span: Duration, limit: usize) -> Result<Vec<NamedReading>, AppError> {
        let span = span.as_millis() as i64;
        let limit = limit as i64;
        let newest: Option<i64> = self.q("SELECT max(t) FROM readings", &[])?[0].get(0);
        let Some(newest) = newest else {
            return Ok(Vec::new());
        };
        let rows = self.q(
            "SELECT s.topic, s.field, s.device, s.unit, r.t, r.value
             FROM readings r JOIN series s ON s.id = r.series
             WHERE r.t >= $1 ORDER BY r.t DESC LIMIT $2",
            &[&(newest - span), &limit],
        )?;
        let mut v: Vec<NamedReading> = rows
            .iter()
            .map(|r| NamedReading {
                topic: r.get(0),
                field: r.get(1),
                device: r.get(2),
                unit: r.get(3),
                t_ms: r.get(4),
                value: r.get(5),
            })
            .collect();
        v.reverse();
        Ok(v)
    }
}
