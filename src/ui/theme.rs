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
        Theme::load_from(name_or_file, None)
    }

    /// A built-in name, a path to a TOML file, or `NAME` for `themes/NAME.toml` in the config
    /// folder `config_dir`.
    pub fn load_from(name_or_file: &str, config_dir: Option<&Path>) -> Result<Theme, AppError> {
        if let Some(t) = Theme::built_in(name_or_file) {
            return Ok(t);
        }
        let mine = config_dir
            .map(|d| d.join("themes").join(format!("{name_or_file}.toml")))
            .filter(|p| !name_or_file.contains(['/', '\\']) && p.is_file());
        let path = mine.as_deref().unwrap_or(Path::new(name_or_file));
        if !path.exists() {
            return Err(AppError::Usage(format!(
                "unknown theme `{name_or_file}`: use one of {}, a TOML file{}",
                Theme::names().collect::<Vec<_>>().join(", "),
                config_dir
                    .map(|d| format!(", or a name in {}", d.join("themes").display()))
                    .unwrap_or_default()
            )));
        }
        let text = crate::error::read_capped(path, crate::error::THEME_MAX, "theme")?;
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

    /// xterm's default palette for the 16 named colours and the 256-colour cube.
    fn rgb(c: Color, background: (u8, u8, u8)) -> (u8, u8, u8) {
        const NAMED: [(u8, u8, u8); 16] = [
            (0, 0, 0),
            (205, 0, 0),
            (0, 205, 0),
            (205, 205, 0),
            (0, 0, 238),
            (205, 0, 205),
            (0, 205, 205),
            (229, 229, 229),
            (127, 127, 127),
            (255, 0, 0),
            (0, 255, 0),
            (255, 255, 0),
            (92, 92, 255),
            (255, 0, 255),
            (0, 255, 255),
            (255, 255, 255),
        ];
        match c {
            Color::Reset => background,
            Color::Black => NAMED[0],
            Color::Red => NAMED[1],
            Color::Green => NAMED[2],
            Color::Yellow => NAMED[3],
            Color::Blue => NAMED[4],
            Color::Magenta => NAMED[5],
            Color::Cyan => NAMED[6],
            Color::Gray => NAMED[7],
            Color::DarkGray => NAMED[8],
            Color::LightRed => NAMED[9],
            Color::LightGreen => NAMED[10],
            Color::LightYellow => NAMED[11],
            Color::LightBlue => NAMED[12],
            Color::LightMagenta => NAMED[13],
            Color::LightCyan => NAMED[14],
            Color::White => NAMED[15],
            Color::Rgb(r, g, b) => (r, g, b),
            Color::Indexed(i) if i < 16 => NAMED[i as usize],
            Color::Indexed(i) if i >= 232 => {
                let v = 8 + (i - 232) * 10;
                (v, v, v)
            }
            Color::Indexed(i) => {
                let i = i - 16;
                let level = |n: u8| if n == 0 { 0 } else { 55 + n * 40 };
                (level(i / 36), level((i / 6) % 6), level(i % 6))
            }
        }
    }

    /// WCAG 2 contrast ratio of two colours.
    fn contrast(a: (u8, u8, u8), b: (u8, u8, u8)) -> f64 {
        let lum = |(r, g, b): (u8, u8, u8)| {
            let ch = |c: u8| {
                let c = c as f64 / 255.0;
                if c <= 0.03928 {
                    c / 12.92
                } else {
                    ((c + 0.055) / 1.055).powf(2.4)
                }
            };
            0.2126 * ch(r) + 0.7152 * ch(g) + 0.0722 * ch(b)
        };
        let (x, y) = (lum(a), lum(b));
        (x.max(y) + 0.05) / (x.min(y) + 0.05)
    }

    #[test]
    fn every_theme_is_readable() {
        // A theme whose background is the terminal's own says which kind of terminal it is
        // for (its first comment line): dark ones are taken as black, light ones as white.
        for name in Theme::names() {
            let t = Theme::built_in(name).unwrap();
            let bg = rgb(
                t.background,
                if name == "light" {
                    (255, 255, 255)
                } else {
                    (0, 0, 0)
                },
            );
            let c = |x: Color| rgb(x, bg);
            // The terminal's own foreground: light on a dark terminal, dark on a light one.
            let fg_default = if name == "light" {
                (0, 0, 0)
            } else {
                (229, 229, 229)
            };
            let fg = if t.foreground == Color::Reset {
                fg_default
            } else {
                c(t.foreground)
            };
            assert!(contrast(fg, bg) >= 4.5, "{name}: foreground");
            let text = [
                ("dim", t.dim, bg),
                ("accent (titles)", t.accent, bg),
                ("ok", t.ok, bg),
                ("warn", t.warn, bg),
                ("error", t.error, bg),
                ("anomaly", t.anomaly, bg),
                ("group", t.group, bg),
                ("header", t.header_fg, c(t.header_bg)),
                ("selected row", t.selected_fg, c(t.selected_bg)),
                ("header error", t.error, c(t.header_bg)),
                ("header warn", t.warn, c(t.header_bg)),
                ("header anomaly", t.anomaly, c(t.header_bg)),
                ("paused badge", t.header_bg, c(t.warn)),
            ];
            for (what, fg, against) in text {
                let r = contrast(c(fg), against);
                assert!(r >= 4.5, "{name}: {what} has contrast {r:.2} < 4.5");
            }
            let graphics = [
                ("sparkline", t.sparkline),
                ("chart line", t.chart_line),
                ("chart mean", t.chart_mean),
                ("chart band", t.chart_band),
                ("border", t.border),
            ];
            for (what, fg) in graphics {
                let r = contrast(c(fg), bg);
                assert!(r >= 3.0, "{name}: {what} has contrast {r:.2} < 3");
            }
        }
    }

    #[test]
    fn contrast_is_computed_as_wcag_says() {
        let r = contrast((0, 0, 0), (255, 255, 255));
        assert!((r - 21.0).abs() < 1e-9);
        assert!((contrast((118, 118, 118), (255, 255, 255)) - 4.54).abs() < 0.01);
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
        // A name is also looked for in the config folder's themes/.
        let dir = std::env::temp_dir().join(format!("twinview-themes-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("themes")).unwrap();
        std::fs::write(dir.join("themes/mine.toml"), "base = \"light\"\n").unwrap();
        let mine = Theme::load_from("mine", Some(&dir)).unwrap();
        assert_eq!(
            mine.background,
            Theme::built_in("light").unwrap().background
        );
        assert!(Theme::load_from("mine", None).is_err());
    }
}
