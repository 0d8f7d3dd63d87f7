//! `pods/portforward` over a websocket in the channel protocol kube's client speaks (each port a
//! data and an error channel, each opened by a frame naming its port), to a small HTTP server
//! every running sim pod has on its declared port: `GET /` names the pod, `/healthz` says ok.

use std::sync::Arc;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use futures::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

use super::model::{Kind, Obj};
use super::{Server, allowed, bad_request, forbidden, labelled, not_found};

/// The sub-protocols served for port-forwarding, best first (the API server's websocket
/// port-forward speaks v4 framing; the bare name is its older alias).
const PROTOCOLS: [&str; 2] = ["v4.channel.k8s.io", "portforward.k8s.io"];

/// What a forward reaches: the pod's HTTP server, on its one declared port.
#[derive(Debug, Clone)]
struct Target {
    pod: String,
    namespace: String,
    port: u16,
}

/// The ports asked for: `ports=80,8080` and repeated `ports=` alike.
fn ports_of(pairs: &[(String, String)]) -> Result<Vec<u16>, String> {
    let mut ports = Vec::new();
    for (_, v) in pairs.iter().filter(|(k, _)| k == "ports") {
        for p in v.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match p.parse::<u16>() {
                Ok(n) if n > 0 => ports.push(n),
                _ => return Err(format!("invalid port {p:?}")),
            }
        }
    }
    if ports.is_empty() {
        return Err("query parameter \"port\" is required".into());
    }
    Ok(ports)
}

pub(super) async fn portforward(
    State(s): State<Arc<Server>>,
    Path((ns, name)): Path<(String, String)>,
    Query(pairs): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let label = "portforward";
    if !allowed("create", &ns) {
        return labelled(
            forbidden("create", Kind::Pod, Some("portforward"), &ns),
            label,
        );
    }
    let ports = match ports_of(&pairs) {
        Ok(p) => p,
        Err(e) => return labelled(bad_request(e), label),
    };
    let snap = s.snapshot();
    let Some(Obj::Pod(pod)) = snap.get(Kind::Pod, &ns, &name).map(|e| &*e.obj) else {
        return labelled(not_found(Kind::Pod, &name), label);
    };
    if pod.timeline.current.is_none_or(|i| i.end.is_some()) {
        return labelled(
            bad_request(format!(
                "pod {name} is not running: unable to upgrade connection"
            )),
            label,
        );
    }
    let (upgrade, _) = match super::upgrade_with(&headers, upgrade, &PROTOCOLS, label) {
        Ok(u) => u,
        Err(answer) => return *answer,
    };
    let target = Target {
        pod: pod.name.clone(),
        namespace: ns.clone(),
        port: pod.workload.port,
    };
    labelled(
        upgrade.on_upgrade(move |socket| session(socket, target, ports)),
        label,
    )
}

async fn session(socket: WebSocket, target: Target, ports: Vec<u16>) {
    let (mut sink, mut stream) = socket.split();
    // Every channel opens with a frame naming its port, data then error, as kubelet sends.
    for (i, port) in ports.iter().enumerate() {
        for channel in [2 * i, 2 * i + 1] {
            let Ok(channel) = u8::try_from(channel) else {
                return;
            };
            let [lo, hi] = port.to_le_bytes();
            if sink
                .send(Message::Binary(vec![channel, lo, hi].into()))
                .await
                .is_err()
            {
                return;
            }
        }
    }
    let (out_tx, mut out_rx) = mpsc::channel::<(u8, Vec<u8>)>(64);
    // One in-memory connection per port to the pod's server; `None` for a port nothing serves.
    let mut to_pod: Vec<Option<tokio::io::WriteHalf<tokio::io::DuplexStream>>> = Vec::new();
    let mut servers = Vec::new();
    for (i, port) in ports.iter().enumerate() {
        let (Ok(data), Ok(error)) = (u8::try_from(2 * i), u8::try_from(2 * i + 1)) else {
            return;
        };
        if *port != target.port {
            let message = format!(
                "error forwarding port {port} to pod {}, uid : failed to connect to localhost:{port} inside namespace \"{}\": connection refused",
                target.pod, target.namespace
            );
            let _ = out_tx.send((error, message.into_bytes())).await;
            to_pod.push(None);
            continue;
        }
        let (client_end, pod_end) = tokio::io::duplex(64 * 1024);
        let (mut from_pod, writer) = tokio::io::split(client_end);
        to_pod.push(Some(writer));
        let t = target.clone();
        servers.push(tokio::spawn(serve_http(pod_end, t)));
        let tx = out_tx.clone();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 16 * 1024];
            loop {
                match from_pod.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if tx.send((data, buf[..n].to_vec())).await.is_err() {
                            break;
                        }
                    }
                }
            }
        });
    }
    drop(out_tx);
    let all_refused = to_pod.iter().all(Option::is_none);
    let writer = tokio::spawn(async move {
        while let Some((channel, data)) = out_rx.recv().await {
            let mut frame = Vec::with_capacity(data.len() + 1);
            frame.push(channel);
            frame.extend_from_slice(&data);
            if sink.send(Message::Binary(frame.into())).await.is_err() {
                return;
            }
        }
        // Every port's server is done (or none could be reached): the session ends.
        let _ = sink.send(Message::Close(None)).await;
    });
    if all_refused {
        let _ = writer.await;
        return;
    }
    while let Some(Ok(msg)) = stream.next().await {
        let data = match msg {
            Message::Binary(b) => b,
            Message::Close(_) => break,
            _ => continue,
        };
        let Some((&channel, rest)) = data.split_first() else {
            continue;
        };
        // Only even channels carry data to the pod; a port's error channel is the pod's.
        let index = usize::from(channel / 2);
        if channel % 2 != 0 {
            continue;
        }
        if let Some(Some(w)) = to_pod.get_mut(index)
            && w.write_all(rest).await.is_err()
        {
            to_pod[index] = None;
        }
    }
    // The client is gone: the pod's servers see the end of their input and finish.
    to_pod.clear();
    for s in servers {
        let _ = s.await;
    }
    let _ = writer.await;
}

