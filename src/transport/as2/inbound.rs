//! The AS2 endpoint (`POST /as2`): a partner's message unwrapped, stored through the receive
//! stage before anything is answered, and answered with the MDN it asked for; an MDN for a
//! message Wharf sent is matched to it.

use super::*;

/// The HTTP headers of a request as (name, value) pairs, for the outermost MIME entity.
pub(super) fn content_headers(h: &HeaderMap) -> Vec<(String, String)> {
    [
        "content-type",
        "content-transfer-encoding",
        "content-disposition",
    ]
    .iter()
    .filter_map(|n| {
        h.get(*n)
            .and_then(|v| v.to_str().ok())
            .map(|v| ((*n).to_owned(), v.to_owned()))
    })
    .collect()
}

pub(super) fn header<'h>(h: &'h HeaderMap, name: &str) -> Option<&'h str> {
    h.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
}

/// What the `POST /as2` route holds: the pipeline that stores what arrives, and the AS2
/// edge whose station decrypts, verifies and signs.
#[derive(Clone)]
pub struct Route {
    pub pipeline: Pipeline,
    pub as2: std::sync::Arc<As2>,
}

/// `POST /as2`: a partner's AS2 message. The payload is stored before any MDN is
/// returned; every outcome, failures included, is answered with the MDN the partner asked
/// for (or 200 when it asked for none).
pub async fn receive(State(route): State<Route>, request: axum::extract::Request) -> Response {
    let Route { pipeline: p, as2 } = route;
    let (parts, body) = request.into_parts();
    let headers = parts.headers;
    let station = match as2.station() {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "AS2 station not available");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "AS2 is not available on this gateway (its key or certificate is missing)",
            )
                .into_response();
        }
    };
    let (Some(from), Some(to), Some(message_id)) = (
        header(&headers, "as2-from").map(unquote),
        header(&headers, "as2-to").map(unquote),
        header(&headers, "message-id"),
    ) else {
        return (
            StatusCode::BAD_REQUEST,
            "AS2-From, AS2-To and Message-ID are required",
        )
            .into_response();
    };
    let message_id = message_id.to_owned();
    // The partner's login, when its profile asks for one, before a byte of the body is read.
    if let Some(refused) = login_refused(&p, &from, &headers) {
        return refused;
    }
    let requested = Requested::from_headers(
        header(&headers, "disposition-notification-to"),
        header(&headers, "disposition-notification-options"),
        header(&headers, "receipt-delivery-option"),
    );
    let span = tracing::info_span!("as2", from = %from, message_id = %message_id);
    // A sender no profile names gets nothing of Wharf's memory or storage: a bounded sample
    // of what it sent is kept for the operator and the rest is never read.
    let limit = p
        .partners
        .snapshot()
        .by_as2_id(&from)
        .map(|pr| pr.limits.max_file_bytes.map_or(MAX_BODY, |l| l as usize));
    let Some(limit) = limit else {
        let total = header(&headers, "content-length").and_then(|v| v.parse::<u64>().ok());
        let sample =
            crate::util::body::read_prefix(body, crate::pipeline::REFUSED_SAMPLE_BYTES).await;
        let text = format!("AS2-From `{from}` is no partner's [as2] id");
        tracing::warn!(parent: &span, "{text}");
        let kept = &sample.bytes[..sample
            .bytes
            .len()
            .min(crate::pipeline::REFUSED_SAMPLE_BYTES)];
        keep_rejected(&p, None, kept, total, &text).await;
        crate::util::body::linger(sample.rest);
        if header(&headers, "content-type")
            .is_some_and(|ct| ct.to_ascii_lowercase().starts_with("multipart/report"))
        {
            // An MDN from no partner: nothing to answer with one.
            return (StatusCode::FORBIDDEN, "unknown AS2-From").into_response();
        }
        return answer(
            &p,
            &station,
            &from,
            &message_id,
            &requested,
            Disposition::Error("authentication-failed"),
            None,
            &text,
        )
        .instrument(span)
        .await;
    };
    // The body as it travels is larger than the file: base64 (4/3) and the S/MIME layers.
    let max = limit.saturating_add(limit / 3 + (64 << 10));
    let length = header(&headers, "content-length").and_then(|v| v.parse::<u64>().ok());
    let body = match read_body(body, max, length).await {
        Ok(b) => b,
        Err(e) => {
            return (
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the body was not read whole (the partner's [limits] max_file_bytes is {limit}): {e}"),
            )
                .into_response();
        }
    };
    if is_mdn(&headers, &body) {
        return receive_mdn(&p, &from, &headers, &body)
            .instrument(span)
            .await;
    }
    async move {
        let (disposition, mic, explanation) = process(
            &p,
            &as2,
            &station,
            &from,
            &to,
            &message_id,
            &requested,
            &headers,
            body,
        )
        .await;
        answer(
            &p,
            &station,
            &from,
            &message_id,
            &requested,
            disposition,
            mic,
            &explanation,
        )
        .await
    }
    .instrument(span)
    .await
}

