//! `pods/exec` over a websocket, in the channel protocol kubectl and kube speak (v5 with its
//! stdin close, v4 without), with a small shell-like program behind it, so a shell into a sim
//! pod — and kubectl's judgement of the protocol — needs no container runtime.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade, close_code};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::model::{Kind, Obj};
use super::{Server, allowed, bad_request, forbidden, labelled, not_found, status_json};

/// The sub-protocols served, best first.
const PROTOCOLS: [&str; 2] = ["v5.channel.k8s.io", "v4.channel.k8s.io"];
const STDIN: u8 = 0;
const STDOUT: u8 = 1;
const STDERR: u8 = 2;
const STATUS: u8 = 3;
const RESIZE: u8 = 4;
/// v5: the client closed the channel named by the next byte (only stdin means anything here).
const CLOSE: u8 = 255;

/// What the exec request asked for, from its repeated query parameters.
#[derive(Debug, Default)]
struct Request {
    command: Vec<String>,
    container: Option<String>,
    stdin: bool,
    tty: bool,
}

fn request_of(pairs: &[(String, String)]) -> Request {
    let mut r = Request::default();
    let yes = |v: &str| v == "true" || v == "1";
    for (k, v) in pairs {
        match k.as_str() {
            "command" => r.command.push(v.clone()),
            "container" => r.container = Some(v.clone()),
            "stdin" => r.stdin = yes(v),
            "tty" => r.tty = yes(v),
            _ => {}
        }
    }
    r
}

pub(super) async fn exec(
    State(s): State<Arc<Server>>,
    Path((ns, name)): Path<(String, String)>,
    Query(pairs): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let label = "exec";
    if !allowed("create", &ns) {
        return labelled(forbidden("create", Kind::Pod, Some("exec"), &ns), label);
    }
    let req = request_of(&pairs);
    let snap = s.snapshot();
    let Some(Obj::Pod(pod)) = snap.get(Kind::Pod, &ns, &name).map(|e| &*e.obj) else {
        return labelled(not_found(Kind::Pod, &name), label);
    };
    let container = req
        .container
        .clone()
        .unwrap_or_else(|| pod.workload.name.clone());
    if container != pod.workload.name {
        return labelled(
            bad_request(format!("container {container} is not valid for pod {name}")),
            label,
        );
    }
    let running = pod.timeline.current.is_some_and(|i| i.end.is_none());
    if !running {
        return labelled(
            bad_request(format!(
                "unable to upgrade connection: container not found (\"{container}\")"
            )),
            label,
        );
    }
    if req.command.is_empty() {
        return labelled(
            bad_request("you must specify at least 1 command".into()),
            label,
        );
    }
    let (upgrade, protocol) = match super::upgrade_with(&headers, upgrade, &PROTOCOLS, label) {
        Ok(u) => u,
        Err(answer) => return *answer,
    };
    let host = Host {
        hostname: pod.name.clone(),
        // Go services ship on a minimal base image: no bash, so `/bin/sh` is the fallback.
        has_bash: pod.workload.language != "go",
        env: vec![
            ("HOSTNAME".into(), pod.name.clone()),
            ("HOME".into(), "/root".into()),
            (
                "PATH".into(),
                "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into(),
            ),
            ("POD_NAMESPACE".into(), ns.clone()),
            ("PORT".into(), pod.workload.port.to_string()),
        ],
    };
    let v5 = protocol == PROTOCOLS[0];
    labelled(
        upgrade.on_upgrade(move |socket| session(socket, host, req, v5)),
        label,
    )
}

/// The container as the shell sees it.
#[derive(Debug, Clone)]
struct Host {
    hostname: String,
    has_bash: bool,
    env: Vec<(String, String)>,
}

/// The terminal's size as the client last sent it on the resize channel (columns, rows), so
/// `stty size` shows that resizes arrive.
type Size = Arc<std::sync::Mutex<Option<(u16, u16)>>>;

