//! A small OTLP/HTTP receiver, as an OpenTelemetry Collector would be: `POST /v1/traces`
//! bodies decoded with the official protobuf types (`opentelemetry-proto`), every accepted
//! TCP connection counted (so a test can say none was even tried).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use prost::Message;

/// One exported span, as the test reads it.
#[derive(Debug, Clone)]
pub struct Span {
    pub service: String,
    pub name: String,
    pub trace_id: String,
    pub span_id: String,
    pub parent_span_id: String,
    pub attributes: BTreeMap<String, String>,
}

impl Span {
    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).map(String::as_str)
    }
}

#[derive(Default)]
struct Seen {
    spans: Vec<Span>,
    connections: usize,
    refused_bodies: usize,
}

pub struct Receiver {
    pub addr: SocketAddr,
    seen: Arc<Mutex<Seen>>,
}

impl Receiver {
    /// Listens on `addr` (port 0 for any free one).
    pub async fn start(addr: &str) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let seen = Arc::new(Mutex::new(Seen::default()));
        let shared = seen.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                shared.lock().unwrap().connections += 1;
                let seen = shared.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let seen = seen.clone();
                        async move { Ok::<_, std::convert::Infallible>(take(req, &seen).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(Self { addr, seen })
    }

    pub fn spans(&self) -> Vec<Span> {
        self.seen.lock().unwrap().spans.clone()
    }

    pub fn connections(&self) -> usize {
        self.seen.lock().unwrap().connections
    }

    /// Bodies that were not an `ExportTraceServiceRequest` (must stay 0).
    pub fn refused(&self) -> usize {
        self.seen.lock().unwrap().refused_bodies
    }
}

async fn take(
    req: hyper::Request<hyper::body::Incoming>,
    seen: &Mutex<Seen>,
) -> hyper::Response<String> {
    let ok = req.uri().path() == "/v1/traces"
        && req
            .headers()
            .get("content-type")
            .is_some_and(|v| v == "application/x-protobuf");
    let body = axum::body::to_bytes(axum::body::Body::new(req.into_body()), 16 << 20).await;
    let decoded = body
        .ok()
        .filter(|_| ok)
        .and_then(|b| ExportTraceServiceRequest::decode(b).ok());
    let mut seen = seen.lock().unwrap();
    let Some(request) = decoded else {
        seen.refused_bodies += 1;
        return hyper::Response::builder()
            .status(400)
            .body(String::new())
            .unwrap();
    };
    for rs in request.resource_spans {
        let service = rs
            .resource
            .iter()
            .flat_map(|r| &r.attributes)
            .find(|a| a.key == "service.name")
            .and_then(|a| text(a.value.as_ref()?.value.as_ref()?))
            .unwrap_or_default();
        for ss in rs.scope_spans {
            for s in ss.spans {
                seen.spans.push(Span {
                    service: service.clone(),
                    name: s.name,
                    trace_id: hex::encode(&s.trace_id),
                    span_id: hex::encode(&s.span_id),
                    parent_span_id: hex::encode(&s.parent_span_id),
                    attributes: s
                        .attributes
                        .iter()
                        .filter_map(|a| {
                            Some((a.key.clone(), text(a.value.as_ref()?.value.as_ref()?)?))
                        })
                        .collect(),
                });
            }
        }
    }
    // An empty ExportTraceServiceResponse: zero bytes of protobuf.
    hyper::Response::builder()
        .status(200)
        .header("content-type", "application/x-protobuf")
        .body(String::new())
        .unwrap()
}

fn text(v: &Value) -> Option<String> {
    Some(match v {
        Value::StringValue(s) => s.clone(),
        Value::IntValue(i) => i.to_string(),
        Value::BoolValue(b) => b.to_string(),
        Value::DoubleValue(d) => d.to_string(),
        _ => return None,
    })
}
