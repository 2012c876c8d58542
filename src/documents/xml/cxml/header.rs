//! The sender's credentials read from the start of a cXML request, before its body: a
//! streaming read of the Header alone, so a request is authenticated before the rest is read.

use crate::edi::xml::attribute_value;

/// What a cXML Header says about who sends: Header/From's credential ("domain:identity")
/// and Header/Sender's SharedSecret.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderCredentials {
    pub sender: Option<String>,
    pub shared_secret: Option<String>,
}

/// Why a prefix holds no complete cXML Header to read the sender from.
#[derive(Debug, thiserror::Error)]
pub enum HeaderError {
    #[error("not well-formed XML: {0}")]
    NotWellFormed(#[source] quick_xml::Error),
    #[error("the cXML Header is nested deeper than 16 elements")]
    TooDeep,
    #[error("{0}")]
    Encoding(#[from] quick_xml::encoding::EncodingError),
    /// An entity other than the five predefined ones, by name.
    #[error("entity &{0}; is not expanded (no DTD processing)")]
    Entity(String),
    /// The prefix ended first; its length in bytes.
    #[error("no complete cXML Header in the first {0} bytes")]
    Incomplete(usize),
}

/// The sender's credentials from the beginning of a cXML document, read as a stream up to
/// the end of its Header and no further, so a request can be authenticated before the rest
/// of its body is read (the Header comes first in every cXML request). `Err` says why there
/// is no complete Header in `prefix` (not well-formed, or it ends first).
pub fn header_credentials(prefix: &[u8]) -> Result<HeaderCredentials, HeaderError> {
    use quick_xml::events::Event;
    const FROM: &[&[u8]] = &[b"cXML", b"Header", b"From"];
    const FROM_CREDENTIAL: &[&[u8]] = &[b"cXML", b"Header", b"From", b"Credential"];
    const IDENTITY: &[&[u8]] = &[b"cXML", b"Header", b"From", b"Credential", b"Identity"];
    const SENDER: &[&[u8]] = &[b"cXML", b"Header", b"Sender"];
    const SENDER_CREDENTIAL: &[&[u8]] = &[b"cXML", b"Header", b"Sender", b"Credential"];
    const SECRET: &[&[u8]] = &[
        b"cXML",
        b"Header",
        b"Sender",
        b"Credential",
        b"SharedSecret",
    ];
    let mut reader = quick_xml::Reader::from_reader(prefix);
    let mut path: Vec<Vec<u8>> = Vec::new();
    // As the full reading does: the first From, its first Credential, that one's first
    // Identity (empty is none); the first Sender's first Credential's first SharedSecret.
    let mut firsts = std::collections::HashSet::<&'static [&'static [u8]]>::new();
    let mut domain = None::<String>;
    let (mut identity, mut secret) = (None::<String>, None::<String>);
    // The text of each open element, as the tree reader gathers it.
    let mut texts: Vec<String> = Vec::new();
    let at = |path: &[Vec<u8>], want: &[&[u8]]| {
        path.len() == want.len() && path.iter().zip(want).all(|(a, b)| a == b)
    };
    // Whether the element just opened at `path` is the first of its kind along the chain
    // that matters (its parent being the first too).
    let first = |path: &[Vec<u8>],
                 want: &'static [&'static [u8]],
                 firsts: &mut std::collections::HashSet<&'static [&'static [u8]]>| {
        at(path, want) && firsts.insert(want)
    };
    let mut live = std::collections::HashSet::<&'static [&'static [u8]]>::new();
    loop {
        let event = reader.read_event().map_err(HeaderError::NotWellFormed)?;
        match event {
            Event::Start(e) => {
                if path.len() >= 16 {
                    return Err(HeaderError::TooDeep);
                }
                path.push(e.local_name().as_ref().to_vec());
                texts.push(String::new());
                for (want, parent) in [
                    (FROM, None),
                    (FROM_CREDENTIAL, Some(FROM)),
                    (IDENTITY, Some(FROM_CREDENTIAL)),
                    (SENDER, None),
                    (SENDER_CREDENTIAL, Some(SENDER)),
                    (SECRET, Some(SENDER_CREDENTIAL)),
                ] {
                    let parent_live = parent.is_none_or(|p| live.contains(p));
                    if parent_live && first(&path, want, &mut firsts) {
                        live.insert(want);
                        if want == FROM_CREDENTIAL {
                            domain = e
                                .try_get_attribute("domain")
                                .ok()
                                .flatten()
                                .and_then(|a| attribute_value(&a).ok().map(|v| v.into_owned()));
                        }
                    }
                }
            }
            Event::Empty(e) => {
                // `<Credential domain="x"/>` is a first Credential with no Identity.
                path.push(e.local_name().as_ref().to_vec());
                if live.contains(FROM) && first(&path, FROM_CREDENTIAL, &mut firsts) {
                    domain = None;
                }
                let _ = first(&path, IDENTITY, &mut firsts);
                let _ = first(&path, SECRET, &mut firsts);
                path.pop();
            }
            // Text may come in pieces around entity references: gathered, then kept at the
            // element's end.
            Event::Text(t) => {
                let piece = t.decode()?;
                if let Some(text) = texts.last_mut() {
                    text.push_str(&piece);
                }
            }
            Event::CData(c) => {
                if let Some(text) = texts.last_mut() {
                    text.push_str(&String::from_utf8_lossy(&c.into_inner()));
                }
            }
            Event::GeneralRef(r) => match r.resolve_char_ref() {
                Ok(Some(c)) => {
                    if let Some(text) = texts.last_mut() {
                        text.push(c);
                    }
                }
                _ => {
                    let name = r.decode()?;
                    let text = texts.last_mut();
                    let resolved = quick_xml::escape::resolve_predefined_entity(&name)
                        .ok_or_else(|| HeaderError::Entity(name.clone().into_owned()))?;
                    if let Some(text) = text {
                        text.push_str(resolved);
                    }
                }
            },
            Event::End(_) => {
                let text = texts.pop().unwrap_or_default();
                let value = Some(text.trim().to_owned()).filter(|t| !t.is_empty());
                if at(&path, IDENTITY) && live.remove(IDENTITY) {
                    identity = value;
                } else if at(&path, SECRET) && live.remove(SECRET) {
                    secret = value;
                } else if at(&path, &[b"cXML", b"Header"]) {
                    return Ok(HeaderCredentials {
                        sender: identity.map(|i| match domain {
                            Some(d) => format!("{d}:{i}"),
                            None => i,
                        }),
                        shared_secret: secret,
                    });
                } else {
                    for want in [FROM, FROM_CREDENTIAL, SENDER, SENDER_CREDENTIAL] {
                        if at(&path, want) {
                            live.remove(want);
                        }
                    }
                }
                path.pop();
            }
            Event::Eof => {
                return Err(HeaderError::Incomplete(prefix.len()));
            }
            _ => {}
        }
    }
}