/// Input from the client to the program.
enum Input {
    Data(Vec<u8>),
    Eof,
}

/// Where the program writes: the socket, framed by channel.
struct Out {
    sink: futures::stream::SplitSink<WebSocket, Message>,
    tty: bool,
    open: bool,
}

impl Out {
    async fn send(&mut self, channel: u8, data: &[u8]) {
        if !self.open {
            return;
        }
        let mut frame = Vec::with_capacity(data.len() + 1);
        frame.push(channel);
        frame.extend_from_slice(data);
        if self.sink.send(Message::Binary(frame.into())).await.is_err() {
            self.open = false;
        }
    }

    /// A line of output; a terminal turns `\n` into `\r\n` (onlcr).
    async fn line(&mut self, text: &str) {
        let nl = if self.tty { "\r\n" } else { "\n" };
        self.send(STDOUT, format!("{text}{nl}").as_bytes()).await;
    }

    /// An error line: stderr, or the terminal when there is one (a tty has no stderr).
    async fn err(&mut self, text: &str) {
        if self.tty {
            self.send(STDOUT, format!("{text}\r\n").as_bytes()).await;
        } else {
            self.send(STDERR, format!("{text}\n").as_bytes()).await;
        }
    }
}

async fn session(socket: WebSocket, host: Host, req: Request, v5: bool) {
    let (sink, mut stream) = socket.split();
    let (tx, mut rx) = mpsc::channel::<Input>(64);
    let size: Size = Arc::default();
    let resized = size.clone();
    // Reading runs on its own so pings are answered while the program waits for a line.
    let reader = tokio::spawn(async move {
        while let Some(Ok(msg)) = stream.next().await {
            let data: Vec<u8> = match msg {
                Message::Binary(b) => b.to_vec(),
                Message::Close(_) => break,
                _ => continue,
            };
            let Some((&channel, rest)) = data.split_first() else {
                continue;
            };
            let input = match channel {
                STDIN if !rest.is_empty() => Input::Data(rest.to_vec()),
                CLOSE if v5 && rest.first() == Some(&STDIN) => Input::Eof,
                RESIZE => {
                    // `{"Width":120,"Height":40}`, as kubectl and kube send it.
                    if let Ok(v) = serde_json::from_slice::<Value>(rest) {
                        let dim = |k: &str| {
                            v.get(k)
                                .and_then(Value::as_u64)
                                .and_then(|n| u16::try_from(n).ok())
                        };
                        if let (Some(w), Some(h)) = (dim("Width"), dim("Height")) {
                            *flightdeck_core::sync::lock(&resized) = Some((w, h));
                        }
                    }
                    continue;
                }
                STDIN | CLOSE => continue,
                _ => continue,
            };
            if tx.send(input).await.is_err() {
                break;
            }
        }
        // The socket ended: for the program that is the end of its input.
        let _ = tx.send(Input::Eof).await;
    });
    let mut out = Out {
        sink,
        tty: req.tty,
        open: true,
    };
    let result = run(&host, &req, &size, &mut rx, &mut out).await;
    let status = match result {
        Ok(0) => json!({"metadata": {}, "status": "Success"}),
        Ok(code) => exit_status(&req.command, code),
        Err(message) => {
            let mut s = status_json(StatusCode::INTERNAL_SERVER_ERROR, "InternalError", message);
            s["details"] = json!({"causes": [{"message": s["message"].clone()}]});
            s
        }
    };
    out.send(STATUS, status.to_string().as_bytes()).await;
    if out.open {
        let _ = out
            .sink
            .send(Message::Close(Some(CloseFrame {
                code: close_code::NORMAL,
                reason: "".into(),
            })))
            .await;
    }
    reader.abort();
}

/// The Status the kubelet reports for a command that exited non-zero.
fn exit_status(command: &[String], code: i32) -> Value {
    json!({
        "metadata": {},
        "status": "Failure",
        "message": format!(
            "command terminated with non-zero exit code: error executing command [{}], exit code {code}",
            command.join(" ")
        ),
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": code.to_string()}]}
    })
}

