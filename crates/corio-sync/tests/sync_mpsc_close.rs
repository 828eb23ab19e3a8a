//! No order of close, reserve, send and drop loses a message: each message is received,
//! or handed back to its sender as an error, or dropped with the receiver (tokio's
//! `Receiver::close` semantics: `recv` returns `None` only once nothing is buffered and
//! no permit reserved before the close is outstanding).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::Poll;

use corio_sync::mpsc::{self, TryRecvError, TrySendError};
use corio_test_util::{count_waker, poll_with, DropCounter, DropToken};
use futures::executor::block_on;

#[test]
fn reserve_close_send_delivers_then_ends() {
    let (tx, mut rx) = mpsc::channel::<i32>(2);
    let permit = block_on(tx.reserve()).unwrap();
    rx.close();
    // Not the end yet: the permit may still send.
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    permit.send(1);
    assert_eq!(block_on(rx.recv()), Some(1));
    assert_eq!(block_on(rx.recv()), None);
}

#[test]
fn reserve_close_drop_permit_ends() {
    let (tx, mut rx) = mpsc::channel::<i32>(2);
    let permit = block_on(tx.reserve()).unwrap();
    rx.close();
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    drop(permit);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    assert_eq!(block_on(rx.recv()), None);
}

#[test]
fn close_then_reserve_fails() {
    let (tx, mut rx) = mpsc::channel::<i32>(2);
    rx.close();
    assert!(block_on(tx.reserve()).is_err());
    assert!(matches!(tx.try_reserve(), Err(TrySendError::Closed(()))));
    assert!(block_on(tx.reserve_many(2)).is_err());
    assert!(block_on(tx.clone().reserve_owned()).is_err());
    assert_eq!(block_on(tx.send(3)).unwrap_err().0, 3);
    assert_eq!(tx.try_send(4).unwrap_err().into_inner(), 4);
    assert_eq!(block_on(rx.recv()), None);
}

#[test]
fn reserve_send_close_delivers() {
    let (tx, mut rx) = mpsc::channel::<i32>(2);
    block_on(tx.reserve()).unwrap().send(1);
    rx.close();
    assert_eq!(block_on(rx.recv()), Some(1));
    assert_eq!(block_on(rx.recv()), None);
}

#[test]
fn a_parked_receiver_is_woken_by_the_permit_send_after_close() {
    let (tx, mut rx) = mpsc::channel::<i32>(1);
    let permit = tx.try_reserve().unwrap();
    rx.close();
    let (count, waker) = count_waker();
    {
        let mut recv = Box::pin(rx.recv());
        assert_eq!(poll_with(&mut recv, &waker), Poll::Pending);
        permit.send(5);
        assert_eq!(count.count(), 1);
        assert_eq!(poll_with(&mut recv, &waker), Poll::Ready(Some(5)));
    }
    assert_eq!(block_on(rx.recv()), None);
}

#[test]
fn a_parked_receiver_is_woken_by_the_permit_drop_after_close() {
    let (tx, mut rx) = mpsc::channel::<i32>(1);
    let permit = tx.try_reserve().unwrap();
    rx.close();
    let (count, waker) = count_waker();
    let mut recv = Box::pin(rx.recv());
    assert_eq!(poll_with(&mut recv, &waker), Poll::Pending);
    drop(permit);
    assert_eq!(count.count(), 1);
    assert_eq!(poll_with(&mut recv, &waker), Poll::Ready(None));
}

#[test]
fn close_before_a_parked_receiver_polls_again_with_a_permit_out() {
    // The receiver parks first (open channel), then closes, then the permit drops.
    let (tx, mut rx) = mpsc::channel::<i32>(1);
    let permit = tx.try_reserve().unwrap();
    let (count, waker) = count_waker();
    {
        let mut recv = Box::pin(rx.recv());
        assert_eq!(poll_with(&mut recv, &waker), Poll::Pending);
    }
    rx.close();
    let mut recv = Box::pin(rx.recv());
    assert_eq!(poll_with(&mut recv, &waker), Poll::Pending);
    drop(permit);
    assert!(count.count() >= 1);
    assert_eq!(poll_with(&mut recv, &waker), Poll::Ready(None));
}

#[test]
fn owned_permit_send_after_close_delivers() {
    let (tx, mut rx) = mpsc::channel::<i32>(1);
    let permit = block_on(tx.clone().reserve_owned()).unwrap();
    rx.close();
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    let tx2 = permit.send(8);
    assert_eq!(block_on(rx.recv()), Some(8));
    drop((tx, tx2));
    assert_eq!(block_on(rx.recv()), None);
}

