//! `[telemetry]`: exporting traces over OTLP/HTTP (protobuf), off unless an endpoint is given
//! (`otlp_endpoint`, or the standard `OTEL_EXPORTER_OTLP_ENDPOINT`). Read from the file's
//! `[telemetry]` into [`TelemetrySettings`]. Trace context itself (a trace id per message,
//! `trace_id` in the logs, `traceparent` on outbound requests) needs no setting.

use std::time::Duration;

use serde::Deserialize;

use super::ConfigError;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTelemetry {
    /// The collector's base URL (`http://127.0.0.1:4318`); `/v1/traces` is added, as the
    /// OpenTelemetry specification says of `OTEL_EXPORTER_OTLP_ENDPOINT`. `"off"` keeps the
    /// exporter off even when that variable is set.
    pub(super) otlp_endpoint: Option<String>,
    /// `service.name` of the exported spans (default `wharf`).
    pub(super) service_name: Option<String>,
    /// The share of new traces kept, 0.0 to 1.0 (default 1.0); a continued trace follows the
    /// sampled flag its sender chose.
    pub(super) sample_ratio: Option<f64>,
    /// Spans waiting for export at most; beyond, new spans are dropped (never waited for).
    pub(super) queue_size: Option<usize>,
    /// How long finished spans wait to be sent together (default 5000 ms).
    pub(super) batch_delay_ms: Option<u64>,
}

/// Validated `[telemetry]`.
#[derive(Debug, Clone, Default)]
pub struct TelemetrySettings {
    /// `None`: nothing is exported and no connection is made.
    pub otlp: Option<OtlpSettings>,
}

#[derive(Debug, Clone)]
pub struct OtlpSettings {
    /// The full traces URL: the base endpoint with `/v1/traces`.
    pub traces_url: String,
    pub service_name: String,
    pub sample_ratio: f64,
    pub queue_size: usize,
    pub batch_delay: Duration,
}