/// Runs the command; `Err` is a command that could not start (as the runtime says it).
async fn run(
    host: &Host,
    req: &Request,
    size: &Size,
    input: &mut mpsc::Receiver<Input>,
    out: &mut Out,
) -> Result<i32, String> {
    let argv = &req.command;
    let program = argv[0].rsplit('/').next().unwrap_or("");
    let known = matches!(
        program,
        "sh" | "echo" | "ls" | "env" | "hostname" | "cat" | "pwd" | "true" | "false" | "stty"
    ) || (program == "bash" && host.has_bash);
    if !known {
        return Err(format!(
            "error executing command in container: failed to exec in container: OCI runtime exec failed: exec failed: unable to start container process: exec: \"{}\": executable file not found in $PATH: unknown",
            argv[0]
        ));
    }
    let mut shell = Shell {
        host,
        status: 0,
        size: size.clone(),
        tty: req.tty,
    };
    if program == "sh" || program == "bash" {
        if argv.get(1).map(String::as_str) == Some("-c") {
            let script = argv.get(2).cloned().unwrap_or_default();
            for line in script.split(['\n', ';']) {
                if let Some(code) = shell.line(line, input, out).await {
                    return Ok(code);
                }
            }
            return Ok(shell.status);
        }
        let prompt = if program == "bash" {
            format!("root@{}:/# ", host.hostname)
        } else {
            "/ # ".to_string()
        };
        return Ok(shell.interactive(&prompt, req, input, out).await);
    }
    let words: Vec<&str> = argv.iter().map(String::as_str).collect();
    Ok(shell.builtin(&words, input, out).await)
}

struct Shell<'a> {
    host: &'a Host,
    /// `$?`.
    status: i32,
    size: Size,
    tty: bool,
}