/// A request body, at most `max` bytes, read into one buffer sized from its Content-Length:
/// a large message is neither held twice (the chunks, then their concatenation) nor copied
/// as a growing buffer doubles. A Content-Length over `max` is refused before a byte is read
/// (hyper keeps a body to its Content-Length); a chunked body is cut at `max`. The rest of a
/// refused body is drained for a moment so the sender reads the refusal, never kept.
pub(super) async fn read_body(
    body: axum::body::Body,
    max: usize,
    length: Option<u64>,
) -> Result<Bytes, String> {
    use futures_util::StreamExt;
    let mut stream = body.into_data_stream();
    if let Some(l) = length.filter(|&l| l > max as u64) {
        crate::util::body::linger(Some(stream));
        return Err(format!("Content-Length {l} is over {max} bytes"));
    }
    // Reserved, not touched: pages become resident only as the body fills them.
    let mut buf = Vec::with_capacity(length.map_or(0, |l| l as usize));
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| e.to_string())?;
        if buf.len().saturating_add(chunk.len()) > max {
            crate::util::body::linger(Some(stream));
            return Err(format!("the body is over {max} bytes"));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(buf))
}

/// A 401 asking for basic auth, when the sending partner's profile sets `[as2] basic_user`
/// and the request's `Authorization` does not carry that user and password. Partners
/// without a login, and AS2-From names no profile claims, pass (those get their MDN).
pub(super) fn login_refused(p: &Pipeline, from: &str, headers: &HeaderMap) -> Option<Response> {
    let snapshot = p.partners.snapshot();
    let profile = snapshot.by_as2_id(from)?;
    let login = profile.channels.as2.as_ref()?.inbound_login.as_ref()?;
    let given = header(headers, "authorization").and_then(basic_credentials);
    let good = match login.password.read() {
        Ok(expected) => given.is_some_and(|(user, password)| {
            // Both compared whole, in constant time, whichever differs.
            same_secret(&user, &login.user) & same_secret(&password, &expected)
        }),
        Err(e) => {
            tracing::error!(partner = %profile.id, error = %e, "[as2] basic_password unreadable; partner refused");
            false
        }
    };
    if good {
        return None;
    }
    tracing::warn!(partner = %profile.id, "AS2 POST without the profile's basic-auth login");
    let mut response = (StatusCode::UNAUTHORIZED, "a login is required").into_response();
    response.headers_mut().insert(
        axum::http::header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"Wharf AS2\", charset=\"UTF-8\""),
    );
    Some(response)
}

