//! Asynchronous MDNs: those Wharf owes its partners, posted by [`MdnPoster`] to each
//! partner's `Receipt-Delivery-Option`; and the check for those partners owe Wharf that are
//! overdue.

use super::*;

/// Sent messages whose asynchronous MDN did not come within the partner's `mdn_timeout`:
/// an alert in the history and the log, and the message sent again under the same
/// Message-ID (AS2-Reliability; three sends at most).
pub async fn overdue_mdns(p: &Pipeline) -> Result<usize, crate::store::StoreError> {
    let now = crate::store::now_ms();
    let snapshot = p.partners.snapshot();
    let mut handled = 0;
    for row in as2_store::awaiting_mdn(&p.store, now).await? {
        let Some(timeout) = snapshot
            .get(&row.partner)
            .and_then(|pr| pr.channels.as2.as_ref())
            .map(|a| a.mdn_timeout)
        else {
            continue;
        };
        if row.created_at + timeout.as_millis() as i64 > now {
            continue;
        }
        let text = format!("no MDN within {} s", timeout.as_secs());
        if as2_store::record_mdn(&p.store, &row.partner, &row.as2_message_id, &text)
            .await?
            .is_none()
        {
            continue;
        }
        let again = as2_store::sends_of(&p.store, row.message_id).await? < 3;
        let detail = format!(
            "no asynchronous MDN for Message-ID {} within {} s; {}",
            row.as2_message_id,
            timeout.as_secs(),
            if again {
                "sent again"
            } else {
                "given up after 3 sends"
            }
        );
        tracing::error!(partner = %row.partner, message = row.message_id.get(), "{detail}");
        note(p, row.message_id, crate::store::EventKind::Warning, &detail).await?;
        if again && let Err(e) = p.replay(row.message_id).await {
            tracing::warn!(message = row.message_id.get(), error = %e, "resend not queued");
        }
        handled += 1;
    }
    Ok(handled)
}

/// Posts of one owed MDN before it is given up (about a day with the doubling waits).
pub(super) const MDN_POSTS: i64 = 12;

/// Giving up on reaching a partner's MDN URL (TCP and TLS).
pub(super) const MDN_CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Giving up on one post, connect to answer.
pub(super) const MDN_POST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// How long an MDN claimed for another destination's turn waits before it is claimed again.
pub(super) const MDN_DEFER: std::time::Duration = std::time::Duration::from_secs(1);

/// Claims in one round at most (posts started and MDNs given back together), so that a large
/// backlog for a busy destination costs a bounded number of writes a round.
pub(super) const MDN_ROUND: usize = 64;

/// Posts the asynchronous MDNs Wharf owes (`as2_mdn_outbox`), several at once: at most
/// `[as2] mdn_posts_per_host` to one `host:port` and `mdn_posts_at_once` in all, so a partner
/// whose server accepts and never answers holds its own slots for [`MDN_POST_TIMEOUT`] and
/// nobody else's. A refused post waits `[as2] mdn_retry_ms`, doubled
/// each time up to an hour; after [`MDN_POSTS`] posts the MDN is given up (kept, with its
/// last error, and logged).
pub struct MdnPoster {
    /// Posts under way; each records its own outcome in the store.
    posts: tokio::task::JoinSet<()>,
    /// One per destination with posts under way (`host:port`), `mdn_posts_per_host` permits.
    hosts: std::collections::HashMap<String, Arc<tokio::sync::Semaphore>>,
    /// Posts at once, all destinations together.
    all: Arc<tokio::sync::Semaphore>,
    per_host: usize,
    /// For destinations whose partner profile sets nothing of its own.
    client: reqwest::Client,
}

impl MdnPoster {
    pub fn new(settings: &crate::config::As2Settings) -> Result<Self, reqwest::Error> {
        Ok(Self {
            posts: tokio::task::JoinSet::new(),
            hosts: std::collections::HashMap::new(),
            all: Arc::new(tokio::sync::Semaphore::new(settings.mdn_posts_at_once)),
            per_host: settings.mdn_posts_per_host,
            client: reqwest::Client::builder()
                .connect_timeout(MDN_CONNECT_TIMEOUT)
                .build()?,
        })
    }

    /// Posts under way (started and not yet recorded).
    pub fn under_way(&self) -> usize {
        self.posts.len()
    }

    /// Claims the MDNs that are due, as many as there is room for (and [`MDN_ROUND`] claims
    /// at most), and starts posting them; how many were started. An MDN whose destination
    /// has all its posts under way is given back, behind every other MDN due. Returns
    /// without waiting for any post.
    pub async fn start_due(&mut self, p: &Pipeline) -> Result<usize, crate::store::StoreError> {
        while self.posts.try_join_next().is_some() {}
        self.hosts
            .retain(|_, s| s.available_permits() < self.per_host || Arc::strong_count(s) > 1);
        // Claimed MDNs wait for a slot among all destinations; at most four rounds of them,
        // and the claim is held long enough for the last one's post to end.
        let at_once = p.settings.as2.mdn_posts_at_once;
        let in_flight = at_once * 4;
        let hold = MDN_POST_TIMEOUT * 5 + std::time::Duration::from_secs(10);
        let mut started = 0;
        let mut claims = 0;
        while self.posts.len() < in_flight && claims < MDN_ROUND {
            claims += 1;
            let Some(m) =
                as2_store::claim_owed_mdn(&p.store, hold.as_millis() as i64, MDN_POSTS).await?
            else {
                break;
            };
            let host = destination(&m.url);
            let turn = self
                .hosts
                .entry(host)
                .or_insert_with(|| Arc::new(tokio::sync::Semaphore::new(self.per_host)))
                .clone()
                .try_acquire_owned();
            let Ok(turn) = turn else {
                // This destination has its posts under way: the MDN is given back, due a
                // little later, and the claims go on with other destinations' MDNs.
                let next = crate::store::now_ms().saturating_add(MDN_DEFER.as_millis() as i64);
                as2_store::owed_mdn_deferred(&p.store, m.id, next).await?;
                continue;
            };
            let (p, all, client) = (p.clone(), self.all.clone(), self.client.clone());
            self.posts.spawn(async move {
                let _turn = turn;
                // Closed never: the semaphore lives as long as the poster.
                let Ok(_slot) = all.acquire_owned().await else {
                    return;
                };
                let outcome = post_one(&p, &client, &m).await;
                if let Err(e) = record(&p, &m, outcome).await {
                    // The claim runs out and the MDN is posted again: a duplicate MDN, which
                    // partners ignore, rather than none.
                    tracing::warn!(error = %e, id = m.id, "asynchronous MDN outcome not recorded");
                }
            });
            started += 1;
        }
        Ok(started)
    }

