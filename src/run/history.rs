//! `twinview history`: stored readings or rollups of a series, as CSV or JSON Lines.

use std::io::Write;

use chrono::{DateTime, Utc};

use crate::cli::{HistoryArgs, ViewArgs};
use crate::config;
use crate::error::AppError;
use crate::outputs::scores::csv;
use crate::outputs::store::{History, Target};

/// `--since`/`--until`: a duration back from `now`, or an RFC 3339 time.
pub fn parse_when(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, AppError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text.trim()) {
        return Ok(t.with_timezone(&Utc));
    }
    let ago = crate::cli::parse_duration(text).map_err(|e| {
        AppError::Usage(format!(
            "`{text}` is neither a duration ago nor an RFC 3339 time ({e})"
        ))
    })?;
    Ok(now - chrono::Duration::from_std(ago).unwrap_or_default())
}

pub fn history(args: HistoryArgs, view: &ViewArgs) -> Result<(), AppError> {
    let json = match args.format.as_str() {
        "csv" => false,
        "json" => true,
        "recording" => false,
        other => {
            return Err(AppError::Usage(format!(
                "--format {other}: use csv, json or recording"
            )))
        }
    };
    let mut view = view.clone();
    if args.store.is_some() {
        view.store = args.store.clone();
    }
    if args.store_password_file.is_some() {
        view.store_password_file = args.store_password_file.clone();
    }
    let settings = config::resolve(
        &crate::cli::ConnArgs::default(),
        &view,
        &config::Environment::of_process(),
    )?;
    let Some(store) = settings.store else {
        return Err(AppError::Usage(
            "no store: give --store FILE or postgres://… (or `store` in the config file)".into(),
        ));
    };
    let target = store.target;
    let mut reader = History::open(&target)?;
    let now = Utc::now();
    let since = parse_when(args.since.as_deref().unwrap_or("24h"), now)?;
    let until = match &args.until {
        Some(u) => parse_when(u, now)?,
        None => now + chrono::Duration::seconds(1),
    };
    if until <= since {
        return Err(AppError::Usage("--until must come after --since".into()));
    }
    if args.format == "recording" {
        if args.every.is_some() {
            return Err(AppError::Usage(
                "--format recording holds readings, not rollups: leave out --every".into(),
            ));
        }
        let out = std::io::stdout();
        let mut out = std::io::BufWriter::new(out.lock());
        let (_, note) = crate::outputs::store::export_recording(
            &mut reader,
            since.timestamp_millis(),
            until.timestamp_millis(),
            &mut out,
        )?;
        if let Some(note) = note {
            eprintln!("twinview: {note}");
        }
        return std::io::Write::flush(&mut out)
            .map_err(|e| AppError::Other(format!("cannot write the history: {e}")));
    }
    let series = reader.series(&args.series)?;
    if series.is_empty() {
        return Err(AppError::Usage(format!(
            "no stored series is `{}` (a topic, topic/field, or a filter with + or #)",
            args.series
        )));
    }
    let out = std::io::stdout();
    let mut out = std::io::BufWriter::new(out.lock());
    let (from, to) = (since.timestamp_millis(), until.timestamp_millis());
    let ts = |ms: i64| {
        DateTime::from_timestamp_millis(ms)
            .map(crate::outputs::snapshot::ts)
            .unwrap_or_default()
    };
    let w = |r: std::io::Result<()>| {
        r.map_err(|e| AppError::Other(format!("cannot write the history: {e}")))
    };
    match args.every {
        None => {
            if !json {
                w(writeln!(out, "time,topic,field,value"))?;
            }
            let mut left = args.limit.unwrap_or(1_000_000);
            for s in &series {
                for (t, v) in reader.readings(s.id, from, to, left)? {
                    left -= 1;
                    if json {
                        let line = serde_json::json!({
                            "time": ts(t), "topic": s.topic, "field": s.field,
                            "value": v, "unit": s.unit,
                        });
                        w(writeln!(out, "{line}"))?;
                    } else {
                        w(writeln!(
                            out,
                            "{},{},{},{v}",
                            ts(t),
                            csv(&s.topic),
                            csv(&s.field)
                        ))?;
                    }
                }
            }
        }
        Some(every) => {
            let minutes = (every.as_secs() / 60) as i64;
            if minutes < 1 || every.as_secs() % 60 != 0 {
                return Err(AppError::Usage(
                    "--every takes whole minutes (rollups are one minute long): 1m, 15m, 1h, 1d"
                        .into(),
                ));
            }
            if !json {
                w(writeln!(out, "time,topic,field,count,mean,min,max,last"))?;
            }
            for s in &series {
                for b in reader.buckets(s.id, from, to, minutes)? {
                    if json {
                        let line = serde_json::json!({
                            "time": ts(b.t_ms), "topic": s.topic, "field": s.field,
                            "count": b.count, "mean": b.mean, "min": b.min, "max": b.max,
                            "last": b.last, "unit": s.unit,
                        });
                        w(writeln!(out, "{line}"))?;
                    } else {
                        w(writeln!(
                            out,
                            "{},{},{},{},{},{},{},{}",
                            ts(b.t_ms),
                            csv(&s.topic),
                            csv(&s.field),
                            b.count,
                            b.mean,
                            b.min,
                            b.max,
                            b.last
                        ))?;
                    }
                }
            }
        }
    }
    w(out.flush())
}

/// A temporary recording of a stored range (removed when dropped), and what to say of it once
/// the log is set up.
pub struct Exported(pub std::path::PathBuf, pub Vec<String>);

impl Drop for Exported {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// `replay --from-store`: writes the range to a temporary recording.
pub fn export_for_replay(
    store: &str,
    since: Option<&str>,
    until: Option<&str>,
) -> Result<Exported, AppError> {
    let mut target = Target::parse(store).map_err(AppError::Usage)?;
    if let Target::Postgres(pg) = &mut target {
        pg.password = std::env::var("TWINVIEW_STORE_PASSWORD")
            .ok()
            .filter(|p| !p.is_empty())
            .map(crate::source::conn::Secret::new);
    }
    let now = Utc::now();
    let since = parse_when(since.unwrap_or("1h"), now)?;
    let until = match until {
        Some(u) => parse_when(u, now)?,
        None => now + chrono::Duration::seconds(1),
    };
    let path = std::env::temp_dir().join(format!(
        "twinview-from-store-{}-{}.jsonl",
        std::process::id(),
        fastrand::u32(..)
    ));
    let mut exported = Exported(path.clone(), Vec::new());
    let written = crate::outputs::store::off_runtime(|| {
        let mut h = History::open(&target)?;
        let f = std::fs::File::create(&path)
            .map_err(|e| AppError::File(format!("cannot write {}: {e}", path.display())))?;
        let mut out = std::io::BufWriter::new(f);
        let (n, note) = crate::outputs::store::export_recording(
            &mut h,
            since.timestamp_millis(),
            until.timestamp_millis(),
            &mut out,
        )?;
        std::io::Write::flush(&mut out)
            .map_err(|e| AppError::File(format!("cannot write {}: {e}", path.display())))?;
        Ok::<_, AppError>((n, note))
    })?;
    let (written, note) = written;
    if written == 0 {
        return Err(AppError::File(format!(
            "{} holds nothing between {} and {}",
            target.describe(),
            crate::outputs::snapshot::ts(since),
            crate::outputs::snapshot::ts(until)
        )));
    }
    exported
        .1
        .push(format!("replaying {written} stored readings and states"));
    exported.1.extend(note);
    Ok(exported)
}
