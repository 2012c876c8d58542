//! Bounded reading of HTTP request bodies: the first bytes before a sender is trusted, and
//! the lingering close that lets a refused client read its answer.

/// The first bytes of a request body, read before its sender is trusted with more.
pub struct Prefix {
    /// At least `max` bytes, unless the body ended first.
    pub bytes: Vec<u8>,
    /// The rest of the body, when it did not end within `max`.
    pub rest: Option<axum::body::BodyDataStream>,
    /// The body could not be read (the client went away mid-way).
    pub error: Option<String>,
}

/// Reads a body until it ends or `max` bytes have come, and no further.
pub async fn read_prefix(body: axum::body::Body, max: usize) -> Prefix {
    use futures_util::StreamExt;
    let mut stream = body.into_data_stream();
    let mut bytes = Vec::new();
    while bytes.len() < max {
        match stream.next().await {
            Some(Ok(chunk)) => bytes.extend_from_slice(&chunk),
            Some(Err(e)) => {
                return Prefix {
                    bytes,
                    rest: None,
                    error: Some(e.to_string()),
                };
            }
            None => {
                return Prefix {
                    bytes,
                    rest: None,
                    error: None,
                };
            }
        }
    }
    Prefix {
        bytes,
        rest: Some(stream),
        error: None,
    }
}

/// The rest of a refused body is read and thrown away for a few seconds after the answer
/// (a "lingering close"), so the client reads the refusal rather than a connection reset:
/// closing a socket with unread data makes the kernel send RST, which discards the answer
/// on the client's side. It costs bandwidth for at most [`LINGER`], never memory.
pub fn linger(rest: Option<axum::body::BodyDataStream>) {
    if let Some(mut rest) = rest {
        tokio::spawn(async move {
            use futures_util::StreamExt;
            let _ = tokio::time::timeout(LINGER, async {
                while let Some(Ok(_)) = rest.next().await {}
            })
            .await;
        });
    }
}

/// See [`linger`].
const LINGER: std::time::Duration = std::time::Duration::from_secs(5);