    /// Waits until every post under way has ended (tests, shutdown).
    pub async fn finish(&mut self) {
        while self.posts.join_next().await.is_some() {}
    }
}

/// `host:port` of a URL (the port its scheme implies when none is written); the URL itself
/// when it cannot be read, so that such posts, which fail, share one destination.
pub(super) fn destination(url: &str) -> String {
    reqwest::Url::parse(url)
        .ok()
        .and_then(|u| {
            let host = u.host_str()?.to_ascii_lowercase();
            Some(format!("{host}:{}", u.port_or_known_default()?))
        })
        .unwrap_or_else(|| url.to_owned())
}

/// The sending partner's own HTTP settings (TLS trust, client certificate, login) when the
/// MDN goes to the server its profile's `[as2] url` names; never to another host, so a
/// password or client certificate goes only where the operator sent it.
pub(super) fn partner_client(
    p: &Pipeline,
    m: &as2_store::OwedMdn,
) -> Option<Result<PartnerHttp, String>> {
    let partners = p.partners.snapshot();
    let as2 = partners.by_as2_id(&m.partner)?.channels.as2.as_ref()?;
    let same = |a: &str, b: &str| {
        let (a, b) = (reqwest::Url::parse(a).ok()?, reqwest::Url::parse(b).ok()?);
        Some(a.scheme() == b.scheme() && destination(a.as_str()) == destination(b.as_str()))
    };
    if same(as2.url.as_deref()?, &m.url) != Some(true) {
        return None;
    }
    let login = match &as2.outbound_login {
        None => None,
        Some(login) => match login.password.read() {
            Ok(password) => Some((login.user.clone(), password)),
            Err(e) => return Some(Err(format!("[as2] url_password: {e}"))),
        },
    };
    let client = tls::builder(as2).map_err(|e| e.to_string()).and_then(|b| {
        b.connect_timeout(MDN_CONNECT_TIMEOUT)
            .build()
            .map_err(|e| e.to_string())
    });
    Some(client.map(|client| PartnerHttp { client, login }))
}

/// A partner's own HTTP client for its server, and the basic-auth login (user, password)
/// its profile gives for it.
pub(super) struct PartnerHttp {
    client: reqwest::Client,
    login: Option<(String, String)>,
}

/// One post of an owed MDN: `None` when the partner's server took it, else why not.
pub(super) async fn post_one(
    p: &Pipeline,
    default: &reqwest::Client,
    m: &as2_store::OwedMdn,
) -> Option<String> {
    let mut headers = HeaderMap::new();
    for (k, v) in &m.headers {
        if let (Ok(k), Ok(v)) = (
            axum::http::HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(v),
        ) {
            headers.insert(k, v);
        }
    }
    let PartnerHttp { client, login } = match partner_client(p, m) {
        None => PartnerHttp {
            client: default.clone(),
            login: None,
        },
        Some(Ok(c)) => c,
        Some(Err(e)) => return Some(e),
    };
    let mut request = client
        .post(&m.url)
        .headers(headers)
        .body(m.body.clone())
        .timeout(MDN_POST_TIMEOUT);
    if let Some((user, password)) = login {
        request = request.basic_auth(user, Some(password));
    }
    match request.send().await {
        Ok(r) if r.status().is_success() => None,
        Ok(r) => Some(format!("refused with {}", r.status())),
        Err(e) => Some(format!("not delivered: {}", tls::describe(&e).0)),
    }
}

/// Records a post's outcome: sent, or due again after the doubling wait.
pub(super) async fn record(
    p: &Pipeline,
    m: &as2_store::OwedMdn,
    error: Option<String>,
) -> Result<(), crate::store::StoreError> {
    let Some(e) = error else {
        tracing::info!(
            url = m.url,
            partner = m.partner,
            original = m.original_message_id,
            "asynchronous MDN delivered"
        );
        return as2_store::owed_mdn_posted(&p.store, m.id, Ok(())).await;
    };
    let wait = p
        .settings
        .as2
        .mdn_retry
        .saturating_mul(1u32 << (m.attempts - 1).clamp(0, 16) as u32)
        .min(std::time::Duration::from_secs(3600));
    if m.attempts >= MDN_POSTS {
        tracing::error!(
            url = m.url,
            partner = m.partner,
            original = m.original_message_id,
            error = e,
            "asynchronous MDN given up"
        );
    } else {
        tracing::warn!(
            url = m.url,
            partner = m.partner,
            attempt = m.attempts,
            error = e,
            "asynchronous MDN not taken; posted again later"
        );
    }
    let next = crate::store::now_ms().saturating_add(wait.as_millis() as i64);
    as2_store::owed_mdn_posted(&p.store, m.id, Err((&e, next))).await
}
