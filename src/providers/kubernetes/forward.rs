//! Port-forwards for the Workloads screen's shift-F: a local listener (loopback unless the
//! config says otherwise) whose every accepted connection gets its own stream to the pod's port
//! through the portforward API, as kubectl opens one per connection. Its state goes back to the
//! screen's panel; stopping it (or quitting) closes the listener and every connection.

use std::net::IpAddr;

use k8s_openapi::api::core::v1::Pod;
use kube::Client;
use kube::api::Api;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::watch::describe_error;
use flightdeck_core::message::Msg;
use flightdeck_core::message::workloads::Msg as WMsg;
use flightdeck_core::model::workloads::{ForwardState, ObjRef};
use flightdeck_core::sanitize;

/// What one forward is asked to do.
pub struct Spec {
    pub id: u64,
    pub pod: ObjRef,
    pub local: u16,
    pub remote: u16,
    pub address: IpAddr,
}

/// Listens and forwards until the task is aborted; aborting it drops the connections too.
pub fn spawn(client: Client, spec: Spec, tx: mpsc::Sender<Msg>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(run(client, spec, tx))
}

async fn run(client: Client, spec: Spec, tx: mpsc::Sender<Msg>) {
    let report = |bound: Option<String>,
                  state: ForwardState,
                  open: u32,
                  total: u64,
                  last_error: Option<String>| {
        let tx = tx.clone();
        let id = spec.id;
        async move {
            let _ = tx
                .send(Msg::Workloads(WMsg::Forward {
                    id,
                    bound,
                    state,
                    open,
                    total,
                    last_error,
                }))
                .await;
        }
    };
    let listener = match TcpListener::bind((spec.address, spec.local)).await {
        Ok(l) => l,
        Err(e) => {
            let error = format!("cannot listen on {}:{}: {e}", spec.address, spec.local);
            report(None, ForwardState::Failed(error), 0, 0, None).await;
            return;
        }
    };
    let bound = listener.local_addr().ok().map(|a| a.to_string());
    report(bound.clone(), ForwardState::Listening, 0, 0, None).await;
    let api: Api<Pod> = Api::namespaced(client, &spec.pod.namespace);
    let mut connections: JoinSet<Result<(), String>> = JoinSet::new();
    let (mut open, mut total) = (0u32, 0u64);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((socket, _)) => {
                    open += 1;
                    total += 1;
                    let api = api.clone();
                    let (name, port) = (spec.pod.name.to_string(), spec.remote);
                    connections.spawn(async move { forward(api, &name, port, socket).await });
                    report(bound.clone(), ForwardState::Listening, open, total, None).await;
                }
                Err(e) => {
                    let error = format!("accepting on {}: {e}", bound.as_deref().unwrap_or("?"));
                    report(bound.clone(), ForwardState::Failed(error), open, total, None).await;
                    return;
                }
            },
            Some(done) = connections.join_next() => {
                open = open.saturating_sub(1);
                let last_error = match done {
                    Ok(Ok(())) => None,
                    Ok(Err(e)) => Some(e),
                    Err(e) => Some(format!("connection task: {e}")),
                };
                report(bound.clone(), ForwardState::Listening, open, total, last_error).await;
            }
        }
    }
}

/// Carries one local connection to the pod's port and back until either side closes.
async fn forward(
    api: Api<Pod>,
    name: &str,
    port: u16,
    mut socket: TcpStream,
) -> Result<(), String> {
    let mut pf = api
        .portforward(name, &[port])
        .await
        .map_err(|e| describe_error(&e))?;
    let mut upstream = pf
        .take_stream(port)
        .ok_or("the portforward API gave no stream")?;
    let error = pf.take_error(port);
    let copied = tokio::io::copy_bidirectional(&mut socket, &mut upstream).await;
    drop(upstream);
    // The pod's side says on the error channel why it closed (a port nothing listens on).
    let said = match error {
        Some(e) => tokio::time::timeout(std::time::Duration::from_millis(200), e)
            .await
            .ok()
            .flatten(),
        None => None,
    };
    pf.abort();
    if let Some(message) = said {
        return Err(sanitize::excerpt(&message, 160));
    }
    match copied {
        // The client spoke and the pod's side closed with nothing back and no word. The pod's
        // side closes right after writing a refusal on the error channel, and when the client's
        // first bytes race that close the client library loses the message: say what is known.
        Ok((sent, 0)) if sent > 0 => Err(format!(
            "{name}:{port} closed the connection without answering"
        )),
        Ok(_) => Ok(()),
        Err(e) => Err(format!("connection to {name}:{port}: {}", e.kind())),
    }
}
