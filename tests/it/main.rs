//! The integration tests, one binary: one module per suite, sharing the test kit (a
//! fresh database per test, the `wharf` binary run as an operator or partner would, the
//! Odoo double). One binary, so the crate and the kit are compiled and linked once for all.

// Fixtures are tuples of what a test compares; naming each one would hide the comparison.
#![allow(clippy::type_complexity)]

#[macro_use]
mod kit;

mod admin;
mod as2;
mod browser;
mod cli;
mod durability;
mod events;
mod fleet;
mod full_disk;
mod gateway;
mod health;
mod hostile;
mod layering;
mod metrics;
mod odoo;
mod odoo_contract;
mod odoo_real;
mod onboarding;
mod operations;
mod outbound;
mod partner_files;
mod pipeline;
mod profiles;
mod sftp;
mod telemetry;
mod transfers;
mod translate_output;
mod x12_properties;
