//! What the ticket sources (Jira, PagerDuty, GitHub Issues) share when the user acts on a
//! ticket: opening one reads its detail, and a confirmed change is refused under `--read-only`
//! (a second lock behind `update::confirm`), carried out, told as done or failed, and what it
//! changed read back, the same way for every source.

use std::future::Future;

use tokio::sync::mpsc;

use flightdeck_core::message::Msg;
use flightdeck_core::message::work::Msg as WorkMsg;
use flightdeck_core::model::work::TicketSource;

/// What a refused change says.
pub const READ_ONLY: &str = "refused, flightdeck runs read-only";

async fn send(tx: &mpsc::Sender<Msg>, msg: WorkMsg) {
    // A closed channel means the cockpit is going away: nobody is left to tell.
    let _ = tx.send(Msg::Work(msg)).await;
}

/// A command arrived before the source had its client (it is still connecting, or cannot).
pub async fn not_connected(tx: &mpsc::Sender<Msg>, source: &str) {
    send(
        tx,
        WorkMsg::Failed {
            what: source.to_string(),
            error: "not connected yet".into(),
        },
    )
    .await;
}

/// Opens ticket `id` of `source`: its detail, or why it could not be read, which the detail
/// shows in place of its body.
pub async fn open(
    tx: &mpsc::Sender<Msg>,
    source: TicketSource,
    id: &str,
    detail: impl Future<Output = Result<WorkMsg, String>>,
) {
    let msg = detail.await.unwrap_or_else(|error| WorkMsg::DetailFailed {
        source,
        id: id.to_string(),
        error,
    });
    send(tx, msg).await;
}

/// Carries out one confirmed change called `what`: `act` makes it; once it worked, `then`
/// reads back what it changed (the ticket's detail, shown before the notice) or asks for a
/// poll and gives nothing.
pub async fn change(
    tx: &mpsc::Sender<Msg>,
    read_only: bool,
    what: String,
    act: impl Future<Output = Result<(), String>>,
    then: impl Future<Output = Option<WorkMsg>>,
) {
    let msg = if read_only {
        WorkMsg::Failed {
            what,
            error: READ_ONLY.into(),
        }
    } else {
        match act.await {
            Ok(()) => {
                if let Some(shown) = then.await {
                    send(tx, shown).await;
                }
                WorkMsg::Done { what }
            }
            Err(error) => WorkMsg::Failed { what, error },
        }
    };
    send(tx, msg).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_change_is_refused_read_only_and_read_back_after_it_worked() {
        let (tx, mut rx) = mpsc::channel(8);
        let detail = || async {
            Some(WorkMsg::Done {
                what: "read back".into(),
            })
        };
        change(&tx, true, "comment".into(), async { Ok(()) }, detail()).await;
        assert_eq!(
            rx.recv().await,
            Some(Msg::Work(WorkMsg::Failed {
                what: "comment".into(),
                error: READ_ONLY.into()
            }))
        );
        change(&tx, false, "comment".into(), async { Ok(()) }, detail()).await;
        let got: Vec<_> = [rx.recv().await, rx.recv().await].into_iter().collect();
        assert_eq!(
            got,
            vec![
                Some(Msg::Work(WorkMsg::Done {
                    what: "read back".into()
                })),
                Some(Msg::Work(WorkMsg::Done {
                    what: "comment".into()
                })),
            ]
        );
        let failing = async { Err("HTTP 403".to_string()) };
        change(&tx, false, "comment".into(), failing, detail()).await;
        assert_eq!(
            rx.recv().await,
            Some(Msg::Work(WorkMsg::Failed {
                what: "comment".into(),
                error: "HTTP 403".into()
            }))
        );
        assert!(rx.try_recv().is_err(), "nothing read back after a failure");
    }
}
