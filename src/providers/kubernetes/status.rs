//! kube reads any JSON error body as a Kubernetes `Status`, so a 403 from a gateway or proxy in
//! front of the API server whose body was `{"message": …}` arrived with code 0 ("HTTP 0") and
//! counted as failing rather than forbidden; a plain-text or HTML body became the message whole.
//! This service, under kube's client, gives every error answer that is not a `Status` one with
//! its real HTTP code and a message that quotes nothing of the body.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use kube::client::{Body, DynBody};
use tower::{BoxError, Service};

/// The largest error body read to tell whether it is a `Status`; kube reads it whole too.
const MAX_ERROR_BODY: usize = 1 << 20;

#[derive(Clone)]
pub struct RealCodes<S>(pub S);

impl<S> Service<Request<Body>> for RealCodes<S>
where
    S: Service<Request<Body>, Response = Response<Box<DynBody>>, Error = BoxError>,
    S::Future: Send + 'static,
{
    type Response = Response<Box<DynBody>>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        let answer = self.0.call(req);
        Box::pin(async move { real_code(answer.await?).await })
    }
}

/// An error answer whose body is not a `Status` gets one; any other answer is left alone.
async fn real_code(res: Response<Box<DynBody>>) -> Result<Response<Box<DynBody>>, BoxError> {
    let code = res.status();
    if !(code.is_client_error() || code.is_server_error()) {
        return Ok(res);
    }
    let (parts, body) = res.into_parts();
    // Boxed here, where its Send is proved for these types (the compiler could not for the
    // async block around it).
    type Collecting =
        Pin<Box<dyn Future<Output = Result<http_body_util::Collected<Bytes>, BoxError>> + Send>>;
    let collecting: Collecting =
        Box::pin(http_body_util::Limited::new(body, MAX_ERROR_BODY).collect());
    let bytes = match collecting.await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => return Err(BoxError::from(e.to_string())),
    };
    let bytes = if is_status(&bytes) {
        bytes
    } else {
        status_body(code)
    };
    let body = Full::new(bytes).map_err(|never| -> BoxError { match never {} });
    Ok(Response::from_parts(parts, Box::new(body) as Box<DynBody>))
}

/// A Kubernetes `Status`: its kind says so, or it carries a code.
fn is_status(bytes: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(bytes).is_ok_and(|v| {
        v.get("kind").and_then(serde_json::Value::as_str) == Some("Status")
            || v.get("code")
                .and_then(serde_json::Value::as_u64)
                .is_some_and(|c| c != 0)
    })
}

/// The `Status` an API server would have sent for `code`.
pub fn status_body(code: StatusCode) -> Bytes {
    let reason = match code {
        StatusCode::UNAUTHORIZED => "Unauthorized",
        StatusCode::FORBIDDEN => "Forbidden",
        StatusCode::NOT_FOUND => "NotFound",
        StatusCode::GONE => "Expired",
        StatusCode::TOO_MANY_REQUESTS => "TooManyRequests",
        _ => "",
    };
    let message = format!(
        "answered {} {} without a Kubernetes status",
        code.as_u16(),
        code.canonical_reason().unwrap_or_default()
    );
    let status = serde_json::json!({
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "code": code.as_u16(),
        "reason": reason,
        "message": message,
    });
    Bytes::from(status.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_real_status_is_kept() {
        assert!(is_status(br#"{"kind":"Status","code":403,"message":"no"}"#));
        assert!(is_status(br#"{"code":410,"message":"gone"}"#));
        assert!(!is_status(br#"{"message":"sim: injected fault"}"#));
        assert!(!is_status(b"<html>403 Forbidden</html>"));
        let made: kube::core::Status =
            serde_json::from_slice(&status_body(StatusCode::FORBIDDEN)).expect("a Status");
        assert_eq!(made.code, 403);
        assert!(made.is_forbidden());
    }
}
