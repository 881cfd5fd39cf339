//! Counts DynamoDB operations made through a client, by operation name.
//!
//! The number of store calls per decision is a contract (DESIGN §5); tests
//! and benchmarks attach this interceptor to the real SDK client and check
//! the count. It counts executions (what the code asked for), not retry
//! attempts.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;

/// Operations whose count is a read in the DESIGN §5 budget.
const READS: &[&str] = &[
    "GetItem",
    "Query",
    "BatchGetItem",
    "Scan",
    "TransactGetItems",
];

/// A cloneable handle; every clone shares one tally.
#[derive(Debug, Clone, Default)]
pub struct CallCounter(Arc<Mutex<BTreeMap<String, u64>>>);

impl CallCounter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Calls per operation name since the last reset.
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.0.lock().map(|m| m.clone()).unwrap_or_default()
    }

    pub fn count(&self, operation: &str) -> u64 {
        self.snapshot().get(operation).copied().unwrap_or(0)
    }

    pub fn total(&self) -> u64 {
        self.snapshot().values().sum()
    }

    pub fn reads(&self) -> u64 {
        let s = self.snapshot();
        READS.iter().filter_map(|op| s.get(*op)).sum()
    }

    pub fn writes(&self) -> u64 {
        self.total() - self.reads()
    }

    pub fn reset(&self) {
        if let Ok(mut m) = self.0.lock() {
            m.clear();
        }
    }
}

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "CallCounter"
    }

    /// Runs once per operation, after serialisation and before the retry
    /// loop. The DynamoDB JSON protocol names the operation in `X-Amz-Target`
    /// (`DynamoDB_20120810.GetItem`).
    fn read_after_serialization(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let op = context
            .request()
            .headers()
            .get("x-amz-target")
            .and_then(|t| t.rsplit('.').next())
            .unwrap_or("unknown")
            .to_owned();
        if let Ok(mut m) = self.0.lock() {
            *m.entry(op).or_default() += 1;
        }
        Ok(())
    }
}
