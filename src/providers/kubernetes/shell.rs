//! The cockpit's shell into a container (`s` on a pod): while the loop has handed the terminal
//! over, this attaches through the exec API with a terminal, as `kubectl exec -it` does —
//! keys in raw, output out, window sizes forwarded — bash first, `/bin/sh` when the image has none.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use futures::SinkExt;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Status;
use kube::Client;
use kube::api::{Api, AttachParams, TerminalSize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use super::watch::describe_error;
use flightdeck_core::model::workloads::ShellTarget;

/// The shells tried in turn: the first the container has wins.
const SHELLS: [&str; 2] = ["bash", "/bin/sh"];

/// Runs a shell in the container until it exits; its exit code, or why none could start.
pub async fn run(client: Client, target: &ShellTarget) -> Result<i32, String> {
    let api: Api<Pod> = Api::namespaced(client, &target.pod.namespace);
    let _raw = crate::terminal::RawMode::enter().map_err(|e| format!("raw mode: {e}"))?;
    let mut keys = Keys::start();
    let mut result = Err("no shell to try".to_string());
    for shell in SHELLS {
        match attach(&api, target, shell, &mut keys).await {
            Ok(Ended::Missing) => {
                result = Err(format!(
                    "no shell in the container (tried {})",
                    SHELLS.join(", ")
                ));
                continue;
            }
            Ok(Ended::Exited(code)) => {
                result = Ok(code);
                break;
            }
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    keys.stop();
    result
}

/// How one attempt ended.
enum Ended {
    Exited(i32),
    /// The program is not in the image: the next shell is tried.
    Missing,
}

async fn attach(
    api: &Api<Pod>,
    target: &ShellTarget,
    shell: &str,
    keys: &mut Keys,
) -> Result<Ended, String> {
    let params = AttachParams::interactive_tty().container(target.container.clone());
    let mut process = api
        .exec(&target.pod.name, [shell], &params)
        .await
        .map_err(|e| describe_error(&e))?;
    let status = process
        .take_status()
        .ok_or("the exec API gave no status channel")?;
    let mut stdin = process.stdin().ok_or("the exec API gave no stdin")?;
    let mut stdout = process.stdout().ok_or("the exec API gave no stdout")?;
    let mut sizes = process.terminal_size();
    if let (Some(tx), Ok((width, height))) = (sizes.as_mut(), crossterm::terminal::size()) {
        let _ = tx.try_send(TerminalSize { width, height });
    }
    // Output is copied as it comes; a byte count tells "not found before any output" apart.
    let output = tokio::spawn(async move {
        let mut buf = vec![0u8; 8192];
        let mut written = 0usize;
        loop {
            match stdout.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let mut out = std::io::stdout().lock();
                    let _ = out.write_all(&buf[..n]);
                    let _ = out.flush();
                    written += n;
                }
            }
        }
        written
    });
    let mut winch =
        signal(SignalKind::window_change()).map_err(|e| format!("SIGWINCH handler: {e}"))?;
    // The loop's own handlers see these too, once the terminal is back: the session only has
    // to end at once, so a SIGTERM or a dropped connection is not held up by the shell.
    let mut term = signal(SignalKind::terminate()).map_err(|e| format!("SIGTERM handler: {e}"))?;
    let mut hup = signal(SignalKind::hangup()).map_err(|e| format!("SIGHUP handler: {e}"))?;
    tokio::pin!(status);
    let status: Option<Status> = loop {
        tokio::select! {
            s = &mut status => break s,
            chunk = keys.rx.recv() => match chunk {
                Some(chunk) => {
                    // A failed write means the session is closing; its status follows.
                    let _ = stdin.write_all(&chunk).await;
                }
                // The terminal is gone (a hung-up tty reads end-of-file): nobody is there.
                None => {
                    process.abort();
                    output.abort();
                    return Err("the terminal went away".into());
                }
            },
            _ = term.recv() => {
                process.abort();
                output.abort();
                return Err("ended by SIGTERM".into());
            }
            _ = hup.recv() => {
                process.abort();
                output.abort();
                return Err("ended by SIGHUP".into());
            }
            _ = winch.recv() => {
                if let (Some(tx), Ok((width, height))) = (sizes.as_mut(), crossterm::terminal::size()) {
                    let _ = tx.send(TerminalSize { width, height }).await;
                }
            }
        }
    };
    drop(stdin);
    let written = tokio::time::timeout(std::time::Duration::from_secs(2), output)
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or(0);
    process.abort();
    Ok(match status {
        None => Ended::Exited(0),
        Some(s) if s.status.as_deref() == Some("Success") => Ended::Exited(0),
        Some(s) => {
            let message = s.message.as_deref().unwrap_or("");
            if written == 0 && missing_program(message) {
                Ended::Missing
            } else if let Some(code) = exit_code(&s) {
                Ended::Exited(code)
            } else {
                return Err(flightdeck_core::sanitize::excerpt(message, 200));
            }
        }
    })
}

/// What a runtime says when the program is not in the image (containerd, CRI-O, the sim).
fn missing_program(message: &str) -> bool {
    message.contains("executable file not found") || message.contains("no such file or directory")
}

/// A non-zero exit, as the kubelet reports it: a cause with reason `ExitCode`.
fn exit_code(s: &Status) -> Option<i32> {
    if s.reason.as_deref() != Some("NonZeroExitCode") {
        return None;
    }
    s.details
        .as_ref()?
        .causes
        .as_ref()?
        .iter()
        .find(|c| c.reason.as_deref() == Some("ExitCode"))?
        .message
        .as_deref()?
        .parse()
        .ok()
}

/// The keyboard, read on a thread that polls stdin and can be stopped: a blocking read left
/// waiting after the shell ends would take the cockpit's next key.
struct Keys {
    rx: mpsc::Receiver<Vec<u8>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Keys {
    fn start() -> Self {
        let (tx, rx) = mpsc::channel(64);
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while !flag.load(Ordering::SeqCst) {
                let mut fd = libc::pollfd {
                    fd: libc::STDIN_FILENO,
                    events: libc::POLLIN,
                    revents: 0,
                };
                // SAFETY: one valid pollfd, its count, and a timeout; nothing is retained.
                let ready = unsafe { libc::poll(&mut fd, 1, 50) };
                if ready < 0 {
                    if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                        continue;
                    }
                    break;
                }
                if ready == 0 || fd.revents & (libc::POLLIN | libc::POLLHUP) == 0 {
                    continue;
                }
                // SAFETY: reads into a buffer of the length given; stdin is open for the
                // process's life.
                let n =
                    unsafe { libc::read(libc::STDIN_FILENO, buf.as_mut_ptr().cast(), buf.len()) };
                let Ok(n) = usize::try_from(n) else { break };
                if n == 0 || tx.blocking_send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        Keys {
            rx,
            stop,
            thread: Some(thread),
        }
    }

    /// Stops the reader within a poll interval and waits for it.
    fn stop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.rx.close();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Keys {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{StatusCause, StatusDetails};

    #[test]
    fn exit_codes_and_missing_shells_read_as_the_kubelet_reports_them() {
        let s = Status {
            status: Some("Failure".into()),
            reason: Some("NonZeroExitCode".into()),
            details: Some(StatusDetails {
                causes: Some(vec![StatusCause {
                    reason: Some("ExitCode".into()),
                    message: Some("3".into()),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(exit_code(&s), Some(3));
        assert_eq!(exit_code(&Status::default()), None);
        assert!(missing_program(
            "OCI runtime exec failed: exec: \"bash\": executable file not found in $PATH: unknown"
        ));
        assert!(!missing_program("container not found"));
    }
}
