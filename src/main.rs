use clap::Parser;

use twinview::cli::{Cli, Command};
use twinview::error::AppError;
use twinview::run;

/// mimalloc: messages are allocated on one thread (the MQTT task, or replay's reader) and freed
/// on another (the twin), which glibc's allocator serves through locked arenas.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = Cli::parse_from(twinview::cli::expand_profile_shorthand(
        std::env::args_os().collect(),
    ));
    // Headless and replay: a panic applying one message is counted, not fatal (the UI wraps
    // its own terminal hook the same way once the terminal is set up).
    twinview::live::guard::install();
    let code = match start(cli) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!(
                "twinview: {}",
                twinview::text::visible_lines(&e.to_string())
            );
            e.exit_code()
        }
    };
    std::process::exit(code);
}

fn start(cli: Cli) -> Result<(), AppError> {
    // Reading the history needs no runtime (the PostgreSQL client runs one of its own).
    if let Some(Command::History(args)) = cli.command {
        return run::history::history(args, &cli.view);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| AppError::Other(format!("cannot start the runtime: {e}")))?;
    rt.block_on(async move {
        match cli.command {
            None => run::monitor(cli.conn, cli.view).await,
            Some(Command::Demo(args)) => run::demo(args).await,
            Some(Command::Sim(args)) => run::sim(args).await,
            Some(Command::Replay(args)) => run::replay(args).await,
            Some(Command::History(_)) => unreachable!("answered above"),
            // `twinview -c FILE profiles` and `twinview profiles -c FILE` alike.
            Some(Command::Profiles { config }) => {
                twinview::config::setup::profiles(config.as_deref().or(cli.view.config.as_deref()))
            }
            Some(Command::Config { path, example }) => {
                twinview::config::setup::config(path, example)
            }
            Some(Command::Completions { shell }) => twinview::config::setup::completions(shell),
            Some(Command::Man) => twinview::config::setup::man(),
        }
    })
}