impl Shell<'_> {
    /// Reads lines and runs them until `exit` or the end of input; a terminal gets a prompt
    /// and its keys echoed, as a line discipline would.
    async fn interactive(
        &mut self,
        prompt: &str,
        req: &Request,
        input: &mut mpsc::Receiver<Input>,
        out: &mut Out,
    ) -> i32 {
        let tty = req.tty;
        let mut pending: Vec<u8> = Vec::new();
        let mut line: Vec<u8> = Vec::new();
        if tty {
            out.send(STDOUT, prompt.as_bytes()).await;
        }
        loop {
            if pending.is_empty() {
                match input.recv().await {
                    Some(Input::Data(d)) => pending = d,
                    Some(Input::Eof) | None => {
                        if !line.is_empty() {
                            let text = String::from_utf8_lossy(&line).into_owned();
                            if let Some(code) = self.line(&text, input, out).await {
                                return code;
                            }
                        }
                        return self.status;
                    }
                }
            }
            let mut rest = std::mem::take(&mut pending).into_iter();
            while let Some(b) = rest.next() {
                match b {
                    b'\r' | b'\n' => {
                        if tty {
                            out.send(STDOUT, b"\r\n").await;
                        }
                        let text = String::from_utf8_lossy(&line).into_owned();
                        line.clear();
                        // What was typed ahead belongs to the next line.
                        let ahead: Vec<u8> = rest.collect();
                        if let Some(code) = self.line(&text, input, out).await {
                            return code;
                        }
                        if tty {
                            out.send(STDOUT, prompt.as_bytes()).await;
                        }
                        pending = ahead;
                        break;
                    }
                    // Backspace or DEL: rub out one character.
                    0x08 | 0x7f if tty => {
                        if line.pop().is_some() {
                            out.send(STDOUT, b"\x08 \x08").await;
                        }
                    }
                    // ctrl-c drops the line; ctrl-d on an empty line ends the shell.
                    0x03 if tty => {
                        line.clear();
                        out.send(STDOUT, b"^C\r\n").await;
                        out.send(STDOUT, prompt.as_bytes()).await;
                    }
                    0x04 if tty && line.is_empty() => {
                        out.send(STDOUT, b"exit\r\n").await;
                        return self.status;
                    }
                    _ => {
                        line.push(b);
                        if tty {
                            out.send(STDOUT, &[b]).await;
                        }
                    }
                }
            }
        }
    }

    /// Runs one line; `Some(code)` when it was `exit`.
    async fn line(
        &mut self,
        text: &str,
        input: &mut mpsc::Receiver<Input>,
        out: &mut Out,
    ) -> Option<i32> {
        let expanded = self.expand(text);
        let words: Vec<&str> = expanded.split_whitespace().collect();
        match words.as_slice() {
            [] => None,
            ["exit"] => Some(self.status),
            ["exit", n, ..] => Some(n.parse().unwrap_or(2)),
            _ => {
                self.status = self.builtin(&words, input, out).await;
                None
            }
        }
    }

    async fn builtin(
        &mut self,
        words: &[&str],
        input: &mut mpsc::Receiver<Input>,
        out: &mut Out,
    ) -> i32 {
        let name = words
            .first()
            .map_or("", |w| w.rsplit('/').next().unwrap_or(""));
        let args = words.get(1..).unwrap_or_default();
        match name {
            "echo" => {
                let (newline, args) = match args.first() {
                    Some(&"-n") => (false, &args[1..]),
                    _ => (true, args),
                };
                let text = args.join(" ");
                if newline {
                    out.line(&text).await;
                } else {
                    out.send(STDOUT, text.as_bytes()).await;
                }
                0
            }
            "hostname" => {
                out.line(&self.host.hostname).await;
                0
            }
            "pwd" => {
                out.line("/").await;
                0
            }
            "env" => {
                for (k, v) in &self.host.env {
                    out.line(&format!("{k}={v}")).await;
                }
                0
            }
            "ls" => {
                let listing = match args.first().copied() {
                    None | Some("/") => {
                        "app  bin  dev  etc  home  lib  proc  root  sys  tmp  usr  var"
                    }
                    Some("/app") | Some("app") => "config.yaml  server",
                    Some(other) => {
                        out.err(&format!(
                            "ls: cannot access '{other}': No such file or directory"
                        ))
                        .await;
                        return 2;
                    }
                };
                out.line(listing).await;
                0
            }
            "cat" if args.is_empty() => {
                // Copies stdin to stdout until it ends, as `cat` does in a pipe.
                while let Some(Input::Data(d)) = input.recv().await {
                    out.send(STDOUT, &d).await;
                }
                0
            }
            "cat" => {
                out.err(&format!("cat: {}: No such file or directory", args[0]))
                    .await;
                1
            }
            "stty" if args == ["size"] => {
                let size = *flightdeck_core::sync::lock(&self.size);
                match size {
                    Some((cols, rows)) if self.tty => {
                        out.line(&format!("{rows} {cols}")).await;
                        0
                    }
                    _ => {
                        out.err("stty: 'standard input': Inappropriate ioctl for device")
                            .await;
                        1
                    }
                }
            }
            "true" => 0,
            "false" => 1,
            "sh" | "bash" if name == "sh" || self.host.has_bash => {
                out.err(&format!("{name}: nested shells are not simulated"))
                    .await;
                1
            }
            _ => {
                out.err(&format!("sh: {name}: not found")).await;
                127
            }
        }
    }

    /// `$?`, `$NAME`, `${NAME}` and `$((a op b))` with integers, as much of a shell's
    /// expansion as a person typing a quick check needs.
    fn expand(&self, text: &str) -> String {
        let vars: HashMap<&str, &str> = self
            .host
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let mut outs = String::new();
        let mut rest = text;
        while let Some(at) = rest.find('$') {
            outs.push_str(&rest[..at]);
            let after = &rest[at + 1..];
            if let Some(expr) = after.strip_prefix("((")
                && let Some(end) = expr.find("))")
            {
                match arithmetic(&expr[..end]) {
                    Some(v) => outs.push_str(&v.to_string()),
                    None => outs.push('0'),
                }
                rest = &expr[end + 2..];
                continue;
            }
            if let Some(r) = after.strip_prefix('?') {
                outs.push_str(&self.status.to_string());
                rest = r;
                continue;
            }
            let (name, r) = if let Some(braced) = after.strip_prefix('{') {
                match braced.find('}') {
                    Some(end) => (&braced[..end], &braced[end + 1..]),
                    None => ("", after),
                }
            } else {
                let end = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(after.len());
                (&after[..end], &after[end..])
            };
            if name.is_empty() {
                outs.push('$');
            } else {
                outs.push_str(vars.get(name).copied().unwrap_or(""));
            }
            rest = r;
        }
        outs.push_str(rest);
        // Quotes only group words here; drop them as the shell does.
        outs.replace(['"', '\''], "")
    }
}

