//! Real parts for tests: the `dynoxide-rs` DynamoDB-compatible engine served
//! over loopback HTTP and reached through the real `aws-sdk-dynamodb` client,
//! and a JWT issuer with a real JWKS endpoint.
//!
//! Only tests and the local run depend on this crate; no Lambda binary
//! links the emulator (DESIGN §2).

mod engine;
mod faults;
pub mod issuer;

pub use engine::Engine;
pub use faults::{Fault, FaultProxy};
pub use issuer::TestIssuer;
