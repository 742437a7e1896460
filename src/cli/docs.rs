//! `zoomsync completions SHELL` and `zoomsync man`: shell completions and the manual page,
//! generated from the command definitions so they cannot drift from them.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use clap::CommandFactory as _;

use super::Cli;

pub fn completions(shell: clap_complete::Shell) -> ExitCode {
    // Into a buffer first: clap_complete panics on a write error, and `| head` is one.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "zoomsync", &mut script);
    print(&script)
}

/// The manual page of `zoomsync` to standard output, or, with `dir`, one page per command
/// (`zoomsync.1`, `zoomsync-serve.1`, `zoomsync-app-add.1`, ...) written there.
pub fn man_pages(dir: Option<&Path>) -> ExitCode {
    let written = match dir {
        Some(dir) => clap_mangen::generate_to(Cli::command(), dir),
        None => {
            let mut page = Vec::new();
            match clap_mangen::Man::new(Cli::command()).render(&mut page) {
                Ok(()) => return print(&page),
                Err(e) => Err(e),
            }
        }
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: cannot write the manual page: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A reader that stopped reading (`| head`) is not our failure to report.
fn print(bytes: &[u8]) -> ExitCode {
    match std::io::stdout().write_all(bytes) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: cannot write to standard output: {e}");
            ExitCode::FAILURE
        }
    }
}
