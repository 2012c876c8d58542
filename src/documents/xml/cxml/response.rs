//! The cXML Response Wharf answers a request with: its status (code, text, detail) from how
//! the request was read and taken.

use super::DOCTYPE;
use crate::documents::xml::XmlTranslation;
use crate::edi::xml::XmlWriter;

/// A cXML status: the code and text a Response carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub code: u16,
    pub text: &'static str,
    pub detail: String,
}

impl Status {
    /// 200 when the request was read and its document accepted; 400 when it was not
    /// well-formed or a required part was missing or wrong; 406 for a request Wharf does
    /// not take.
    pub fn for_translation(t: Result<&XmlTranslation, &crate::edi::xml::XmlError>) -> Status {
        match t {
            Err(e) => Status {
                code: 400,
                text: "Bad Request",
                detail: e.to_string(),
            },
            Ok(t) => {
                let first_error = t
                    .errors
                    .iter()
                    .find(|d| d.severity == crate::edi::diag::Severity::Error);
                match first_error {
                    Some(d) => Status {
                        code: 400,
                        text: "Bad Request",
                        detail: d.message.clone(),
                    },
                    None if t.documents.is_empty() => Status {
                        code: 406,
                        text: "Not Acceptable",
                        detail: format!("cXML {} is not accepted by this gateway", t.kind),
                    },
                    None => Status {
                        code: 200,
                        text: "OK",
                        detail: String::new(),
                    },
                }
            }
        }
    }

    pub fn unauthorized(detail: String) -> Status {
        Status {
            code: 401,
            text: "Unauthorized",
            detail,
        }
    }
}

/// The cXML Response document answering a request.
pub fn response(status: &Status, payload_id: &str, timestamp: &str) -> String {
    let mut w = XmlWriter::new(Some(DOCTYPE));
    let code = status.code.to_string();
    w.open(
        "cXML",
        &[
            ("payloadID", payload_id),
            ("timestamp", timestamp),
            ("xml:lang", "en-US"),
        ],
    )
    .open("Response", &[]);
    if status.detail.is_empty() {
        w.empty("Status", &[("code", &code), ("text", status.text)]);
    } else {
        w.text(
            "Status",
            &[("code", &code), ("text", status.text)],
            Some(&status.detail),
        );
    }
    w.finish()
}
