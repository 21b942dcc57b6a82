//! `replay --headless --scores FILE`: every reading's anomaly score as CSV
//! (`time,topic,field,score`; the score empty while the series is learning).

use super::{News, Output, Wants};
use crate::error::AppError;
use crate::twin::Twin;

/// Every reading's anomaly score as CSV (`--scores`).
pub struct Scores {
    out: std::io::BufWriter<std::fs::File>,
    path: std::path::PathBuf,
    failed: Option<std::io::Error>,
}

impl Scores {
    pub fn create(path: &std::path::Path) -> Result<Scores, AppError> {
        let f = crate::error::open_output(path, false)
            .map_err(|e| AppError::File(format!("cannot write {}: {e}", path.display())))?;
        let mut s = Scores {
            out: std::io::BufWriter::new(f),
            path: path.to_path_buf(),
            failed: None,
        };
        s.line(format_args!("time,topic,field,score"));
        Ok(s)
    }

    fn line(&mut self, args: std::fmt::Arguments) {
        if self.failed.is_none() {
            if let Err(e) = std::io::Write::write_fmt(&mut self.out, format_args!("{args}\n")) {
                self.failed = Some(e);
            }
        }
    }

    fn write(&mut self, scores: &[crate::twin::ScoreLine]) {
        for (t, topic, field, score) in scores {
            let score = score.map(|s| format!("{s:.4}")).unwrap_or_default();
            self.line(format_args!(
                "{},{},{},{score}",
                crate::source::record::ts(*t),
                csv(topic),
                csv(field)
            ));
        }
    }

    fn close(&mut self) -> Result<(), AppError> {
        if self.failed.is_none() {
            if let Err(e) = std::io::Write::flush(&mut self.out) {
                self.failed = Some(e);
            }
        }
        match self.failed.take() {
            Some(e) => Err(AppError::File(format!(
                "cannot write {}: {e}",
                self.path.display()
            ))),
            None => Ok(()),
        }
    }
}

/// A CSV field: quoted when it holds a comma, a quote or a line break.
pub(crate) fn csv(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\"")).into()
    } else {
        s.into()
    }
}

impl Output for Scores {
    fn wants(&self) -> Wants {
        Wants {
            happenings: false,
            scores: true,
            rows: false,
        }
    }

    fn feed(&mut self, _twin: &Twin, news: &News<'_>) {
        self.write(news.scores);
    }

    fn finish(&mut self) -> Result<(), AppError> {
        self.close()
    }
}
