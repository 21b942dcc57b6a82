//! `twinview history`: stored readings or rollups of a series, as CSV or JSON Lines.

use std::io::Write;

use chrono::{DateTime, Utc};

use crate::cli::{HistoryArgs, ViewArgs};
use crate::config;
use crate::error::AppError;
use crate::outputs::scores::csv;
use crate::outputs::store::History;

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
        other => {
            return Err(AppError::Usage(format!(
                "--format {other}: use csv or json"
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
