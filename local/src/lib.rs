//! `akua-local`: the whole API on loopback, assembled from the function
//! crates themselves.
//!
//! [`routes`] is the route table (checked against `template.yaml`), and
//! [`gateway`] plays API Gateway's part: it runs the authorizer in front of
//! each protected route with a REST `REQUEST` event, turns its answer into
//! 401/403 or a proxy event carrying the authorizer context, and hands that
//! event to the function's router through the same `lambda_http` path the
//! Lambda uses.

pub mod dev_issuer;
pub mod events;
pub mod gateway;
pub mod oidc;
pub mod routes;
pub mod server;