/// Integer arithmetic with + - * / % and left-to-right precedence of * / % over + -.
fn arithmetic(expr: &str) -> Option<i64> {
    let mut terms: Vec<(char, i64)> = Vec::new();
    let mut op = '+';
    let mut current: Option<i64> = None;
    let mut pending_mul: Option<char> = None;
    let mut number = String::new();
    let flush = |number: &mut String| -> Option<i64> {
        let n = number.trim().parse().ok();
        number.clear();
        n
    };
    for c in expr.chars().chain(std::iter::once('+')) {
        match c {
            '0'..='9' => number.push(c),
            ' ' => {}
            '+' | '-' | '*' | '/' | '%' => {
                let n = flush(&mut number)?;
                let value = match (current, pending_mul) {
                    (Some(a), Some('*')) => a.checked_mul(n)?,
                    (Some(a), Some('/')) => a.checked_div(n)?,
                    (Some(a), Some('%')) => a.checked_rem(n)?,
                    _ => n,
                };
                if c == '*' || c == '/' || c == '%' {
                    current = Some(value);
                    pending_mul = Some(c);
                } else {
                    terms.push((op, value));
                    op = c;
                    current = None;
                    pending_mul = None;
                }
            }
            _ => return None,
        }
    }
    terms.into_iter().try_fold(0i64, |acc, (op, v)| match op {
        '-' => acc.checked_sub(v),
        _ => acc.checked_add(v),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host() -> Host {
        Host {
            hostname: "ledger-abc".into(),
            has_bash: true,
            env: vec![("HOME".into(), "/root".into())],
        }
    }

    #[test]
    fn arithmetic_follows_precedence() {
        assert_eq!(arithmetic("6*7"), Some(42));
        assert_eq!(arithmetic("1 + 2 * 3 - 4"), Some(3));
        assert_eq!(arithmetic("7 % 4 + 10 / 3"), Some(6));
        assert_eq!(arithmetic("1/0"), None);
        assert_eq!(arithmetic("x"), None);
    }

    #[test]
    fn expansion_covers_variables_status_and_arithmetic() {
        let h = host();
        let shell = Shell {
            host: &h,
            status: 3,
            size: Size::default(),
            tty: false,
        };
        assert_eq!(
            shell.expand("echo flightdeck-$((6*7)) $HOME ${HOME}/x $? $NOPE \"q\""),
            "echo flightdeck-42 /root /root/x 3  q"
        );
    }

    #[test]
    fn repeated_command_parameters_keep_their_order() {
        let pairs = vec![
            ("command".to_string(), "echo".to_string()),
            ("container".to_string(), "ledger".to_string()),
            ("command".to_string(), "hi".to_string()),
            ("stdin".to_string(), "true".to_string()),
        ];
        let r = request_of(&pairs);
        assert_eq!(r.command, ["echo", "hi"]);
        assert_eq!(r.container.as_deref(), Some("ledger"));
        assert!(r.stdin && !r.tty);
    }
}
