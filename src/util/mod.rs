//! Small helpers every layer may use, depending on nothing of ours: bounded request-body
//! reading ([`body`]), safe file names and writes ([`files`]) and W3C trace context
//! ([`traceparent`]).

pub mod body;
pub mod files;
pub mod traceparent;
