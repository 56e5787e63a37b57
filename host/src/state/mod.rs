//! The state stack: per-transaction [`overlay`]s → the [`cache`] (DashMap wave cache) → the
//! persistent [`store`] (RocksDB, or in memory) with the [`commit`]ment (JMT) on top.

pub mod bytes;
pub mod cache;
pub mod commit;
pub mod overlay;
#[cfg(feature = "rocksdb")]
pub mod rocks;
pub mod store;

pub use bytes::StateBytes;
pub use cache::{Value, WaveCache};
pub use overlay::{Overlay, OverlayStack};
#[cfg(feature = "rocksdb")]
pub use rocks::RocksStore;
pub use store::{Column, MemStore, Store, WriteBatch};
