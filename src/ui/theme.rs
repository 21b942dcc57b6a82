//! Themes: named presets in `themes/*.toml` (built into the binary) or a user's TOML file,
//! which may name a `base` preset and override only some colours.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

use crate::error::AppError;

const BUILT_IN: &[(&str, &str)] = &[
    ("default", include_str!("../../themes/default.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
];

/// Every colour a view may use. Tab code takes colours from here, never literals.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    pub background: Color,
    pub foreground: Color,
    pub dim: Color,
    pub accent: Color,
    pub header_fg: Color,
    pub header_bg: Color,
    pub selected_fg: Color,
    pub selected_bg: Color,
    pub ok: Color,
    pub warn: Color,
    pub error: Color,
    pub anomaly: Color,
    pub sparkline: Color,
    pub chart_line: Color,
    pub chart_mean: Color,
    pub chart_band: Color,
    pub group: Color,
    pub border: Color,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    name: Option<String>,
    /// A built-in theme this one starts from.
    base: Option<String>,
    #[serde(default)]
    colors: BTreeMap<String, String>,
}

impl Default for Theme {
    fn default() -> Self {
        Theme::built_in("default").expect("the default theme is valid")
    }
}

impl Theme {
    pub fn names() -> impl Iterator<Item = &'static str> {
        BUILT_IN.iter().map(|(n, _)| *n)
    }

    pub fn built_in(name: &str) -> Option<Theme> {
        let (_, text) = BUILT_IN.iter().find(|(n, _)| *n == name)?;
        Theme::from_toml(text, name).ok()
    }

    /// A built-in name, or a path to a TOML file.
    pub fn load(name_or_file: &str) -> Result<Theme, AppError> {
        if let Some(t) = Theme::built_in(name_or_file) {
            return Ok(t);
        }
        let path = Path::new(name_or_file);
        if !path.exists() {
            return Err(AppError::Usage(format!(
                "unknown theme `{name_or_file}`: use one of {} or a TOML file",
                Theme::names().collect::<Vec<_>>().join(", ")
            )));
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| AppError::File(format!("cannot read theme {}: {e}", path.display())))?;
        Theme::from_toml(&text, name_or_file)
            .map_err(|e| AppError::File(format!("invalid theme {}: {e}", path.display())))
    }

    fn from_toml(text: &str, fallback_name: &str) -> Result<Theme, String> {
        let file: ThemeFile = toml::from_str(text).map_err(|e| e.message().to_string())?;
        let mut theme = match file.base.as_deref() {
            Some(base) if base != fallback_name => {
                Theme::built_in(base).ok_or_else(|| format!("unknown base theme `{base}`"))?
            }
            _ => Theme::all(Color::Reset),
        };
        theme.name = file.name.unwrap_or_else(|| fallback_name.to_string());
        for (key, value) in &file.colors {
            let color = Color::from_str(value)
                .map_err(|_| format!("`{value}` is not a colour (for `{key}`)"))?;
            *theme
                .slot(key)
                .ok_or_else(|| format!("unknown colour name `{key}`"))? = color;
        }
        Ok(theme)
    }

    fn all(c: Color) -> Theme {
        Theme {
            name: String::new(),
            background: c,
            foreground: c,
            dim: c,
            accent: c,
            header_fg: c,
            header_bg: c,
            selected_fg: c,
            selected_bg: c,
            ok: c,
            warn: c,
            error: c,
            anomaly: c,
            sparkline: c,
            chart_line: c,
            chart_mean: c,
            chart_band: c,
            group: c,
            border: c,
        }
    }

    fn slot(&mut self, key: &str) -> Option<&mut Color> {
        Some(match key {
            "background" => &mut self.background,
            "foreground" => &mut self.foreground,
            "dim" => &mut self.dim,
            "accent" => &mut self.accent,
            "header_fg" => &mut self.header_fg,
            "header_bg" => &mut self.header_bg,
            "selected_fg" => &mut self.selected_fg,
            "selected_bg" => &mut self.selected_bg,
            "ok" => &mut self.ok,
            "warn" => &mut self.warn,
            "error" => &mut self.error,
            "anomaly" => &mut self.anomaly,
            "sparkline" => &mut self.sparkline,
            "chart_line" => &mut self.chart_line,
            "chart_mean" => &mut self.chart_mean,
            "chart_band" => &mut self.chart_band,
            "group" => &mut self.group,
            "border" => &mut self.border,
            _ => return None,
        })
    }

    pub fn base(&self) -> Style {
        Style::default().fg(self.foreground).bg(self.background)
    }

    pub fn dim(&self) -> Style {
        Style::default().fg(self.dim)
    }

    pub fn header(&self) -> Style {
        Style::default().fg(self.header_fg).bg(self.header_bg)
    }

    pub fn selected(&self) -> Style {
        Style::default()
            .fg(self.selected_fg)
            .bg(self.selected_bg)
            .add_modifier(Modifier::BOLD)
    }

    pub fn border(&self) -> Style {
        Style::default().fg(self.border)
    }

    pub fn title(&self) -> Style {
        Style::default()
            .fg(self.accent)
            .add_modifier(Modifier::BOLD)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_theme_sets_every_colour() {
        for name in Theme::names() {
            let t = Theme::built_in(name).unwrap_or_else(|| panic!("{name} parses"));
            assert_eq!(t.name, name);
            // Only `reset` is allowed to stay at the terminal's colour, and only for fg/bg.
            let mut probe = t.clone();
            for key in [
                "dim",
                "accent",
                "header_fg",
                "header_bg",
                "selected_fg",
                "selected_bg",
                "ok",
                "warn",
                "error",
                "anomaly",
                "sparkline",
                "chart_line",
                "chart_mean",
                "chart_band",
                "group",
                "border",
            ] {
                assert_ne!(*probe.slot(key).unwrap(), Color::Reset, "{name}.{key}");
            }
        }
    }

    #[test]
    fn partial_override_of_a_base() {
        let t = Theme::from_toml(
            "base = \"light\"\n[colors]\nanomaly = \"#ff00ff\"\n",
            "mine",
        )
        .unwrap();
        assert_eq!(t.anomaly, Color::Rgb(255, 0, 255));
        assert_eq!(t.accent, Theme::built_in("light").unwrap().accent);
        assert_eq!(t.name, "mine");
    }

    #[test]
    fn bad_themes_say_why() {
        assert!(Theme::from_toml("[colors]\nanomaly = \"plaid\"\n", "x")
            .unwrap_err()
            .contains("plaid"));
        assert!(Theme::from_toml("[colors]\nsky = \"red\"\n", "x")
            .unwrap_err()
            .contains("sky"));
        assert_eq!(Theme::load("no-such-theme").unwrap_err().exit_code(), 2);
    }
}
