//! Raw mode and the alternate screen behind a guard. The terminal is restored on every exit:
//! normal quit, error (the guard's `Drop`), panic (the hook calls [`restore`] first), and
//! signals (the loop returns, and the guard drops). [`restore`] is idempotent, so any of these
//! may run after another.

use std::io::{self, Stdout, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::cursor::{Hide, Show};
use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use crossterm::{execute, queue};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

pub type Backend = CrosstermBackend<Stdout>;

/// Why the cockpit cannot run here, when stdin or stdout is not a terminal (a pipe, a file,
/// `</dev/null`, a cron job): said in one line before anything starts, rather than as the
/// error report of a failed raw-mode call.
pub fn missing() -> Option<&'static str> {
    use std::io::IsTerminal;
    if io::stdin().is_terminal() && io::stdout().is_terminal() {
        return None;
    }
    Some(
        "flightdeck: the cockpit needs a terminal (stdin and stdout must be a tty); \
         `flightdeck status` reports without one",
    )
}

/// Whether the terminal is in the cockpit's modes now; guards against restoring twice.
static ACTIVE: AtomicBool = AtomicBool::new(false);

/// Owns the terminal while the cockpit runs.
pub struct TerminalGuard {
    /// Never dropped: ratatui's `Drop` shows the cursor and, when that write fails (the tty is
    /// gone), prints with `eprintln!`, which panics on a dead stderr; that panic during cleanup
    /// ended in SIGABRT. [`restore`] shows the cursor instead, ignoring a dead tty.
    pub terminal: std::mem::ManuallyDrop<Terminal<Backend>>,
}

impl TerminalGuard {
    /// Enters raw mode, the alternate screen and bracketed paste.
    pub fn enter() -> io::Result<Self> {
        take()?;
        let terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
        Ok(Self {
            terminal: std::mem::ManuallyDrop::new(terminal),
        })
    }

    /// Hands the terminal back (to run `$EDITOR` or `$PAGER`); [`TerminalGuard::resume`] takes it
    /// again.
    pub fn suspend(&mut self) -> io::Result<()> {
        restore();
        Ok(())
    }

    /// Takes the terminal back after [`TerminalGuard::suspend`], and forgets what was on screen so
    /// the next draw repaints everything.
    pub fn resume(&mut self) -> io::Result<()> {
        take()?;
        self.repaint_all()
    }

    /// Clears the screen and forgets what was on it, so the next draw writes every cell.
    /// Not ratatui's `clear`, which first asks the terminal where its cursor is: after a
    /// suspend that answer did not come (the request timed out, and its `;200R` reached the
    /// shell).
    pub fn repaint_all(&mut self) -> io::Result<()> {
        execute!(
            io::stdout(),
            crossterm::terminal::Clear(crossterm::terminal::ClearType::All)
        )?;
        // Each swap resets the buffer it makes current: two leave both blank.
        self.terminal.swap_buffers();
        self.terminal.swap_buffers();
        Ok(())
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

fn take() -> io::Result<()> {
    enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    let mut out = io::stdout();
    execute!(out, EnterAlternateScreen, EnableBracketedPaste, Hide)?;
    Ok(())
}

/// Writes a subcommand's report to stdout. A reader that stops early (`| head`) closes the pipe,
/// and what it read was all it wanted: that is the end of the report, not an error (`print!`
/// panics on it).
pub fn emit(text: &[u8]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        written => written,
    }
}

/// Writes one line to stderr, ignoring failure: at exit stderr may be a tty that is gone, and
/// `eprintln!` would panic there (a panic while exiting, or inside the panic hook, aborts).
pub fn say(line: &str) {
    let mut err = io::stderr().lock();
    let _ = writeln!(err, "{line}");
    let _ = err.flush();
}

/// Leaves every mode the cockpit entered. Safe to call at any time, from any exit path,
/// any number of times; errors are ignored because there is nothing better to do with them
/// while exiting (a lost tty fails every write).
pub fn restore() {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
    let _ = disable_raw_mode();
    let mut out = io::stdout();
    let _ = queue!(out, DisableBracketedPaste, LeaveAlternateScreen, Show);
    let _ = out.flush();
}

/// Raw mode alone, for a session that hands the terminal straight through (a shell in a
/// container): the cockpit's modes are already off, and raw mode goes off again when this
/// drops, on an error or an unwinding panic too.
pub struct RawMode(());

impl RawMode {
    pub fn enter() -> io::Result<Self> {
        enable_raw_mode()?;
        Ok(RawMode(()))
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = disable_raw_mode();
    }
}
