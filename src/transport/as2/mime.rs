//! The little MIME AS2 needs, over borrowed bytes: an entity's header section and body split
//! exactly where they are (the MIC is computed over those very bytes), headers looked up
//! case-insensitively with folded lines joined, `Content-Type` parameters (quoted or not),
//! multipart bodies cut at their boundaries (RFC 2046: the line break before a delimiter
//! belongs to the delimiter), and transfer decodings (base64, binary, 7bit, 8bit).
//!
//! Written here rather than taken from `mail-parser`: AS2 needs the exact byte ranges of a
//! signed part, a body that is binary (not text), and nothing of e-mail beyond that.

// Partner bytes must not panic the gateway: no unwrap, expect or unchecked indexing here.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::borrow::Cow;

/// Why bytes are not the MIME entity they claim to be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MimeError {
    #[error("no blank line ends the header section")]
    NoHeaderEnd,
    #[error("header line {0} has no name")]
    BadHeader(usize),
    #[error("multipart body has no part delimited by boundary `{0}`")]
    NoParts(String),
    #[error("multipart body never closes boundary `{0}`")]
    Unclosed(String),
    #[error("body is not valid base64")]
    Base64,
    #[error("Content-Transfer-Encoding `{0}` is not supported")]
    Encoding(String),
    #[error("multipart/signed without a boundary")]
    NoBoundary,
    #[error("multipart/signed has {0} parts, not 2")]
    SignedParts(usize),
}

/// An entity's bytes from its Content-Type and body (CRLF), as signed and as MIC'd.
pub fn entity(content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut e = Vec::with_capacity(body.len() + content_type.len() + 18);
    e.extend_from_slice(b"Content-Type: ");
    e.extend_from_slice(content_type.as_bytes());
    e.extend_from_slice(b"\r\n\r\n");
    e.extend_from_slice(body);
    e
}

/// The two halves of a `multipart/signed` body: the exact bytes of the signed part (what the
/// signature and the MIC cover) and the detached signature, decoded (DER).
pub fn split_signed<'a>(
    body: &'a [u8],
    ct: &ContentType,
) -> Result<(&'a [u8], Vec<u8>), MimeError> {
    let boundary = ct.param("boundary").ok_or(MimeError::NoBoundary)?;
    let parts = multipart(body, boundary)?;
    let [content, signature] = parts[..] else {
        return Err(MimeError::SignedParts(parts.len()));
    };
    let der = Entity::parse(signature)?.decoded_body()?.into_owned();
    Ok((content, der))
}

/// One MIME entity: its exact bytes, its headers and its body.
#[derive(Debug, Clone)]
pub struct Entity<'a> {
    /// The whole entity, headers included: what a signature and a MIC cover.
    pub raw: &'a [u8],
    pub headers: Vec<(String, String)>,
    pub body: &'a [u8],
}

/// The header section (its last line break included) and the body after the blank line.
fn split_header(raw: &[u8]) -> Option<(&[u8], &[u8])> {
    // A body may follow right away when the section is empty (the entity starts with a
    // blank line).
    if let Some(body) = raw.strip_prefix(b"\r\n") {
        return Some((&[], body));
    }
    if let Some(body) = raw.strip_prefix(b"\n") {
        return Some((&[], body));
    }
    for nl in memchr::memchr_iter(b'\n', raw) {
        let (head, rest) = raw.split_at_checked(nl + 1)?;
        if let Some(body) = rest.strip_prefix(b"\r\n") {
            return Some((head, body));
        }
        if let Some(body) = rest.strip_prefix(b"\n") {
            return Some((head, body));
        }
    }
    None
}

