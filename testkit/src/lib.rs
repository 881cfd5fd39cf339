//! What the tests, benchmarks and fuzz targets share.
//!
//! Always here: [`MemoryStore`], the one in-memory `DecisionStore`, with its
//! call counter, and [`records`], builders of the records the service
//! stores. With the default `servers` feature, the real parts the
//! end-to-end tests run against: the `dynoxide-rs` DynamoDB-compatible
//! engine served over loopback HTTP and reached through the real
//! `aws-sdk-dynamodb` client, a fault-injecting proxy in front of it that
//! can also record what each request asks of IAM, and a JWT issuer with a
//! real JWKS endpoint. The fuzz targets build without it
//! (`default-features = false`): they need the decision, not a server.
//!
//! Only tests, benchmarks, fuzzing and the local run depend on this crate;
//! no Lambda binary links the emulator (DESIGN §2).

mod memory;
pub mod records;

pub use memory::{Calls, MemoryStore};

#[cfg(feature = "servers")]
mod capacity;
#[cfg(feature = "servers")]
mod engine;
#[cfg(feature = "servers")]
mod faults;
#[cfg(feature = "servers")]
pub mod issuer;
#[cfg(feature = "servers")]
pub mod recorder;
#[cfg(feature = "servers")]
pub mod runtime_api;
#[cfg(feature = "servers")]
pub mod scanner;

#[cfg(feature = "servers")]
pub use capacity::{CapacityMeter, WriteUnits};
#[cfg(feature = "servers")]
pub use engine::Engine;
#[cfg(feature = "servers")]
pub use faults::{Fault, FaultProxy};
#[cfg(feature = "servers")]
pub use issuer::TestIssuer;
#[cfg(feature = "servers")]
pub use recorder::{Access, Recorder};
#[cfg(feature = "servers")]
pub use scanner::TestScanner;
