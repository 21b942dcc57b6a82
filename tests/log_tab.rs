//! The UI logger: records reach tui-logger's widget once the UI flushes them before a frame,
//! with the same per-crate filtering as stderr. Its own test binary: it installs the global logger.

use ratatui::backend::TestBackend;
use ratatui::Terminal;
use tui_logger::TuiLoggerWidget;

fn screen() -> String {
    let mut terminal = Terminal::new(TestBackend::new(100, 8)).unwrap();
    terminal
        .draw(|f| f.render_widget(TuiLoggerWidget::default(), f.area()))
        .unwrap();
    let buf = terminal.backend().buffer();
    (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn records_appear_after_a_flush_and_quiet_crates_stay_quiet() {
    twinview::logging::init_ui();
    log::warn!("anomaly on s1: 99 — test record");
    log::info!(target: "rumqttc::state", "chatty library line");
    log::error!(target: "rumqttd::router", "embedded broker span");
    // No thread moves records on its own: nothing shows until the UI flushes.
    assert!(!screen().contains("test record"), "{}", screen());
    twinview::logging::ui_flush();
    let shown = screen();
    assert!(shown.contains("anomaly on s1: 99 — test record"), "{shown}");
    assert!(!shown.contains("chatty library line"), "{shown}");
    assert!(!shown.contains("embedded broker span"), "{shown}");
}
