//! [`StateBytes`]: the immutable byte string the state stack passes around.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// Values up to this many bytes are stored inline.
pub const INLINE_BYTES: usize = 32;

/// An immutable state value: inline up to [`INLINE_BYTES`] (no allocation; a clone is a copy),
/// shared behind an `Arc` above.
///
/// Most state values are small (an account record is 24 bytes, a storage slot 32), and the
/// wave cache is read and written at random: an inline value lives in the cache entry itself,
/// so a read costs one memory access instead of two, and no allocation, reference count or
/// free happens on the hot path.
#[derive(Clone)]
pub struct StateBytes(Repr);

#[derive(Clone)]
enum Repr {
    Inline { len: u8, buf: [u8; INLINE_BYTES] },
    Shared(Arc<[u8]>),
}

impl StateBytes {
    /// The bytes.
    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline { len, buf } => &buf[..usize::from(*len)],
            Repr::Shared(a) => a,
        }
    }
}

impl Deref for StateBytes {
    type Target = [u8];
    #[inline]
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl AsRef<[u8]> for StateBytes {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl From<&[u8]> for StateBytes {
    #[inline]
    fn from(bytes: &[u8]) -> Self {
        if bytes.len() <= INLINE_BYTES {
            let mut buf = [0u8; INLINE_BYTES];
            buf[..bytes.len()].copy_from_slice(bytes);
            Self(Repr::Inline { len: bytes.len() as u8, buf })
        } else {
            Self(Repr::Shared(Arc::from(bytes)))
        }
    }
}

impl From<Vec<u8>> for StateBytes {
    fn from(bytes: Vec<u8>) -> Self {
        if bytes.len() <= INLINE_BYTES {
            Self::from(&bytes[..])
        } else {
            Self(Repr::Shared(Arc::from(bytes)))
        }
    }
}

impl From<Arc<[u8]>> for StateBytes {
    fn from(bytes: Arc<[u8]>) -> Self {
        if bytes.len() <= INLINE_BYTES {
            Self::from(&bytes[..])
        } else {
            Self(Repr::Shared(bytes))
        }
    }
}

impl PartialEq for StateBytes {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for StateBytes {}

impl fmt::Debug for StateBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StateBytes({})", hex::encode(self.as_slice()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_values_are_inline_and_large_ones_shared_with_equal_bytes() {
        for len in [0usize, 1, 24, 32, 33, 1000] {
            let bytes: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let a = StateBytes::from(&bytes[..]);
            let b = StateBytes::from(bytes.clone());
            let c = StateBytes::from(Arc::<[u8]>::from(&bytes[..]));
            assert_eq!(&*a, &bytes[..]);
            assert_eq!(a, b);
            assert_eq!(b, c);
            assert_eq!(matches!(a.0, Repr::Inline { .. }), len <= INLINE_BYTES, "len {len}");
            assert_eq!(a.clone().to_vec(), bytes);
        }
        assert_ne!(StateBytes::from(&[1u8][..]), StateBytes::from(&[1u8, 0][..]), "length is part of the value");
    }
}
