//! Small helpers every layer may use, depending on nothing of ours: bounded request-body
//! reading ([`body`]), safe file names and writes ([`files`]), W3C trace context
//! ([`traceparent`]) and SSH key fingerprints ([`ssh`]).

pub mod body;
pub mod files;
pub mod ssh;
pub mod traceparent;