#[test]
fn owned_permit_release_after_close_ends() {
    let (tx, mut rx) = mpsc::channel::<i32>(1);
    let permit = tx.try_reserve_owned().unwrap();
    rx.close();
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    let tx = permit.release();
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    drop(tx);
}

#[test]
fn permit_iterator_after_close_delivers_what_is_sent_and_ends_on_drop() {
    let (tx, mut rx) = mpsc::channel::<i32>(3);
    let mut permits = tx.try_reserve_many(3).unwrap();
    rx.close();
    permits.next().unwrap().send(1);
    assert_eq!(block_on(rx.recv()), Some(1));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty)); // two slots still out
    drop(permits);
    assert_eq!(block_on(rx.recv()), None);
}

#[test]
fn every_sender_dropped_with_buffered_messages_and_closed() {
    let (tx, mut rx) = mpsc::channel::<i32>(3);
    tx.try_send(1).unwrap();
    rx.close();
    drop(tx);
    assert_eq!(block_on(rx.recv()), Some(1));
    assert_eq!(block_on(rx.recv()), None);
}

#[test]
fn permit_send_after_receiver_drop_drops_the_message_once() {
    let drops = DropCounter::new();
    let (tx, rx) = mpsc::channel::<DropToken>(1);
    let permit = tx.try_reserve().unwrap();
    drop(rx);
    permit.send(drops.token());
    assert_eq!(drops.drops(), 0, "held until the channel goes");
    drop(tx);
    assert_eq!(drops.drops(), 1);
}

#[test]
fn unbounded_send_then_close_delivers_and_close_then_send_hands_back() {
    let (tx, mut rx) = mpsc::unbounded_channel::<i32>();
    tx.send(1).unwrap();
    rx.close();
    assert_eq!(tx.send(2).unwrap_err().0, 2);
    assert!(tx.is_closed() && rx.is_closed());
    assert_eq!(block_on(rx.recv()), Some(1));
    assert_eq!(block_on(rx.recv()), None);
}

/// Senders on threads race with the receiver's close: every message is either received
/// or handed back, never both, never neither.
#[test]
#[cfg_attr(miri, ignore)]
fn close_racing_senders_loses_nothing() {
    for round in 0..200 {
        for bounded in [true, false] {
            let sent = Arc::new(AtomicUsize::new(0));
            let refused = Arc::new(AtomicUsize::new(0));
            let (btx, mut brx) = mpsc::channel::<usize>(4);
            let (utx, mut urx) = mpsc::unbounded_channel::<usize>();
            let threads: Vec<_> = (0..3)
                .map(|_| {
                    let (btx, utx) = (btx.clone(), utx.clone());
                    let (sent, refused) = (sent.clone(), refused.clone());
                    std::thread::spawn(move || {
                        for i in 0..50 {
                            let ok = if bounded {
                                match btx.try_reserve() {
                                    Ok(p) => {
                                        std::hint::spin_loop();
                                        p.send(i);
                                        true
                                    }
                                    Err(TrySendError::Full(())) => continue,
                                    Err(TrySendError::Closed(())) => false,
                                }
                            } else {
                                utx.send(i).is_ok()
                            };
                            if ok {
                                sent.fetch_add(1, Ordering::SeqCst);
                            } else {
                                refused.fetch_add(1, Ordering::SeqCst);
                            }
                        }
                    })
                })
                .collect();
            drop((btx, utx));
            let mut got = 0;
            let stop_at = round % 20;
            let recv = |got: &mut usize,
                        brx: &mut mpsc::Receiver<usize>,
                        urx: &mut mpsc::UnboundedReceiver<usize>| {
                if bounded {
                    block_on(brx.recv()).map(|_| *got += 1)
                } else {
                    block_on(urx.recv()).map(|_| *got += 1)
                }
            };
            for _ in 0..stop_at {
                if recv(&mut got, &mut brx, &mut urx).is_none() {
                    break;
                }
            }
            brx.close();
            urx.close();
            while recv(&mut got, &mut brx, &mut urx).is_some() {}
            for t in threads {
                t.join().unwrap();
            }
            assert_eq!(
                got,
                sent.load(Ordering::SeqCst),
                "round {round}, bounded {bounded}: a sent message was not received"
            );
        }
    }
}
