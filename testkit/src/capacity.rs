//! Write units a client's writes consume, on the base table and on each
//! index apart, as DynamoDB reports them.
//!
//! Attached to the engine's client beside the call counter: it asks every
//! write for `ReturnConsumedCapacity = INDEXES` and adds up what comes
//! back. The service's own requests are unchanged; this lets the tests and
//! `akua-bench` price the hot path's writes (SCALING.md, question 2).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::interceptors::{
    AfterDeserializationInterceptorContextRef, BeforeSerializationInterceptorContextMut,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_sdk_dynamodb::operation::delete_item::{DeleteItemInput, DeleteItemOutput};
use aws_sdk_dynamodb::operation::put_item::{PutItemInput, PutItemOutput};
use aws_sdk_dynamodb::operation::transact_write_items::{
    TransactWriteItemsInput, TransactWriteItemsOutput,
};
use aws_sdk_dynamodb::operation::update_item::{UpdateItemInput, UpdateItemOutput};
use aws_sdk_dynamodb::types::{ConsumedCapacity, ReturnConsumedCapacity};

/// Write units since the last reset.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WriteUnits {
    /// The base table's.
    pub table: f64,
    /// Each global secondary index's, by name (absent: nothing written).
    pub indexes: BTreeMap<String, f64>,
}

impl WriteUnits {
    /// One index's units (0 when it was never written).
    pub fn index(&self, name: &str) -> f64 {
        self.indexes.get(name).copied().unwrap_or(0.0)
    }

    fn add(&mut self, consumed: &ConsumedCapacity) {
        self.table += consumed
            .table()
            .and_then(|t| t.write_capacity_units().or(t.capacity_units()))
            .unwrap_or(0.0);
        for (name, capacity) in consumed.global_secondary_indexes().into_iter().flatten() {
            let units = capacity
                .write_capacity_units()
                .or(capacity.capacity_units())
                .unwrap_or(0.0);
            *self.indexes.entry(name.clone()).or_default() += units;
        }
    }
}

/// A cloneable handle; every clone shares one tally.
#[derive(Debug, Clone, Default)]
pub struct CapacityMeter(Arc<Mutex<WriteUnits>>);

impl CapacityMeter {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn writes(&self) -> WriteUnits {
        self.0.lock().map(|w| w.clone()).unwrap_or_default()
    }

    pub fn reset(&self) {
        if let Ok(mut w) = self.0.lock() {
            *w = WriteUnits::default();
        }
    }

    fn record<'a>(&self, consumed: impl IntoIterator<Item = &'a ConsumedCapacity>) {
        if let Ok(mut w) = self.0.lock() {
            consumed.into_iter().for_each(|c| w.add(c));
        }
    }
}

impl Intercept for CapacityMeter {
    fn name(&self) -> &'static str {
        "CapacityMeter"
    }

    fn modify_before_serialization(
        &self,
        context: &mut BeforeSerializationInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let input = context.input_mut();
        let indexes = Some(ReturnConsumedCapacity::Indexes);
        if let Some(i) = input.downcast_mut::<UpdateItemInput>() {
            i.return_consumed_capacity = indexes;
        } else if let Some(i) = input.downcast_mut::<PutItemInput>() {
            i.return_consumed_capacity = indexes;
        } else if let Some(i) = input.downcast_mut::<DeleteItemInput>() {
            i.return_consumed_capacity = indexes;
        } else if let Some(i) = input.downcast_mut::<TransactWriteItemsInput>() {
            i.return_consumed_capacity = indexes;
        }
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Ok(output) = context.output_or_error() else {
            return Ok(());
        };
        if let Some(o) = output.downcast_ref::<UpdateItemOutput>() {
            self.record(o.consumed_capacity());
        } else if let Some(o) = output.downcast_ref::<PutItemOutput>() {
            self.record(o.consumed_capacity());
        } else if let Some(o) = output.downcast_ref::<DeleteItemOutput>() {
            self.record(o.consumed_capacity());
        } else if let Some(o) = output.downcast_ref::<TransactWriteItemsOutput>() {
            self.record(o.consumed_capacity());
        }
        Ok(())
    }
}