/// The pod's HTTP/1.1 server on one connection: `GET /` names the pod, `/healthz` answers
/// ok, anything else is 404; keep-alive until the client closes or asks to.
async fn serve_http(mut io: impl AsyncRead + AsyncWrite + Unpin, target: Target) {
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let head_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            if buf.len() > 16 * 1024 {
                return;
            }
            match io.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        buf.drain(..head_end);
        let mut lines = head.lines();
        let mut words = lines.next().unwrap_or("").split_whitespace();
        let (method, path) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
        let mut length = 0usize;
        let mut close = false;
        for line in lines {
            if let Some((k, v)) = line.split_once(':') {
                let v = v.trim();
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.parse().unwrap_or(0);
                } else if k.eq_ignore_ascii_case("connection") && v.eq_ignore_ascii_case("close") {
                    close = true;
                }
            }
        }
        // A body is read and dropped: the server answers by path alone.
        while buf.len() < length {
            match io.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        buf.drain(..length);
        let path = path.split('?').next().unwrap_or("");
        let (status, body) = match path {
            "/" => (
                "200 OK",
                format!(
                    "hello from {} in {} on port {}\n",
                    target.pod, target.namespace, target.port
                ),
            ),
            "/healthz" => ("200 OK", "ok\n".to_string()),
            _ => ("404 Not Found", "404 page not found\n".to_string()),
        };
        let mut response = format!(
            "HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nX-Pod: {}\r\n{}\r\n",
            body.len(),
            target.pod,
            if close { "Connection: close\r\n" } else { "" }
        );
        if method != "HEAD" {
            response.push_str(&body);
        }
        if io.write_all(response.as_bytes()).await.is_err() || close {
            let _ = io.shutdown().await;
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_come_comma_separated_or_repeated() {
        let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
            v.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert_eq!(
            ports_of(&pairs(&[("ports", "80,8080"), ("ports", "9090")])),
            Ok(vec![80, 8080, 9090])
        );
        assert!(ports_of(&pairs(&[("ports", "0")])).is_err());
        assert!(ports_of(&pairs(&[("ports", "http")])).is_err());
        assert!(ports_of(&pairs(&[])).is_err());
    }

    #[tokio::test]
    async fn the_pod_server_answers_keep_alive_requests_by_path() {
        let (mut client, server) = tokio::io::duplex(4096);
        let target = Target {
            pod: "ledger-abc".into(),
            namespace: "payments".into(),
            port: 8080,
        };
        let task = tokio::spawn(serve_http(server, target));
        client
            .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n")
            .await
            .expect("written");
        let mut out = String::new();
        client.read_to_string(&mut out).await.expect("read");
        task.await.expect("the server ends");
        assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
        assert!(out.contains("hello from ledger-abc in payments on port 8080\n"));
        assert!(out.ends_with("Connection: close\r\n\r\nok\n"), "{out}");
    }
}
