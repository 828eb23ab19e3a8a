//! The runtime's random numbers: a small seedable generator for scheduling choices
//! (which ready task runs next under `rng_seed`, steal victims, `select!`'s first
//! branch). xorshift64* seeded through splitmix64, so nearby seeds give unrelated
//! streams. Not for anything but scheduling.
//!
//! Code that needs a random choice calls [`context::random_below`](crate::context::random_below):
//! it draws from the current runtime's seeded stream when the runtime was built with a
//! seed (so the seed replays the choice), and from a per-thread generator otherwise.

/// A xorshift64* generator. Invariant: the state is never zero.
///
/// # Examples
///
/// ```
/// use corio_core::rand::FastRand;
///
/// let (mut a, mut b) = (FastRand::new(7), FastRand::new(7));
/// assert_eq!(a.below(10), b.below(10)); // one seed, one stream
/// ```
#[derive(Debug, Clone)]
pub struct FastRand(u64);

impl FastRand {
    /// A generator for `seed` (any value, zero included).
    pub fn new(seed: u64) -> Self {
        FastRand(Self::mix(seed))
    }

    /// The generator's state, to be stored elsewhere (e.g. in an atomic) and resumed
    /// with [`from_state`](Self::from_state).
    pub fn state(&self) -> u64 {
        self.0
    }

    /// Resumes a generator from [`state`](Self::state) (a zero state is replaced by a
    /// valid one).
    pub fn from_state(state: u64) -> Self {
        FastRand(if state == 0 { Self::mix(0) } else { state })
    }

    fn mix(seed: u64) -> u64 {
        // splitmix64: spreads the seed's bits; `| 1` keeps the state non-zero.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) | 1
    }

    /// The next 32 random bits.
    #[inline]
    pub fn next_u32(&mut self) -> u32 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) as u32
    }

    /// A number in `0..n` by multiply-shift (no division); 0 when `n` is 0.
    #[inline]
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u32() as u64 * n as u64) >> 32) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::FastRand;

    #[test]
    fn same_seed_same_stream_and_values_in_range() {
        let (mut a, mut b) = (FastRand::new(7), FastRand::new(7));
        let mut c = FastRand::new(8);
        let sa: Vec<_> = (0..64).map(|_| a.below(10)).collect();
        let sb: Vec<_> = (0..64).map(|_| b.below(10)).collect();
        let sc: Vec<_> = (0..64).map(|_| c.below(10)).collect();
        assert_eq!(sa, sb);
        assert_ne!(sa, sc);
        assert!(sa.iter().all(|&v| v < 10));
        // Every value of a small range shows up.
        for v in 0..10 {
            assert!(sa.contains(&v), "{v} missing from {sa:?}");
        }
        let mut zero = FastRand::new(0);
        assert!((0..16).map(|_| zero.next_u32()).any(|v| v != 0));
    }
}
