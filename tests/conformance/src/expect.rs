//! Outcomes as data: what a fixture's run produced, the expected outcome files
//! (`<fixture>.expected.toml`, written by blessing), and their comparison field by field.

use serde::{Deserialize, Serialize};
use vmhost_abi::{Receipt, WaveRecord};

/// A fixture's outcome: every wave's roots and receipts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    /// One per wave.
    #[serde(rename = "wave")]
    pub waves: Vec<WaveOutcome>,
}

/// One wave's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaveOutcome {
    /// The state root after the wave (hex).
    pub state_root: String,
    /// The events root (hex).
    pub events_root: String,
    /// The wave's gas.
    pub gas_used: u64,
    /// One per transaction.
    #[serde(rename = "receipt")]
    pub receipts: Vec<ReceiptOutcome>,
}

/// One receipt's consensus fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptOutcome {
    /// `Success`, `Reverted`, `Trapped`, `Failed` or `Invalid`.
    pub status: String,
    /// The code's name.
    pub code: String,
    /// Gas used.
    pub gas_used: u64,
    /// Return (or revert) data, hex.
    pub return_data: String,
    /// A deploy's contract address, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract_address: Option<String>,
    /// Events, in order.
    #[serde(default, rename = "event", skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<EventOutcome>,
}

/// One event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventOutcome {
    /// Emitting contract, hex.
    pub contract: String,
    /// Topic, hex.
    pub topic: String,
    /// Data, hex.
    pub data: String,
}

impl ReceiptOutcome {
    /// The consensus fields of `r`.
    pub fn of(r: &Receipt) -> Self {
        ReceiptOutcome {
            status: format!("{:?}", r.status),
            code: r.code.name().to_string(),
            gas_used: r.gas_used,
            return_data: hex::encode(&r.return_data),
            contract_address: r.contract_address.map(|a| hex::encode(a.0)),
            events: r
                .events
                .iter()
                .map(|e| EventOutcome {
                    contract: hex::encode(e.contract.0),
                    topic: hex::encode(e.topic),
                    data: hex::encode(&e.data),
                })
                .collect(),
        }
    }
}

impl WaveOutcome {
    /// The outcome of a committed wave.
    pub fn of(record: &WaveRecord, receipts: &[Receipt]) -> Self {
        WaveOutcome {
            state_root: hex::encode(record.state_root),
            events_root: hex::encode(record.events_root),
            gas_used: record.gas_used,
            receipts: receipts.iter().map(ReceiptOutcome::of).collect(),
        }
    }
}

/// One field that differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The wave (0-based).
    pub wave: usize,
    /// The transaction within it (`None`: a wave field).
    pub tx: Option<usize>,
    /// The field (`gas_used`, `event[1].data`, `state_root`, ...).
    pub field: String,
    /// What was expected.
    pub expected: String,
    /// What came out.
    pub actual: String,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.tx {
            Some(t) => {
                write!(f, "wave {} tx {} {}: expected {}, got {}", self.wave, t, self.field, self.expected, self.actual)
            }
            None => write!(f, "wave {} {}: expected {}, got {}", self.wave, self.field, self.expected, self.actual),
        }
    }
}

/// Every field where `actual` differs from `expected`.
pub fn compare(expected: &Outcome, actual: &Outcome) -> Vec<Mismatch> {
    let mut out = Vec::new();
    let mut push = |wave, tx, field: String, e: String, a: String| {
        if e != a {
            out.push(Mismatch { wave, tx, field, expected: e, actual: a });
        }
    };
    push(0, None, "waves".into(), expected.waves.len().to_string(), actual.waves.len().to_string());
    for (w, (e, a)) in expected.waves.iter().zip(&actual.waves).enumerate() {
        push(w, None, "receipts".into(), e.receipts.len().to_string(), a.receipts.len().to_string());
        for (t, (e, a)) in e.receipts.iter().zip(&a.receipts).enumerate() {
            let t = Some(t);
            push(w, t, "status".into(), e.status.clone(), a.status.clone());
            push(w, t, "code".into(), e.code.clone(), a.code.clone());
            push(w, t, "gas_used".into(), e.gas_used.to_string(), a.gas_used.to_string());
            push(w, t, "return_data".into(), e.return_data.clone(), a.return_data.clone());
            push(
                w,
                t,
                "contract_address".into(),
                format!("{:?}", e.contract_address),
                format!("{:?}", a.contract_address),
            );
            push(w, t, "events".into(), e.events.len().to_string(), a.events.len().to_string());
            for (i, (ee, ae)) in e.events.iter().zip(&a.events).enumerate() {
                push(w, t, format!("event[{i}].contract"), ee.contract.clone(), ae.contract.clone());
                push(w, t, format!("event[{i}].topic"), ee.topic.clone(), ae.topic.clone());
                push(w, t, format!("event[{i}].data"), ee.data.clone(), ae.data.clone());
            }
        }
        push(w, None, "gas_used".into(), e.gas_used.to_string(), a.gas_used.to_string());
        push(w, None, "events_root".into(), e.events_root.clone(), a.events_root.clone());
        push(w, None, "state_root".into(), e.state_root.clone(), a.state_root.clone());
    }
    out
}
