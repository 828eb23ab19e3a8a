//! [`Interest`] (what to wait for) and [`Ready`] (what the reactor reported).

use std::fmt;
use std::ops::BitOr;

use super::scheduled_io::{ERROR, READABLE, READ_CLOSED, WRITABLE, WRITE_CLOSED};

/// The readiness to wait for in `ready(interest)`: [`READABLE`](Interest::READABLE),
/// [`WRITABLE`](Interest::WRITABLE), or both (`Interest::READABLE | Interest::WRITABLE`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Interest(u8);

impl Interest {
    /// Readable, or the peer closed its writing side, or an error is pending.
    pub const READABLE: Interest = Interest(1);
    /// Writable, or the writing side is closed, or an error is pending.
    pub const WRITABLE: Interest = Interest(2);

    /// Whether readability is of interest.
    pub const fn is_readable(self) -> bool {
        self.0 & 1 != 0
    }
    /// Whether writability is of interest.
    pub const fn is_writable(self) -> bool {
        self.0 & 2 != 0
    }
}

impl BitOr for Interest {
    type Output = Interest;
    fn bitor(self, other: Interest) -> Interest {
        Interest(self.0 | other.0)
    }
}

impl fmt::Debug for Interest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.is_readable(), self.is_writable()) {
            (true, true) => f.write_str("READABLE | WRITABLE"),
            (true, false) => f.write_str("READABLE"),
            _ => f.write_str("WRITABLE"),
        }
    }
}

/// The readiness the reactor reported, as returned by `ready(interest)`. It stays set
/// until an operation returns `WouldBlock` (for example `try_read`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Ready(usize);

impl Ready {
    pub(crate) fn from_bits(bits: usize) -> Ready {
        Ready(bits & (READABLE | WRITABLE | READ_CLOSED | WRITE_CLOSED | ERROR))
    }
    /// Data (or end-of-stream, or an error) can be read.
    pub fn is_readable(&self) -> bool {
        self.0 & (READABLE | READ_CLOSED | ERROR) != 0
    }
    /// Data can be written (or the write would fail at once).
    pub fn is_writable(&self) -> bool {
        self.0 & (WRITABLE | WRITE_CLOSED | ERROR) != 0
    }
    /// The peer closed its writing side: reads return end-of-stream.
    pub fn is_read_closed(&self) -> bool {
        self.0 & READ_CLOSED != 0
    }
    /// The writing side is closed: writes fail.
    pub fn is_write_closed(&self) -> bool {
        self.0 & WRITE_CLOSED != 0
    }
    /// An error is pending on the socket.
    pub fn is_error(&self) -> bool {
        self.0 & ERROR != 0
    }
}

impl fmt::Debug for Ready {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ready")
            .field("readable", &self.is_readable())
            .field("writable", &self.is_writable())
            .field("read_closed", &self.is_read_closed())
            .field("write_closed", &self.is_write_closed())
            .finish()
    }
}