pub(super) fn validate(
    raw: RawTelemetry,
    err: &dyn Fn(&str, String) -> ConfigError,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<TelemetrySettings, ConfigError> {
    // The standard variables, after the file (an operator's explicit setting wins):
    // OTEL_SDK_DISABLED=true turns export off whatever else is set.
    let disabled = env("OTEL_SDK_DISABLED").is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    let (endpoint, key) = match raw.otlp_endpoint {
        Some(e) => (Some(e), "telemetry.otlp_endpoint"),
        None => (
            env("OTEL_EXPORTER_OTLP_ENDPOINT").filter(|e| !e.trim().is_empty()),
            "OTEL_EXPORTER_OTLP_ENDPOINT",
        ),
    };
    let service_name = raw.service_name.unwrap_or_else(|| "wharf".to_owned());
    if service_name.is_empty()
        || service_name.len() > 100
        || service_name.chars().any(|c| c.is_control())
    {
        return Err(err(
            "telemetry.service_name",
            "must be 1-100 characters without control characters".into(),
        ));
    }
    let sample_ratio = raw.sample_ratio.unwrap_or(1.0);
    if !(0.0..=1.0).contains(&sample_ratio) {
        return Err(err(
            "telemetry.sample_ratio",
            format!("{sample_ratio} is outside 0.0..=1.0"),
        ));
    }
    let queue_size = raw.queue_size.unwrap_or(2048);
    if !(1..=1_000_000).contains(&queue_size) {
        return Err(err(
            "telemetry.queue_size",
            format!("{queue_size} is outside 1..=1000000"),
        ));
    }
    let batch_delay = match raw.batch_delay_ms.unwrap_or(5000) {
        0 => {
            return Err(err(
                "telemetry.batch_delay_ms",
                "must be more than 0".into(),
            ));
        }
        ms => Duration::from_millis(ms),
    };
    let Some(endpoint) = endpoint.filter(|e| e != "off" && !disabled) else {
        return Ok(TelemetrySettings { otlp: None });
    };
    Ok(TelemetrySettings {
        otlp: Some(OtlpSettings {
            traces_url: traces_url(&endpoint).map_err(|why| err(key, why))?,
            service_name,
            sample_ratio,
            queue_size,
            batch_delay,
        }),
    })
}

/// `http(s)://host[:port][/base]` with `/v1/traces` added (once).
fn traces_url(endpoint: &str) -> Result<String, String> {
    let e = endpoint.trim().trim_end_matches('/');
    let rest = e
        .strip_prefix("http://")
        .or_else(|| e.strip_prefix("https://"))
        .ok_or_else(|| format!("`{endpoint}` is not an http(s) URL"))?;
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() || rest.contains(['?', '#', ' ']) {
        return Err(format!(
            "`{endpoint}` needs a host and no query: e.g. http://127.0.0.1:4318"
        ));
    }
    let url = if e.ends_with("/v1/traces") {
        e.to_owned()
    } else {
        format!("{e}/v1/traces")
    };
    url.parse::<http::Uri>()
        .map_err(|why| format!("`{endpoint}` is not a URL: {why}"))?;
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(raw: RawTelemetry, vars: &[(&str, &str)]) -> Result<TelemetrySettings, ConfigError> {
        let env = |k: &str| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        };
        let err = |key: &str, why: String| ConfigError::new("test", key, why);
        validate(raw, &err, &env)
    }

    #[test]
    fn off_unless_an_endpoint_is_given() {
        assert!(check(RawTelemetry::default(), &[]).unwrap().otlp.is_none());
    }

    #[test]
    fn the_endpoint_is_a_base_url_from_the_file_or_the_standard_variable() {
        let from_file = RawTelemetry {
            otlp_endpoint: Some("http://127.0.0.1:4318/".into()),
            ..Default::default()
        };
        let o = check(
            from_file,
            &[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://other:1")],
        )
        .unwrap()
        .otlp
        .unwrap();
        assert_eq!(o.traces_url, "http://127.0.0.1:4318/v1/traces");
        assert_eq!(o.service_name, "wharf");
        let from_env = check(
            RawTelemetry::default(),
            &[("OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:4318/base")],
        )
        .unwrap()
        .otlp
        .unwrap();
        assert_eq!(from_env.traces_url, "https://collector:4318/base/v1/traces");
        let off = RawTelemetry {
            otlp_endpoint: Some("off".into()),
            ..Default::default()
        };
        assert!(
            check(off, &[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318")])
                .unwrap()
                .otlp
                .is_none()
        );
        assert!(
            check(
                RawTelemetry::default(),
                &[
                    ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"),
                    ("OTEL_SDK_DISABLED", "true")
                ]
            )
            .unwrap()
            .otlp
            .is_none()
        );
    }

    #[test]
    fn bad_values_are_named() {
        let bad = [
            (
                RawTelemetry {
                    otlp_endpoint: Some("collector:4318".into()),
                    ..Default::default()
                },
                "telemetry.otlp_endpoint",
            ),
            (
                RawTelemetry {
                    otlp_endpoint: Some("http://".into()),
                    ..Default::default()
                },
                "telemetry.otlp_endpoint",
            ),
            (
                RawTelemetry {
                    sample_ratio: Some(1.5),
                    ..Default::default()
                },
                "telemetry.sample_ratio",
            ),
            (
                RawTelemetry {
                    sample_ratio: Some(f64::NAN),
                    ..Default::default()
                },
                "telemetry.sample_ratio",
            ),
            (
                RawTelemetry {
                    queue_size: Some(0),
                    ..Default::default()
                },
                "telemetry.queue_size",
            ),
            (
                RawTelemetry {
                    service_name: Some(String::new()),
                    ..Default::default()
                },
                "telemetry.service_name",
            ),
        ];
        for (raw, key) in bad {
            let e = check(raw, &[]).unwrap_err();
            assert!(e.to_string().contains(key), "{e}");
        }
    }
}
