//! A partner's acknowledgement of a whole interchange Wharf sent — an X12 TA1 or an EDIFACT CONTRL — as the gateway reads it to mark what it sent. Must not depend on any EDI syntax, I/O, async or the database.

use super::{SourceRef, Text};
use serde::{Deserialize, Serialize};

/// Which acknowledgement it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InterchangeAckKind {
    /// X12 TA1 (interchange acknowledgement).
    Ta1,
    /// EDIFACT CONTRL (syntax and service report).
    Contrl,
}

impl InterchangeAckKind {
    pub fn code(self) -> &'static str {
        match self {
            InterchangeAckKind::Ta1 => "TA1",
            InterchangeAckKind::Contrl => "CONTRL",
        }
    }
}

/// What the partner says it did with an interchange or a message of it. Kept apart from
/// `AckStatus` because a receipt (CONTRL action 8) and an unknown code must not read as
/// acceptance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    /// TA104 A; 0083 7 (and the withdrawn 1 and 5).
    Accepted,
    /// TA104 E; 0083 2 (withdrawn): accepted, errors noted.
    AcceptedWithErrors,
    /// 0083 3 (withdrawn): some of the next lower level rejected, the rest acknowledged.
    PartlyRejected,
    /// TA104 R; 0083 4 (and the withdrawn 6).
    Rejected,
    /// 0083 8: received only; acceptance or rejection follows in a later CONTRL.
    Received,
    /// A code the standard does not define (kept as received in `code`): nothing is concluded.
    Unknown,
}

impl Verdict {
    /// TA104 (interchange acknowledgement code).
    pub fn from_ta104(code: &str) -> Verdict {
        match code {
            "A" => Verdict::Accepted,
            "E" => Verdict::AcceptedWithErrors,
            "R" => Verdict::Rejected,
            _ => Verdict::Unknown,
        }
    }

    /// ISO 9735 data element 0083 (action, coded).
    pub fn from_0083(code: &str) -> Verdict {
        match code {
            "7" | "1" | "5" => Verdict::Accepted,
            "2" => Verdict::AcceptedWithErrors,
            "3" => Verdict::PartlyRejected,
            "4" | "6" => Verdict::Rejected,
            "8" => Verdict::Received,
            _ => Verdict::Unknown,
        }
    }
}

/// One message of the acknowledged interchange (CONTRL UCM, inside its UCF when grouped).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageVerdict {
    /// UNH 0062 of the acknowledged message.
    pub reference: Text,
    /// Its message type (S009 0065), e.g. "DESADV".
    pub message_type: Text,
    /// UNG 0048 of its group, when grouped.
    pub group: Option<Text>,
    pub verdict: Verdict,
    /// 0083 as received.
    pub code: Text,
    /// 0085 syntax error code, when the partner gave one.
    pub error_code: Option<Text>,
}

/// A TA1 or CONTRL received from a partner about an interchange Wharf sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterchangeAck {
    pub kind: InterchangeAckKind,
    /// ISA13 (TA101) or UNB 0020 (UCI 0020) of the interchange acknowledged.
    pub interchange_control: Text,
    /// TA102 / TA103: the date and time of the interchange acknowledged.
    pub date: Option<Text>,
    pub time: Option<Text>,
    /// CONTRL UCI S002 / S003: the acknowledged interchange's sender and recipient as the
    /// partner names them (so Wharf as sender). None for a TA1, which names no parties: the
    /// envelope around it (`source`) says who sent it to whom.
    pub sender: Option<Text>,
    pub recipient: Option<Text>,
    pub verdict: Verdict,
    /// TA104 or UCI 0083 as received.
    pub code: Text,
    /// TA105 note code, or UCI 0085 syntax error code.
    pub note_code: Option<Text>,
    /// CONTRL UCM per message; empty for a TA1.
    pub messages: Vec<MessageVerdict>,
    /// The envelope the acknowledgement itself came in.
    pub source: SourceRef,
}
