//! Small helpers every layer may use, depending on nothing of ours: bounded request-body
//! reading ([`body`]) and safe file names and writes ([`files`]).

pub mod body;
pub mod files;
