//! The OTLP exporter's HTTP client: Wharf's own reqwest (so no second HTTP stack is built),
//! run on Wharf's tokio runtime.
//!
//! The SDK's batch processor exports from a thread of its own, outside any runtime, where a
//! reqwest future cannot run; each request is therefore spawned onto the runtime and only
//! its `JoinHandle` is awaited there, which works from any executor.

use bytes::Bytes;
use http::{Request, Response};
use opentelemetry_http::{HttpClient, HttpError};

use super::TelemetryError;

/// A collector's answer is a small protobuf message; anything larger is not read.
const MAX_ANSWER: usize = 64 * 1024;

#[derive(Debug)]
pub(super) struct OnRuntime {
    client: reqwest::Client,
    runtime: tokio::runtime::Handle,
}

impl OnRuntime {
    pub(super) fn new(
        runtime: tokio::runtime::Handle,
        timeout: std::time::Duration,
    ) -> Result<Self, TelemetryError> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .map_err(TelemetryError::Client)?;
        Ok(Self { client, runtime })
    }
}

#[async_trait::async_trait]
impl HttpClient for OnRuntime {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let client = self.client.clone();
        let (parts, body) = request.into_parts();
        let task = self.runtime.spawn(async move {
            let mut req = client
                .request(parts.method, parts.uri.to_string())
                .body(body);
            for (name, value) in &parts.headers {
                req = req.header(name, value);
            }
            let mut answer = req.send().await?;
            let mut out = Response::builder().status(answer.status());
            for (name, value) in answer.headers() {
                out = out.header(name, value);
            }
            let mut body = Vec::new();
            while let Some(chunk) = answer.chunk().await? {
                let room = MAX_ANSWER.saturating_sub(body.len());
                body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                if room <= chunk.len() {
                    break;
                }
            }
            Ok::<_, HttpError>(out.body(Bytes::from(body))?)
        });
        task.await.map_err(|e| Box::new(e) as HttpError)?
    }
}
