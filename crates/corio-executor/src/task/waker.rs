//! The waker vtable over the raw task pointer: a `Waker` is one counted reference to
//! the task (state rule 6), with no extra allocation.

use std::mem::ManuallyDrop;
use std::ptr::NonNull;
use std::task::{RawWaker, RawWakerVTable, Waker};

use super::raw::{Header, WakerRef};
use super::state::ToNotified;
use super::Notified;

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_waker);

/// A waker lent for one poll: built over `ptr` without taking a reference.
///
/// # Safety
/// - The caller holds a reference to the task for as long as the `WakerRef` lives.
pub(crate) unsafe fn waker_ref(ptr: NonNull<Header>) -> WakerRef {
    let raw = RawWaker::new(ptr.as_ptr() as *const (), &VTABLE);
    // SAFETY: the vtable's contract holds for a task pointer; `ManuallyDrop` keeps this
    // borrowed waker from releasing a reference it never took.
    WakerRef(ManuallyDrop::new(unsafe { Waker::from_raw(raw) }))
}

/// # Safety
/// - `data` is a task header pointer with a reference held by the waker.
unsafe fn header<'a>(data: *const ()) -> &'a Header {
    // SAFETY: forwarded from the caller.
    unsafe { &*(data as *const Header) }
}

unsafe fn clone(data: *const ()) -> RawWaker {
    // SAFETY: the waker being cloned holds a reference.
    unsafe { header(data) }.state.ref_inc();
    RawWaker::new(data, &VTABLE)
}

unsafe fn wake(data: *const ()) {
    // SAFETY: the consumed waker holds a reference.
    let h = unsafe { header(data) };
    // SAFETY: data is a non-null task pointer.
    let ptr = unsafe { NonNull::new_unchecked(data as *mut Header) };
    match h.state.transition_to_notified_by_val() {
        ToNotified::DoNothing => {}
        ToNotified::Submit => {
            // SAFETY: the waker's reference moved to the `Notified`.
            let task = unsafe { Notified::from_raw(ptr) };
            h.scheduler.schedule(task, false);
        }
        ToNotified::Dealloc => {
            // SAFETY: the waker held the last reference.
            unsafe { (h.vtable.dealloc)(ptr) };
        }
    }
}

unsafe fn wake_by_ref(data: *const ()) {
    // SAFETY: the borrowed waker holds (or borrows) a live reference.
    let h = unsafe { header(data) };
    if h.state.transition_to_notified_by_ref() == ToNotified::Submit {
        // SAFETY: the transition took a new reference for the `Notified`.
        let task = unsafe { Notified::from_raw(NonNull::new_unchecked(data as *mut Header)) };
        h.scheduler.schedule(task, false);
    }
}

unsafe fn drop_waker(data: *const ()) {
    // SAFETY: the dropped waker held a reference; it is released exactly once here.
    let h = unsafe { header(data) };
    if h.state.ref_dec() {
        // SAFETY: that was the last reference.
        unsafe { (h.vtable.dealloc)(NonNull::new_unchecked(data as *mut Header)) };
    }
}