/// (user, password) of an `Authorization: Basic …` value.
pub(super) fn basic_credentials(value: &str) -> Option<(String, String)> {
    use base64::Engine;
    let (scheme, b64) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

/// Equality in constant time; both sides are hashed first so their lengths do not show
/// either.
pub(super) fn same_secret(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    let (a, b) = (
        openssl::sha::sha256(a.as_bytes()),
        openssl::sha::sha256(b.as_bytes()),
    );
    a.ct_eq(&b).into()
}

/// Identifies, checks, unwraps and stores one message: what its MDN says.
#[allow(clippy::too_many_arguments)]
pub(super) async fn process(
    p: &Pipeline,
    edge: &As2,
    station: &Arc<Station>,
    from: &str,
    to: &str,
    message_id: &str,
    requested: &Requested,
    headers: &HeaderMap,
    body: Bytes,
) -> (Disposition, Option<(String, MicAlg)>, String) {
    let snapshot = p.partners.snapshot();
    let found = snapshot
        .by_as2_id(from)
        .and_then(|pr| Some((pr.id.to_string(), pr.channels.as2.clone()?, pr.limits)));
    let Some((partner, as2, limits)) = found else {
        // The profile went away between reading the headers and here (a reload).
        let text = format!("AS2-From `{from}` is no partner's [as2] id");
        keep_rejected(p, None, &body, None, &text).await;
        return (Disposition::Error("authentication-failed"), None, text);
    };
    if to != station.id {
        let text = format!("AS2-To `{to}` is not this gateway (`{}`)", station.id);
        keep_rejected(p, Some(&partner), &body, None, &text).await;
        return (
            Disposition::Error("unexpected-processing-error"),
            None,
            text,
        );
    }
    let certs = edge.partner_certs(&as2.certificates).unwrap_or_else(|e| {
        tracing::error!(error = %e, "partner certificate unreadable");
        Arc::from(Vec::new())
    });
    let limit = limits.max_file_bytes.map_or(MAX_BODY, |l| l as usize);
    let content = content_headers(headers);
    // What is kept of a refused message: a sample, copied now so the body itself moves into
    // the unwrap (no copy of it).
    let sample =
        Bytes::copy_from_slice(&body[..body.len().min(crate::pipeline::REFUSED_SAMPLE_BYTES)]);
    let total = body.len() as u64;
    let raw = body;
    let opening = station.clone();
    let mic_alg = requested.mic_alg;
    let required = unwrap::Required {
        signed: as2.sign,
        encrypted: as2.encrypt,
    };
    // RSA, AES and inflating are CPU work and memory: off the async threads, and a few at a
    // time, so a burst of large or hostile messages is worked through rather than all held
    // at once.
    let Ok(_turn) = UNWRAPS.acquire().await else {
        return (
            Disposition::Error("unexpected-processing-error"),
            None,
            "the gateway is stopping; send the message again".into(),
        );
    };
    let opened = tokio::task::spawn_blocking(move || {
        let own = opening.pairs();
        let keys = unwrap::Keys {
            own: &own,
            partner_certs: &certs,
        };
        unwrap::unwrap(content, raw, &keys, mic_alg, required, limit)
    })
    .await
    .unwrap_or_else(|e| Err(Failure::Unexpected(format!("worker: {e}"))));
    let u = match opened {
        Ok(u) => u,
        Err(f) => {
            let text = f.to_string();
            tracing::warn!(error = %text, "AS2 message refused");
            keep_rejected(
                p,
                Some(&partner),
                &sample,
                Some(total),
                &format!("AS2 {text}"),
            )
            .await;
            return (Disposition::Error(f.modifier()), None, text);
        }
    };
    let stored = p
        .receive_as2(
            &Inbound {
                channel: Channel::As2,
                partner: Some(&partner),
                filename: u.filename.as_deref(),
                raw: &u.payload,
                trace: crate::telemetry::sent(headers),
            },
            &as2_store::NewAs2 {
                partner: &partner,
                direction: Direction::In,
                as2_message_id: message_id,
                mic: Some(&u.mic),
                mic_alg: Some(mic_alg.name()),
                mdn: None,
            },
        )
        .await;
    match stored {
        Ok(id) => {
            tracing::info!(
                message = id.get(),
                size = u.payload.len(),
                encrypted = u.encrypted,
                // 0 the current pair; more, a previous one (a partner not yet moved over).
                decrypted_by = ?u.decrypted_by,
                // Which of the partner's certificates signed (several during a rollover).
                signed_by = ?u.signed_by,
                compressed = u.compressed,
                "AS2 message stored"
            );
            (
                Disposition::Processed,
                Some((u.mic, mic_alg)),
                format!(
                    "The AS2 message was received and stored as message {id} ({} bytes).",
                    u.payload.len()
                ),
            )
        }
        // The same Message-ID again: answered, never processed twice — but only once this
        // request passed the profile's decryption and signature checks above, so a POST from
        // anyone reusing a known Message-ID learns nothing (and its MDN carries the MIC of
        // what it sent itself, which for a true resend is the first one's). Caught by the
        // store's unique key in the receiving transaction rather than looked up before it:
        // a resend is rare, and the look-up cost every message a round trip to the store.
        Err(crate::store::StoreError::Duplicate { .. }) => {
            let first = as2_store::find(&p.store, &partner, Direction::In, message_id)
                .await
                .ok()
                .flatten();
            tracing::info!(
                first = ?first.as_ref().map(|f| f.message_id.get()),
                "AS2 Message-ID seen before; not processed again"
            );
            (
                Disposition::Warning("duplicate-document"),
                Some((u.mic, mic_alg)),
                match first {
                    Some(first) => format!(
                        "Message-ID {message_id} was received before (message {}); not processed again.",
                        first.message_id
                    ),
                    None => {
                        format!("Message-ID {message_id} was received before; not processed again.")
                    }
                },
            )
        }
        Err(e) => {
            tracing::error!(error = %e, "AS2 message not stored");
            (
                Disposition::Error("unexpected-processing-error"),
                None,
                "the message could not be stored; send it again".into(),
            )
        }
    }
}

/// Whether a request is an (asynchronous) MDN: a `multipart/report`, signed or not.
pub(super) fn is_mdn(headers: &HeaderMap, body: &[u8]) -> bool {
    let outer = mime::Entity::from_parts(content_headers(headers), body);
    let ct = outer.content_type();
    if ct.is("multipart/report") {
        return true;
    }
    ct.is("multipart/signed")
        && ct
            .param("boundary")
            .and_then(|b| mime::multipart(body, b).ok())
            .and_then(|parts| parts.first().and_then(|p| mime::Entity::parse(p).ok()))
            .is_some_and(|e| e.content_type().is("multipart/report"))
}

/// An asynchronous MDN for something Wharf sent: verified with the partner's certificates,
/// matched to the message by `Original-Message-ID`, its MIC compared, recorded.
pub(super) async fn receive_mdn(
    p: &Pipeline,
    from: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    use crate::store::EventKind;
    let snapshot = p.partners.snapshot();
    let Some((partner, as2)) = snapshot
        .by_as2_id(from)
        .and_then(|pr| Some((pr.id.to_string(), pr.channels.as2.clone()?)))
    else {
        return (StatusCode::FORBIDDEN, "unknown AS2-From").into_response();
    };
    let certs = partner_certs(&as2.certificates).unwrap_or_default();
    let outcome = match send::read_mdn(content_headers(headers), body, &certs, "asynchronous") {
        Ok(o) => o,
        Err(e) => {
            tracing::warn!(partner, error = %e, "asynchronous MDN refused");
            return (StatusCode::BAD_REQUEST, e.to_string()).into_response();
        }
    };
    let Some(original) = outcome.original_message_id.clone() else {
        return (
            StatusCode::BAD_REQUEST,
            "the MDN names no Original-Message-ID",
        )
            .into_response();
    };
    let summary = format!("asynchronous MDN {}", outcome.describe());
    let recorded = as2_store::record_mdn(&p.store, &partner, &original, &summary).await;
    let (message_id, mic, mic_alg) = match recorded {
        Ok(Some(r)) => {
            p.metrics.mdn(
                &partner,
                crate::metrics::MdnDirection::Received,
                super::mdn::metric_of_text(&outcome.disposition),
            );
            r
        }
        Ok(None) => {
            tracing::warn!(partner, original, "MDN for no message awaiting one");
            return StatusCode::OK.into_response();
        }
        Err(e) => {
            tracing::error!(error = %e, "MDN not recorded");
            return (StatusCode::SERVICE_UNAVAILABLE, "store unavailable").into_response();
        }
    };
    let alg = mic_alg
        .as_deref()
        .and_then(MicAlg::parse)
        .unwrap_or(MicAlg::Sha256);
    let verdict = send::check_signed(&outcome, send::signed_mdn_asked(&as2))
        .and_then(|()| send::check_outcome(&outcome, mic.as_deref().unwrap_or_default(), alg));
    // An MDN settled the send: a later resend (an operator's) is a new Message-ID.
    let released = async {
        let mut tx = p.store.begin().await?;
        as2_store::release_send_id(&mut tx, message_id).await?;
        tx.commit().await?;
        Ok::<(), crate::store::StoreError>(())
    }
    .await;
    if let Err(e) = released {
        tracing::error!(error = %e, "sent Message-ID not released");
    }
    let (kind, detail) = match &verdict {
        Ok(()) => (
            EventKind::AckReceived,
            format!("{summary}, MIC matched (Message-ID {original})"),
        ),
        Err(e) => (EventKind::Warning, format!("{summary}: {e}")),
    };
    if let Err(e) = note(p, message_id, kind, &detail).await {
        tracing::error!(error = %e, "MDN event not written");
    }
    tracing::info!(
        partner,
        message = message_id.get(),
        good = verdict.is_ok(),
        "asynchronous MDN"
    );
    StatusCode::OK.into_response()
}

/// Appends one event to a message's history.
pub(super) async fn note(
    p: &Pipeline,
    message_id: crate::store::MessageId,
    kind: crate::store::EventKind,
    detail: &str,
) -> Result<(), crate::store::StoreError> {
    use crate::store::events::{self, NewEvent};
    let mut tx = p.store.begin().await?;
    events::append(
        &mut tx,
        message_id,
        &NewEvent {
            kind,
            stage: None,
            detail: Some(detail),
            instance: &p.instance,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The largest AS2 payload taken when the partner's profile sets no `[limits]
/// max_file_bytes` (the body may be a third larger: base64 and the S/MIME layers).
pub const MAX_BODY: usize = 64 << 20;

/// AS2 messages opened (decrypted, verified, inflated) at once; the rest wait their turn.
pub(super) static UNWRAPS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// Keeps a bounded sample of bytes that could not be used, with the reason, so an operator
/// can see them (`total`: the size that arrived, when only a part was read).
pub(super) async fn keep_rejected(
    p: &Pipeline,
    partner: Option<&str>,
    body: &[u8],
    total: Option<u64>,
    reason: &str,
) {
    let kept = p
        .keep_rejected(
            &Inbound {
                channel: Channel::As2,
                partner,
                filename: None,
                raw: body,
                trace: None,
            },
            total,
            reason,
        )
        .await;
    if let Err(e) = kept {
        tracing::error!(error = %e, "refused AS2 message not kept");
    }
}

/// The MDN (or a bare 200 when none was asked for), synchronous in the response or posted
/// to the partner's `Receipt-Delivery-Option`.
#[allow(clippy::too_many_arguments)]
pub(super) async fn answer(
    p: &Pipeline,
    station: &Station,
    partner_as2: &str,
    original: &str,
    requested: &Requested,
    disposition: Disposition,
    mic: Option<(String, MicAlg)>,
    explanation: &str,
) -> Response {
    if !requested.wanted {
        return StatusCode::OK.into_response();
    }
    let disposition_kind = disposition.clone();
    let report = Report {
        reporting_ua: concat!("Wharf ", env!("CARGO_PKG_VERSION")),
        recipient: &station.id,
        original_message_id: original,
        mic,
        disposition,
        explanation,
    };
    let built = build_mdn(
        station,
        &report,
        requested.signed.then_some(requested.mic_alg),
    );
    let (content_type, body) = match built {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "MDN not signed");
            return (StatusCode::INTERNAL_SERVER_ERROR, "MDN could not be signed").into_response();
        }
    };
    let mut h = HeaderMap::new();
    let mut set = |name: &'static str, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    };
    set("as2-version", "1.2".into());
    set("as2-from", quote(&station.id));
    set("as2-to", quote(partner_as2));
    set(
        "message-id",
        format!("<{}@wharf>", uuid::Uuid::new_v4().simple()),
    );
    set("mime-version", "1.0".into());
    set("content-type", content_type);
    // An asynchronous MDN is a POST Wharf makes to a URL the request names: only for a
    // message that was taken (processed) from a sender a profile claims. Anything else — an
    // unknown sender, a signature or decryption that failed — is answered in the response
    // instead, so nobody can make Wharf post to an address of their choosing.
    let trusted = !matches!(disposition_kind, Disposition::Error(_))
        && p.partners.snapshot().by_as2_id(partner_as2).is_some();
    if requested.async_url.is_some() && !trusted {
        tracing::warn!(
            partner = partner_as2,
            "asynchronous MDN asked by a sender not authenticated: answered synchronously"
        );
    }
    if let Some(url) = requested.async_url.as_deref().filter(|_| trusted) {
        // Kept before the partner's POST is answered, posted by `serve`'s MDN poster (at
        // once, and again after a refusal or a restart).
        let pairs: Vec<(String, String)> = h
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
            .collect();
        return match as2_store::owe_mdn(&p.store, partner_as2, original, url, &pairs, &body).await {
            Ok(_) => {
                count_sent(p, partner_as2, &disposition_kind);
                p.as2_mdn_wake.notify_one();
                StatusCode::OK.into_response()
            }
            Err(e) => {
                tracing::error!(error = %e, "asynchronous MDN not kept");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the MDN could not be kept; send again",
                )
                    .into_response()
            }
        };
    }
    count_sent(p, partner_as2, &disposition_kind);
    (StatusCode::OK, h, body).into_response()
}

/// Counts an MDN Wharf sent (in a response) or kept to post, under the profile the AS2 name
/// belongs to, or `unknown` for a sender no profile claims.
fn count_sent(p: &Pipeline, partner_as2: &str, disposition: &Disposition) {
    let snapshot = p.partners.snapshot();
    let partner = snapshot
        .by_as2_id(partner_as2)
        .map_or(crate::metrics::UNKNOWN, |pr| pr.id.as_str());
    p.metrics.mdn(
        partner,
        crate::metrics::MdnDirection::Sent,
        disposition.metric(),
    );
}

/// The MDN entity, signed with `sign`'s algorithm when asked: (Content-Type, body).
pub fn build_mdn(
    station: &Station,
    report: &Report<'_>,
    sign: Option<MicAlg>,
) -> Result<(String, Vec<u8>), cms::CmsError> {
    let (ct, body) = mdn::report(report, &mdn::boundary());
    let Some(alg) = sign else {
        return Ok((ct, body));
    };
    // The signed part is the report entity itself, headers included, CRLF throughout.
    let entity = mime::entity(&ct, &body);
    let signature = cms::sign_detached(&entity, &station.cert, &station.key, alg.digest())?;
    Ok(mdn::signed(&entity, &signature, alg, &mdn::boundary()))
}