impl<'a> Entity<'a> {
    /// Splits `raw` into headers and body. Header values are unfolded and trimmed.
    pub fn parse(raw: &'a [u8]) -> Result<Entity<'a>, MimeError> {
        let (head, body) = split_header(raw).ok_or(MimeError::NoHeaderEnd)?;
        let mut headers: Vec<(String, String)> = Vec::new();
        for (n, line) in head.split(|&b| b == b'\n').enumerate() {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.is_empty() {
                continue;
            }
            let text = String::from_utf8_lossy(line);
            if matches!(line.first(), Some(b' ' | b'\t')) {
                // A folded continuation of the previous header.
                match headers.last_mut() {
                    Some((_, v)) => {
                        v.push(' ');
                        v.push_str(text.trim());
                    }
                    None => return Err(MimeError::BadHeader(n + 1)),
                }
                continue;
            }
            let Some((name, value)) = text.split_once(':') else {
                return Err(MimeError::BadHeader(n + 1));
            };
            if name.is_empty() || name.contains(' ') {
                return Err(MimeError::BadHeader(n + 1));
            }
            headers.push((name.to_owned(), value.trim().to_owned()));
        }
        Ok(Entity { raw, headers, body })
    }

    /// An entity made of HTTP headers and a body that arrived apart (the outermost AS2
    /// entity): `raw` is the body only, as nothing covers the HTTP headers.
    pub fn from_parts(headers: Vec<(String, String)>, body: &'a [u8]) -> Entity<'a> {
        Entity {
            raw: body,
            headers,
            body,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn content_type(&self) -> ContentType {
        ContentType::parse(self.header("content-type").unwrap_or("text/plain"))
    }

    /// The body with its Content-Transfer-Encoding undone.
    pub fn decoded_body(&self) -> Result<Cow<'a, [u8]>, MimeError> {
        let cte = self
            .header("content-transfer-encoding")
            .unwrap_or("binary")
            .trim()
            .to_ascii_lowercase();
        match cte.as_str() {
            "binary" | "7bit" | "8bit" | "" => Ok(Cow::Borrowed(self.body)),
            "base64" => decode_base64(self.body).map(Cow::Owned),
            other => Err(MimeError::Encoding(other.to_owned())),
        }
    }

    /// The file name of `Content-Disposition: attachment; filename=…`, if any.
    pub fn filename(&self) -> Option<String> {
        let cd = ContentType::parse(self.header("content-disposition")?);
        cd.param("filename").map(str::to_owned)
    }
}

/// Base64 with any whitespace (line breaks every 64 or 76 characters) ignored.
pub fn decode_base64(text: &[u8]) -> Result<Vec<u8>, MimeError> {
    use base64::Engine;
    let compact: Vec<u8> = text
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(&compact)
        .map_err(|_| MimeError::Base64)
}

/// A `Content-Type` (or `Content-Disposition`) value: the lowercased type and its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentType {
    pub mime: String,
    pub params: Vec<(String, String)>,
}

impl ContentType {
    pub fn parse(value: &str) -> ContentType {
        let mut parts = split_params(value).into_iter();
        let mime = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let params = parts
            .filter_map(|p| {
                let (k, v) = p.split_once('=')?;
                let v = v.trim();
                let v = v
                    .strip_prefix('"')
                    .and_then(|v| v.strip_suffix('"'))
                    .map(|v| v.replace("\\\"", "\"").replace("\\\\", "\\"))
                    .unwrap_or_else(|| v.to_owned());
                Some((k.trim().to_ascii_lowercase(), v))
            })
            .collect();
        ContentType { mime, params }
    }

    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn is(&self, mime: &str) -> bool {
        self.mime == mime
    }
}

/// Splits at `;` outside double quotes.
fn split_params(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut escaped = false;
    for c in value.chars() {
        match c {
            _ if escaped => {
                cur.push(c);
                escaped = false;
            }
            '\\' if quoted => {
                cur.push(c);
                escaped = true;
            }
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            ';' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// The parts of a multipart body, each the exact bytes between its delimiter line and the
/// line break before the next delimiter.
pub fn multipart<'a>(body: &'a [u8], boundary: &str) -> Result<Vec<&'a [u8]>, MimeError> {
    let delim = format!("--{boundary}");
    let d = delim.as_bytes();
    // Delimiter positions: at the start of the body or right after a line break.
    let starts: Vec<usize> = memchr::memmem::find_iter(body, d)
        .filter(|&at| match at.checked_sub(1) {
            None => true,
            Some(before) => body.get(before) == Some(&b'\n'),
        })
        .collect();
    let mut parts = Vec::new();
    let mut closed = false;
    for (k, &at) in starts.iter().enumerate() {
        let after = at + d.len();
        let Some(line) = body.get(after..) else {
            break;
        };
        if line.starts_with(b"--") {
            closed = true;
            break;
        }
        // The part begins after the rest of the delimiter line.
        let Some(eol) = memchr::memchr(b'\n', line) else {
            break;
        };
        let begin = after + eol + 1;
        let Some(&next) = starts.get(k + 1) else {
            break;
        };
        // The line break before the next delimiter is the delimiter's.
        let part = body.get(begin..next).unwrap_or_default();
        let part = match part.strip_suffix(b"\n") {
            Some(p) => p.strip_suffix(b"\r").unwrap_or(p),
            None => part,
        };
        parts.push(part);
    }
    if parts.is_empty() {
        return Err(MimeError::NoParts(boundary.to_owned()));
    }
    if !closed {
        return Err(MimeError::Unclosed(boundary.to_owned()));
    }
    Ok(parts)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn entities_split_exactly_and_unfold_headers() {
        let raw = b"Content-Type: application/edi-x12;\r\n name=\"po.edi\"\r\nContent-Disposition: attachment; filename=\"po 1.edi\"\r\n\r\nISA*00~";
        let e = Entity::parse(raw).unwrap();
        assert_eq!(e.body, b"ISA*00~");
        assert_eq!(e.content_type().mime, "application/edi-x12");
        assert_eq!(e.content_type().param("name"), Some("po.edi"));
        assert_eq!(e.filename().as_deref(), Some("po 1.edi"));
        let lf = Entity::parse(b"content-type: text/plain\n\nhi").unwrap();
        assert_eq!(lf.header("Content-Type"), Some("text/plain"));
        assert_eq!(lf.body, b"hi");
        assert_eq!(
            Entity::parse(b"no end").unwrap_err(),
            MimeError::NoHeaderEnd
        );
    }

    #[test]
    fn multipart_parts_are_the_bytes_between_delimiters() {
        let body = b"preamble\r\n--b1\r\nContent-Type: a/b\r\n\r\none\r\n--b1\r\n\r\ntwo\n\r\n--b1--\r\nepilogue";
        let parts = multipart(body, "b1").unwrap();
        assert_eq!(
            parts,
            [&b"Content-Type: a/b\r\n\r\none"[..], &b"\r\ntwo\n"[..]]
        );
        assert!(matches!(
            multipart(b"--b1\r\nx\r\n", "b1"),
            Err(MimeError::NoParts(_) | MimeError::Unclosed(_))
        ));
    }

    #[test]
    fn content_type_parameters_quoted_or_not() {
        let ct = ContentType::parse(
            "multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256; boundary=\"a;b\"",
        );
        assert!(ct.is("multipart/signed"));
        assert_eq!(ct.param("boundary"), Some("a;b"));
        assert_eq!(ct.param("micalg"), Some("sha-256"));
    }
}
