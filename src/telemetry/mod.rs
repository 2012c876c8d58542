//! Traces: each message's W3C trace context joined by every span that works on it, and the
//! OTLP/HTTP exporter that sends spans to a collector when `[telemetry] otlp_endpoint` is set.
//! Depends on `config` and `util` only; the core and the edges call it as they call `metrics`.
//!
//! Where the context lives: in the message's row (`messages.traceparent`), made at receive
//! (continuing the sender's `traceparent` when its request carried a valid one) and read
//! with every claimed job, so a stage run by any instance of a fleet, after any restart,
//! joins the same trace. Without an exporter nothing here costs more than a field on a span:
//! the trace id still reaches the log lines (`trace_id`) and outbound requests (`traceparent`).
//! With one, the `tracing` spans become OpenTelemetry spans (`tracing-opentelemetry`) and
//! leave through a batch processor whose queue is bounded: a span that finds it full is
//! dropped, so a slow or absent collector never holds up a message.

mod http;

use std::future::Future;
use std::sync::OnceLock;

use opentelemetry::trace::{
    SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState, TracerProvider,
};
use opentelemetry_otlp::{WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::trace::{
    BatchConfigBuilder, BatchSpanProcessor, Sampler, SdkTracerProvider,
};
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::config::OtlpSettings;
pub use crate::util::traceparent::TraceParent;

/// The exporter's provider, kept for the flush at shutdown.
static PROVIDER: OnceLock<SdkTracerProvider> = OnceLock::new();

tokio::task_local! {
    /// The context of the message a task works on, for outbound requests when no exporter
    /// makes spans of our own (see [`outbound`]).
    static CURRENT: TraceParent;
}

/// Why the exporter could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    #[error("the OTLP exporter for {url} could not be built: {source}")]
    Exporter {
        url: String,
        #[source]
        source: opentelemetry_otlp::ExporterBuildError,
    },
    #[error("the HTTP client for the OTLP exporter could not be built: {0}")]
    Client(#[source] reqwest::Error),
}

/// Builds the exporter and its tracer, to be put under the `tracing` subscriber as a
/// `tracing_opentelemetry` layer. Requests are made on `runtime` (the batch processor runs
/// on a thread of its own). Call once; [`shutdown`] flushes what is queued.
pub fn tracer(
    otlp: &OtlpSettings,
    runtime: tokio::runtime::Handle,
) -> Result<opentelemetry_sdk::trace::Tracer, TelemetryError> {
    let timeout = std::time::Duration::from_secs(10);
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_http_client(http::OnRuntime::new(runtime, timeout)?)
        .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
        .with_endpoint(otlp.traces_url.clone())
        .with_timeout(timeout)
        .build()
        .map_err(|source| TelemetryError::Exporter {
            url: otlp.traces_url.clone(),
            source,
        })?;
    let batch = BatchConfigBuilder::default()
        .with_max_queue_size(otlp.queue_size)
        .with_max_export_batch_size(otlp.queue_size.min(512))
        .with_scheduled_delay(otlp.batch_delay)
        .build();
    let provider = SdkTracerProvider::builder()
        .with_span_processor(
            BatchSpanProcessor::builder(exporter)
                .with_batch_config(batch)
                .build(),
        )
        // A continued trace keeps its sender's decision; a new one is kept at the ratio.
        .with_sampler(Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(
            otlp.sample_ratio,
        ))))
        .with_resource(
            opentelemetry_sdk::Resource::builder()
                .with_service_name(otlp.service_name.clone())
                .build(),
        )
        .build();
    let tracer = provider.tracer("wharf");
    let _ = PROVIDER.set(provider);
    Ok(tracer)
}

/// Sends what is queued and stops the exporter (SIGTERM's drain, after the workers stopped).
/// The export runs on this runtime, so it is waited for on a blocking thread.
pub async fn shutdown() {
    let Some(provider) = PROVIDER.get() else {
        return;
    };
    let provider = provider.clone();
    match tokio::task::spawn_blocking(move || provider.shutdown()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "spans not exported at shutdown"),
        Err(e) => tracing::warn!(error = %e, "the span exporter's shutdown did not finish"),
    }
}

/// The context a span continues: a remote parent made from `trace`.
fn remote(trace: &TraceParent) -> opentelemetry::Context {
    let flags = if trace.sampled() {
        TraceFlags::SAMPLED
    } else {
        TraceFlags::default()
    };
    opentelemetry::Context::new().with_remote_span_context(SpanContext::new(
        TraceId::from_bytes(trace.trace_id()),
        SpanId::from_bytes(trace.parent_id()),
        flags,
        true,
        TraceState::default(),
    ))
}

/// The exporter's own context of `span` (`None` without an exporter, or for a span the
/// filter left out).
fn own(span: &tracing::Span) -> Option<TraceParent> {
    let cx = span.context();
    let sc = cx.span().span_context().clone();
    sc.is_valid()
        .then(|| {
            TraceParent::from_parts(
                sc.trace_id().to_bytes(),
                sc.span_id().to_bytes(),
                sc.is_sampled(),
            )
        })
        .flatten()
}

/// Makes `span` (just created, with an empty `trace_id` field) a child of `trace`, and records
/// the trace id on it for the log lines.
pub fn join(span: &tracing::Span, trace: &TraceParent) {
    // Without an exporter there is no layer to take the parent: nothing to do but the field.
    let _ = span.set_parent(remote(trace));
    span.record("trace_id", trace.trace_id_hex());
}

/// The context a newly received message is stored with, `span` being its receive span (just
/// created, with an empty `trace_id` field): the sender's trace continued when it sent one,
/// else a new one. With an exporter the stored context points at the receive span itself,
/// so the stages hang under it; without one it is the sender's, or made here.
pub fn begin(span: &tracing::Span, sent: Option<TraceParent>) -> TraceParent {
    if let Some(t) = &sent {
        let _ = span.set_parent(remote(t));
    }
    let trace = own(span).or(sent).unwrap_or_else(TraceParent::fresh);
    span.record("trace_id", trace.trace_id_hex());
    trace
}

/// Runs `work` with `trace` as the task's message context (for [`outbound`]).
pub async fn scope<F: Future>(trace: TraceParent, work: F) -> F::Output {
    CURRENT.scope(trace, work).await
}

/// The `traceparent` for a request made now on behalf of a message: the current span's when
/// an exporter makes spans (the receiver's span becomes its child), else the message's stored
/// context; `None` outside any message's work.
pub fn outbound() -> Option<TraceParent> {
    let current = CURRENT.try_with(|t| *t).ok();
    match own(&tracing::Span::current()) {
        Some(mine) if current.is_none_or(|c| c.trace_id() == mine.trace_id()) => Some(mine),
        _ => current,
    }
}

/// The trace a request's sender asks to continue: its one `traceparent` header when valid.
/// Two of them, or one that does not parse, are ignored (a fresh trace is made instead), as
/// the specification asks; nothing a sender writes there can fail a request.
pub fn sent(headers: &::http::HeaderMap) -> Option<TraceParent> {
    let mut values = headers.get_all("traceparent").iter();
    let first = values.next()?;
    if values.next().is_some() {
        return None;
    }
    TraceParent::parse(first.to_str().ok()?)
}

/// `request` with a `traceparent` header when there is a trace to continue.
pub fn traced(
    request: reqwest::RequestBuilder,
    trace: Option<TraceParent>,
) -> reqwest::RequestBuilder {
    match trace {
        Some(t) => request.header("traceparent", t.to_string()),
        None => request,
    }
}
