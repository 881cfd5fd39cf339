//! `akua-edge`: the I/O the core needs but never does itself
//! (docs/DESIGN.md, "A core that only decides").
//!
//! - [`settings`]: the core's configuration read from the process
//!   environment, once at start-up, and handed to it as values;
//! - [`fetch`]: [`akua_core::published_keys::KeySource`] over HTTPS with
//!   `reqwest` (an issuer's JWKS, a secret scanner's keys).
//!
//! The authorizer, the HTTP functions and the local run link it; the core
//! and the CLI do not.

#![cfg_attr(not(test), warn(clippy::wildcard_enum_match_arm))]

pub mod fetch;
pub mod settings;
