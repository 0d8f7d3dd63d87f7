//! The fault matrix of the hardening issue, against servers of our own and the sim's fault
//! injection: what the user is told for each way a connection fails (F1), through the real
//! GitHub (octocrab) and Alertmanager (reqwest) clients.

use std::time::Duration;

use flightdeck::providers::github::GithubApi;
use flightdeck::providers::http::Failure;

/// A port nothing listens on: bound, then closed.
async fn closed_port() -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a local port");
    let addr = l.local_addr().expect("an address");
    drop(l);
    format!("http://{addr}")
}

/// A server that accepts, reads the request, and closes with a reset (SO_LINGER 0).
async fn resetting_server() -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a local port");
    let addr = l.local_addr().expect("an address");
    tokio::spawn(async move {
        while let Ok((socket, _)) = l.accept().await {
            let _ = socket.set_zero_linger();
            let mut buf = [0u8; 1024];
            let _ = socket.readable().await;
            let _ = socket.try_read(&mut buf);
            drop(socket);
        }
    });
    format!("http://{addr}")
}

fn github(url: &str) -> GithubApi {
    GithubApi::new(url, None, 4, Duration::from_secs(20)).expect("a client")
}

/// F1: a refused connection read "no answer within 20s" (the error's Debug text, searched for
/// "timeout", held the client's timeout settings), and formatting it loaded debug info.
#[tokio::test]
async fn github_says_refused_when_refused() {
    let url = closed_port().await;
    let err = github(&url).get("/user", None).await.expect_err("refused");
    let said = err.describe("github");
    assert!(matches!(err, Failure::Connect(_)), "{err:?}");
    assert!(said.contains("connection refused"), "{said}");
}

#[tokio::test]
async fn github_says_reset_when_reset() {
    let url = resetting_server().await;
    let err = github(&url).get("/user", None).await.expect_err("reset");
    let said = err.describe("github");
    assert!(
        said.contains("reset") || said.contains("closed"),
        "says the connection broke: {said}"
    );
    assert!(!said.contains("no answer within"), "{said}");
}

#[tokio::test]
async fn a_host_that_does_not_resolve_says_dns() {
    let err = github("http://no-such-host.invalid")
        .get("/user", None)
        .await
        .expect_err("no such host");
    let said = err.describe("github");
    assert!(said.contains("DNS"), "{said}");
}

#[tokio::test]
async fn alertmanager_says_refused_when_refused() {
    use flightdeck::providers::alertmanager::{AmClient, Auth};
    let url = closed_port().await;
    let client = AmClient::new("am", &url, Auth::None, Duration::from_secs(5)).expect("a client");
    let err = client.status().await.expect_err("refused");
    assert!(err.contains("connection refused"), "{err}");
}
