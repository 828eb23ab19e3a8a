//! `tokio/tests/sync_mpsc.rs`, translated.

use std::sync::Arc;

use corio::sync::mpsc::{self, TryRecvError, TrySendError};
use futures::StreamExt;

use corio_test_util::{assert_pending, assert_ready, spawn};

#[corio::test(start_paused = true)]
async fn send_recv_with_buffer() {
    let (tx, mut rx) = mpsc::channel::<i32>(16);
    tx.send(1).await.unwrap();
    tx.send(2).await.unwrap();
    drop(tx);
    assert_eq!(rx.recv().await, Some(1));
    assert_eq!(rx.recv().await, Some(2));
    assert_eq!(rx.recv().await, None);
}

#[corio::test(start_paused = true)]
async fn reserve_disarm() {
    let (tx, mut rx) = mpsc::channel::<i32>(2);
    let tx1 = tx.clone();
    let tx2 = tx.clone();
    let tx3 = tx.clone();
    let tx4 = tx;
    // Put two permits in use.
    let permit1 = tx1.reserve().await.unwrap();
    let permit2 = tx2.reserve().await.unwrap();
    // The third and fourth wait.
    let mut r3 = spawn(tx3.reserve());
    assert_pending!(r3.poll());
    let mut r4 = spawn(tx4.reserve());
    assert_pending!(r4.poll());
    // Sending through a permit does not free a slot.
    permit1.send(100);
    assert!(!r3.is_woken());
    assert_pending!(r3.poll());
    // Dropping an unused permit does.
    drop(permit2);
    assert!(r3.is_woken());
    let permit3 = assert_ready!(r3.poll()).unwrap();
    assert_pending!(r4.poll());
    // Receiving frees a slot for the fourth.
    assert_eq!(rx.recv().await, Some(100));
    assert!(r4.is_woken());
    assert!(assert_ready!(r4.poll()).is_ok());
    drop(permit3);
}

#[corio::test(start_paused = true)]
async fn send_recv_stream_with_buffer() {
    let (tx, rx) = mpsc::channel::<i32>(16);
    let mut rx = rx; // corio's receivers are streams themselves
    let _sender = corio::spawn(async move {
        tx.send(1).await.unwrap();
        tx.send(2).await.unwrap();
    });
    assert_eq!(rx.next().await, Some(1));
    assert_eq!(rx.next().await, Some(2));
    assert_eq!(rx.next().await, None);
}

#[corio::test(start_paused = true)]
async fn async_send_recv_with_buffer() {
    let (tx, mut rx) = mpsc::channel(16);
    let _sender = corio::spawn(async move {
        tx.send(1).await.unwrap();
        tx.send(2).await.unwrap();
    });
    assert_eq!(rx.recv().await, Some(1));
    assert_eq!(rx.recv().await, Some(2));
    assert_eq!(rx.recv().await, None);
}

#[corio::test(start_paused = true)]
async fn async_send_recv_many_with_buffer() {
    let (tx, mut rx) = mpsc::channel(2);
    let mut buffer = Vec::<i32>::with_capacity(3);
    // With `limit=0` does not sleep, returns immediately
    assert_eq!(0, rx.recv_many(&mut buffer, 0).await);
    let handle = corio::spawn(async move {
        tx.send(1).await.unwrap();
        tx.send(2).await.unwrap();
        tx.send(7).await.unwrap();
        tx.send(0).await.unwrap();
    });
    let limit = 3;
    let mut recv_count = 0usize;
    while recv_count < 4 {
        recv_count += rx.recv_many(&mut buffer, limit).await;
        assert_eq!(buffer.len(), recv_count);
    }
    assert_eq!(vec![1, 2, 7, 0], buffer);
    assert_eq!(0, rx.recv_many(&mut buffer, limit).await);
    handle.await.unwrap();
}

#[corio::test(start_paused = true)]
async fn start_send_past_cap() {
    let (tx1, mut rx) = mpsc::channel(1);
    let tx2 = tx1.clone();
    tx1.try_send(()).unwrap();
    let mut r1 = spawn(tx1.reserve());
    assert_pending!(r1.poll());
    {
        let mut r2 = spawn(tx2.reserve());
        assert_pending!(r2.poll());
        drop(r1);
        assert!(rx.recv().await.is_some());
        assert!(r2.is_woken());
    }
    drop(tx1);
    drop(tx2);
    assert!(rx.recv().await.is_none());
}

#[test]
#[should_panic(expected = "capacity of at least 1")]
fn buffer_gteq_one() {
    let _ = mpsc::channel::<i32>(0);
}

#[corio::test(start_paused = true)]
async fn send_recv_unbounded() {
    let (tx, mut rx) = mpsc::unbounded_channel::<i32>();
    tx.send(1).unwrap();
    tx.send(2).unwrap();
    assert_eq!(rx.recv().await, Some(1));
    assert_eq!(rx.recv().await, Some(2));
    drop(tx);
    assert!(rx.recv().await.is_none());
}

#[corio::test(start_paused = true)]
async fn send_recv_many_unbounded() {
    let (tx, mut rx) = mpsc::unbounded_channel::<i32>();
    let mut buffer: Vec<i32> = Vec::new();
    assert_eq!(0, rx.recv_many(&mut buffer, 0).await);
    assert_eq!(0, buffer.len());
    tx.send(7).unwrap();
    tx.send(13).unwrap();
    tx.send(100).unwrap();
    tx.send(1002).unwrap();
    assert_eq!(0, rx.recv_many(&mut buffer, 0).await);
    assert_eq!(2, rx.recv_many(&mut buffer, 2).await);
    assert_eq!(2, rx.recv_many(&mut buffer, 2).await);
    assert_eq!(vec![7, 13, 100, 1002], buffer);
    let mut count = 0;
    while count < 4 {
        count += 1;
        tx.send(count).unwrap();
    }
    drop(tx);
    assert_eq!(4, rx.recv_many(&mut buffer, 8).await);
    assert_eq!(0, rx.recv_many(&mut buffer, 8).await);
    assert_eq!(buffer[4..], [1, 2, 3, 4]);
}

#[corio::test(start_paused = true)]
async fn async_send_recv_unbounded() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let _sender = corio::spawn(async move {
        tx.send(1).unwrap();
        tx.send(2).unwrap();
    });
    assert_eq!(Some(1), rx.recv().await);
    assert_eq!(Some(2), rx.recv().await);
    assert_eq!(None, rx.recv().await);
}

#[corio::test(start_paused = true)]
async fn send_recv_stream_unbounded() {
    let (tx, mut rx) = mpsc::unbounded_channel::<i32>();
    let _sender = corio::spawn(async move {
        tx.send(1).unwrap();
        tx.send(2).unwrap();
    });
    assert_eq!(Some(1), rx.next().await);
    assert_eq!(Some(2), rx.next().await);
    assert_eq!(None, rx.next().await);
}

#[corio::test(start_paused = true)]
async fn no_t_bounds_buffer() {
    struct NoImpls;
    let (tx, mut rx) = mpsc::channel(100);
    // sender should be Debug even though T isn't Debug
    let _ = format!("{tx:?}");
    // same with Receiver
    let _ = format!("{rx:?}");
    // and sender should be Clone even though T isn't Clone
    assert!(tx.clone().try_send(NoImpls).is_ok());
    assert!(rx.recv().await.is_some());
}

#[corio::test(start_paused = true)]
async fn no_t_bounds_unbounded() {
    struct NoImpls;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let _ = format!("{tx:?}");
    let _ = format!("{rx:?}");
    assert!(tx.clone().send(NoImpls).is_ok());
    assert!(rx.recv().await.is_some());
}

#[corio::test(start_paused = true)]
async fn send_recv_buffer_limited() {
    let (tx, mut rx) = mpsc::channel::<i32>(1);
    // Reserve capacity
    let p1 = tx.reserve().await.unwrap();
    // Send first message
    p1.send(1);
    // Not ready
    let mut p2 = spawn(tx.reserve());
    assert_pending!(p2.poll());
    // Take the value
    assert!(rx.recv().await.is_some());
    // Notified
    assert!(p2.is_woken());
    // Trying to send fails
    assert!(tx.try_send(1337).is_err());
    // Send second
    let permit = assert_ready!(p2.poll()).unwrap();
    permit.send(2);
    assert!(rx.recv().await.is_some());
}

#[corio::test(start_paused = true)]
async fn recv_close_gets_none_idle() {
    let (tx, mut rx) = mpsc::channel::<i32>(10);
    rx.close();
    assert!(rx.recv().await.is_none());
    assert!(tx.send(1).await.is_err());
}

#[corio::test(start_paused = true)]
async fn recv_close_gets_none_reserved() {
    let (tx1, mut rx) = mpsc::channel::<i32>(1);
    let tx2 = tx1.clone();
    let permit1 = tx1.reserve().await.unwrap();
    let mut permit2 = spawn(tx2.reserve());
    assert_pending!(permit2.poll());
    rx.close();
    assert!(permit2.is_woken());
    assert!(assert_ready!(permit2.poll()).is_err());
    {
        let mut recv = spawn(rx.recv());
        assert_pending!(recv.poll());
        permit1.send(123);
        assert!(recv.is_woken());
        let v = assert_ready!(recv.poll());
        assert_eq!(v, Some(123));
    }
    assert!(rx.recv().await.is_none());
}

#[corio::test(start_paused = true)]
async fn tx_close_gets_none() {
    let (_, mut rx) = mpsc::channel::<i32>(10);
    assert!(rx.recv().await.is_none());
}

#[corio::test(start_paused = true)]
async fn try_send_fail() {
    let (tx, mut rx) = mpsc::channel(1);
    tx.try_send("hello").unwrap();
    // This should fail
    match tx.try_send("fail") {
        Err(TrySendError::Full(v)) => assert_eq!(v, "fail"),
        other => panic!("{other:?}"),
    }
    assert_eq!(rx.recv().await, Some("hello"));
    tx.try_send("goodbye").unwrap();
    drop(tx);
    assert_eq!(rx.recv().await, Some("goodbye"));
    assert!(rx.recv().await.is_none());
}

#[corio::test(start_paused = true)]
async fn try_send_fail_with_try_recv() {
    let (tx, mut rx) = mpsc::channel(1);
    tx.try_send("hello").unwrap();
    assert!(matches!(
        tx.try_send("fail"),
        Err(TrySendError::Full("fail"))
    ));
    assert_eq!(rx.try_recv(), Ok("hello"));
    tx.try_send("goodbye").unwrap();
    drop(tx);
    assert_eq!(rx.try_recv(), Ok("goodbye"));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
}

#[corio::test(start_paused = true)]
async fn reserve_many_above_cap() {
    const MAX_PERMITS: usize = corio::sync::Semaphore::MAX_PERMITS;
    let (tx, _rx) = mpsc::channel::<()>(1);
    assert!(tx.reserve_many(2).await.is_err());
    assert!(tx.reserve_many(MAX_PERMITS + 1).await.is_err());
    assert!(tx.reserve_many(usize::MAX).await.is_err());
}

#[corio::test(start_paused = true)]
async fn try_reserve_many_zero() {
    let (tx, rx) = mpsc::channel::<()>(1);
    // Succeeds when not closed.
    assert!(tx.try_reserve_many(0).unwrap().next().is_none());
    // Even when channel is full.
    tx.send(()).await.unwrap();
    assert!(tx.try_reserve_many(0).unwrap().next().is_none());
    drop(rx);
    // Closed error when closed.
    assert!(matches!(
        tx.try_reserve_many(0),
        Err(TrySendError::Closed(()))
    ));
}

#[corio::test(start_paused = true)]
async fn reserve_many_zero() {
    let (tx, rx) = mpsc::channel::<()>(1);
    // Succeeds when not closed.
    assert!(tx.reserve_many(0).await.unwrap().next().is_none());
    // Even when channel is full.
    tx.send(()).await.unwrap();
    assert!(tx.reserve_many(0).await.unwrap().next().is_none());
    drop(rx);
    // Closed error when closed.
    assert!(tx.reserve_many(0).await.is_err());
}

#[corio::test(start_paused = true)]
async fn try_reserve_many_edge_cases() {
    const MAX_PERMITS: usize = corio::sync::Semaphore::MAX_PERMITS;
    let (tx, rx) = mpsc::channel::<()>(1);
    let mut permit = tx.try_reserve_many(0).unwrap();
    assert!(permit.next().is_none());
    let permit = tx.try_reserve_many(MAX_PERMITS + 1);
    assert!(matches!(permit, Err(TrySendError::Full(()))));
    let permit = tx.try_reserve_many(usize::MAX);
    assert!(matches!(permit, Err(TrySendError::Full(()))));
    // Dropping the receiver should close the channel
    drop(rx);
    assert!(tx.reserve_many(0).await.is_err());
}

#[corio::test(start_paused = true)]
async fn try_reserve_fails() {
    let (tx, mut rx) = mpsc::channel(1);
    let permit = tx.try_reserve().unwrap();
    // This should fail
    assert!(matches!(tx.try_reserve(), Err(TrySendError::Full(()))));
    permit.send("foo");
    assert_eq!(rx.recv().await, Some("foo"));
    // Dropping permit releases the slot.
    let permit = tx.try_reserve().unwrap();
    drop(permit);
    let _permit = tx.try_reserve().unwrap();
}

#[corio::test(start_paused = true)]
async fn reserve_many_and_send() {
    let (tx, mut rx) = mpsc::channel(100);
    for i in 0..100 {
        for permit in tx.reserve_many(i).await.unwrap() {
            permit.send("foo");
            assert_eq!(rx.recv().await, Some("foo"));
        }
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    }
}

#[corio::test(start_paused = true)]
async fn try_reserve_many_and_send() {
    let (tx, mut rx) = mpsc::channel(100);
    for i in 0..100 {
        for permit in tx.try_reserve_many(i).unwrap() {
            permit.send("foo");
            assert_eq!(rx.recv().await, Some("foo"));
        }
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    }
}

#[corio::test(start_paused = true)]
async fn reserve_many_on_closed_channel() {
    let (tx, rx) = mpsc::channel::<()>(100);
    drop(rx);
    assert!(tx.reserve_many(10).await.is_err());
}

#[corio::test(start_paused = true)]
async fn try_reserve_many_on_closed_channel() {
    let (tx, rx) = mpsc::channel::<usize>(100);
    drop(rx);
    assert!(matches!(
        tx.try_reserve_many(10),
        Err(TrySendError::Closed(()))
    ));
}

#[corio::test(start_paused = true)]
async fn try_reserve_many_full() {
    // Reserve n capacity and send k messages
    for n in 1..100 {
        for k in 0..n {
            let (tx, mut rx) = mpsc::channel::<usize>(n);
            let permits = tx.try_reserve_many(n).unwrap();
            assert_eq!(permits.len(), n);
            assert_eq!(tx.capacity(), 0);
            assert!(matches!(
                tx.try_reserve_many(1),
                Err(TrySendError::Full(()))
            ));
            for permit in permits.take(k) {
                permit.send(0);
            }
            // We only used k permits on the n reserved
            assert_eq!(tx.capacity(), n - k);
            // We can reserve more permits
            assert!(tx.try_reserve_many(1).is_ok());
            // But not more than the current capacity
            assert!(matches!(
                tx.try_reserve_many(n - k + 1),
                Err(TrySendError::Full(()))
            ));
            for _ in 0..k {
                assert_eq!(rx.recv().await, Some(0));
            }
            // Now that we've received everything, capacity should be back to n
            assert_eq!(tx.capacity(), n);
        }
    }
}

#[corio::test(start_paused = true)]
async fn dropping_rx_closes_channel() {
    let (tx, rx) = mpsc::channel(100);
    let msg = Arc::new(());
    tx.try_send(msg.clone()).unwrap();
    drop(rx);
    assert!(tx.reserve().await.is_err());
    assert_eq!(1, Arc::strong_count(&msg));
}

#[test]
fn dropping_rx_closes_channel_for_try() {
    let (tx, rx) = mpsc::channel(100);
    let msg = Arc::new(());
    tx.try_send(msg.clone()).unwrap();
    drop(rx);
    assert!(matches!(
        tx.try_send(msg.clone()),
        Err(TrySendError::Closed(_))
    ));
    assert!(matches!(tx.try_reserve(), Err(TrySendError::Closed(_))));
    assert!(matches!(
        tx.try_reserve_owned(),
        Err(TrySendError::Closed(_))
    ));
    assert_eq!(1, Arc::strong_count(&msg));
}

#[test]
fn unconsumed_messages_are_dropped() {
    let msg = Arc::new(());
    let (tx, rx) = mpsc::channel(100);
    tx.try_send(msg.clone()).unwrap();
    assert_eq!(2, Arc::strong_count(&msg));
    drop((tx, rx));
    assert_eq!(1, Arc::strong_count(&msg));
}

#[test]
fn blocking_recv() {
    let (tx, mut rx) = mpsc::channel::<u8>(1);
    let sync_code = std::thread::spawn(move || {
        assert_eq!(Some(10), rx.blocking_recv());
    });
    corio::Runtime::builder()
        .current_thread()
        .build()
        .unwrap()
        .block_on(async move {
            let _ = tx.send(10).await;
        });
    sync_code.join().unwrap()
}

#[corio::test(start_paused = true)]
#[should_panic(expected = "cannot block the current thread from within a runtime")]
async fn blocking_recv_async() {
    let (_tx, mut rx) = mpsc::channel::<()>(1);
    let _ = rx.blocking_recv();
}

#[test]
fn blocking_send() {
    let (tx, mut rx) = mpsc::channel::<u8>(1);
    let sync_code = std::thread::spawn(move || {
        tx.blocking_send(10).unwrap();
    });
    corio::Runtime::builder()
        .current_thread()
        .build()
        .unwrap()
        .block_on(async move {
            assert_eq!(Some(10), rx.recv().await);
        });
    sync_code.join().unwrap()
}

#[corio::test(start_paused = true)]
#[should_panic(expected = "cannot block the current thread from within a runtime")]
async fn blocking_send_async() {
    let (tx, _rx) = mpsc::channel::<()>(1);
    let _ = tx.blocking_send(());
}

#[corio::test(start_paused = true)]
async fn ready_close_cancel_bounded() {
    let (tx, mut rx) = mpsc::channel::<()>(100);
    let _tx2 = tx.clone();
    let permit = tx.reserve().await.unwrap();
    rx.close();
    let mut recv = spawn(rx.recv());
    assert_pending!(recv.poll());
    permit.send(());
    assert!(recv.is_woken());
    let val = assert_ready!(recv.poll());
    assert!(val.is_some());
}

#[corio::test(start_paused = true)]
async fn permit_available_not_acquired_close() {
    let (tx1, mut rx) = mpsc::channel::<()>(1);
    let tx2 = tx1.clone();
    let permit1 = tx1.reserve().await.unwrap();
    let mut permit2 = spawn(tx2.reserve());
    assert_pending!(permit2.poll());
    rx.close();
    drop(permit1);
    assert!(permit2.is_woken());
    drop(permit2);
    assert!(rx.recv().await.is_none());
}

#[test]
fn try_recv_bounded() {
    let (tx, mut rx) = mpsc::channel(5);
    tx.try_send("hello").unwrap();
    tx.try_send("hello").unwrap();
    tx.try_send("hello").unwrap();
    tx.try_send("hello").unwrap();
    tx.try_send("hello").unwrap();
    assert!(tx.try_send("hello").is_err());
    assert_eq!(Ok("hello"), rx.try_recv());
    assert_eq!(Ok("hello"), rx.try_recv());
    assert_eq!(Ok("hello"), rx.try_recv());
    assert_eq!(Ok("hello"), rx.try_recv());
    assert_eq!(Ok("hello"), rx.try_recv());
    assert_eq!(Err(TryRecvError::Empty), rx.try_recv());
    tx.try_send("hello").unwrap();
    tx.try_send("hello").unwrap();
    tx.try_send("hello").unwrap();
    tx.try_send("hello").unwrap();
    assert_eq!(Ok("hello"), rx.try_recv());
    tx.try_send("hello").unwrap();
    tx.try_send("hello").unwrap();
    assert!(tx.try_send("hello").is_err());
    for _ in 0..5 {
        assert_eq!(Ok("hello"), rx.try_recv());
    }
    assert_eq!(Err(TryRecvError::Empty), rx.try_recv());
    tx.try_send("hello").unwrap();
    tx.try_send("hello").unwrap();
    tx.try_send("hello").unwrap();
    drop(tx);
    for _ in 0..3 {
        assert_eq!(Ok("hello"), rx.try_recv());
    }
    assert_eq!(Err(TryRecvError::Disconnected), rx.try_recv());
}

#[test]
fn try_recv_unbounded() {
    for num in 0..100 {
        let (tx, mut rx) = mpsc::unbounded_channel();
        for i in 0..num {
            tx.send(i).unwrap();
        }
        for i in 0..num {
            assert_eq!(rx.try_recv(), Ok(i));
        }
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        drop(tx);
        assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    }
}

#[test]
fn try_recv_close_while_empty_bounded() {
    let (tx, mut rx) = mpsc::channel::<()>(5);
    assert_eq!(Err(TryRecvError::Empty), rx.try_recv());
    drop(tx);
    assert_eq!(Err(TryRecvError::Disconnected), rx.try_recv());
}

#[test]
fn try_recv_close_while_empty_unbounded() {
    let (tx, mut rx) = mpsc::unbounded_channel::<()>();
    assert_eq!(Err(TryRecvError::Empty), rx.try_recv());
    drop(tx);
    assert_eq!(Err(TryRecvError::Disconnected), rx.try_recv());
}

#[corio::test(start_paused = true)]
async fn recv_timeout() {
    use corio::sync::mpsc::SendTimeoutError::{Closed, Timeout};
    use std::time::Duration;
    let (tx, rx) = mpsc::channel(5);
    assert_eq!(tx.send_timeout(10, Duration::from_secs(1)).await, Ok(()));
    assert_eq!(tx.send_timeout(20, Duration::from_secs(1)).await, Ok(()));
    assert_eq!(tx.send_timeout(30, Duration::from_secs(1)).await, Ok(()));
    assert_eq!(tx.send_timeout(40, Duration::from_secs(1)).await, Ok(()));
    assert_eq!(tx.send_timeout(50, Duration::from_secs(1)).await, Ok(()));
    let start = corio::time::Instant::now();
    assert_eq!(
        tx.send_timeout(60, Duration::from_secs(1)).await,
        Err(Timeout(60))
    );
    assert_eq!(start.elapsed(), Duration::from_secs(1)); // the paused clock moved 1 s
    drop(rx);
    assert_eq!(
        tx.send_timeout(70, Duration::from_secs(1)).await,
        Err(Closed(70))
    );
}

#[corio::test(start_paused = true)]
async fn test_tx_capacity() {
    let (tx, _rx) = mpsc::channel::<()>(10);
    // both capacities are same before
    assert_eq!(tx.capacity(), 10);
    assert_eq!(tx.max_capacity(), 10);
    let _permit = tx.reserve().await.unwrap();
    // after reserve, only capacity should drop by one
    assert_eq!(tx.capacity(), 9);
    assert_eq!(tx.max_capacity(), 10);
    tx.send(()).await.unwrap();
    // after send, capacity should drop by one again
    assert_eq!(tx.capacity(), 8);
    assert_eq!(tx.max_capacity(), 10);
}

#[corio::test(start_paused = true)]
async fn test_rx_is_closed_when_calling_close_with_sender() {
    // is_closed should return true after calling close but still has a sender
    let (_tx, mut rx) = mpsc::channel::<()>(10);
    rx.close();
    assert!(rx.is_closed());
}

#[corio::test(start_paused = true)]
async fn test_rx_is_closed_when_dropping_all_senders() {
    // is_closed should return true after dropping all senders
    let (tx, rx) = mpsc::channel::<()>(10);
    let another_tx = tx.clone();
    let task = corio::spawn(async move {
        drop(another_tx);
    });
    drop(tx);
    task.await.unwrap();
    assert!(rx.is_closed());
}

#[corio::test(start_paused = true)]
async fn test_rx_is_not_closed_when_there_are_senders() {
    // is_closed should return false when there is a sender
    let (_tx, rx) = mpsc::channel::<()>(10);
    assert!(!rx.is_closed());
}

#[corio::test(start_paused = true)]
async fn test_rx_is_closed_when_there_are_messages_and_close_is_called() {
    // is_closed should return true when there are messages in the buffer
    let (tx, mut rx) = mpsc::channel::<()>(10);
    tx.send(()).await.unwrap();
    rx.close();
    assert!(rx.is_closed());
}

#[corio::test(start_paused = true)]
async fn test_rx_is_empty_when_no_messages_were_sent() {
    let (_tx, rx) = mpsc::channel::<()>(10);
    assert!(rx.is_empty())
}

#[corio::test(start_paused = true)]
async fn test_rx_is_not_empty_when_there_are_messages_in_the_buffer() {
    let (tx, rx) = mpsc::channel::<()>(10);
    tx.send(()).await.unwrap();
    assert!(!rx.is_empty())
}

#[corio::test(start_paused = true)]
async fn test_rx_is_empty_when_all_messages_are_consumed() {
    let (tx, mut rx) = mpsc::channel::<()>(10);
    tx.send(()).await.unwrap();
    tx.send(()).await.unwrap();
    while rx.try_recv().is_ok() {}
    assert!(rx.is_empty())
}

#[corio::test(start_paused = true)]
async fn test_rx_len_on_empty_channel() {
    let (_tx, rx) = mpsc::channel::<()>(100);
    assert_eq!(rx.len(), 0);
}

#[corio::test(start_paused = true)]
async fn test_rx_len_when_consuming_all_messages() {
    let (tx, mut rx) = mpsc::channel::<()>(100);
    for i in 0..100 {
        tx.send(()).await.unwrap();
        assert_eq!(rx.len(), i + 1);
    }
    drop(tx);
    for i in (0..100).rev() {
        assert!(rx.recv().await.is_some());
        assert_eq!(rx.len(), i);
    }
}

#[corio::test(start_paused = true)]
async fn test_rx_len_when_close_is_called() {
    let (tx, mut rx) = mpsc::channel(100);
    tx.send(()).await.unwrap();
    rx.close();
    assert_eq!(rx.len(), 1);
}

#[corio::test(start_paused = true)]
async fn test_rx_unbounded_len_when_consuming_all_messages() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    for i in 0..100 {
        tx.send(()).unwrap();
        assert_eq!(rx.len(), i + 1);
    }
    drop(tx);
    for i in (0..100).rev() {
        assert!(rx.recv().await.is_some());
        assert_eq!(rx.len(), i);
    }
}

#[corio::test(start_paused = true)]
async fn test_tx_strong_and_weak_count() {
    // tokio's `sync_mpsc_weak.rs` counts, on the bounded channel.
    let (tx, _rx) = mpsc::channel::<()>(1);
    assert_eq!((tx.strong_count(), tx.weak_count()), (1, 0));
    let tx2 = tx.clone();
    let weak = tx.downgrade();
    assert_eq!((tx.strong_count(), tx.weak_count()), (2, 1));
    drop(tx2);
    let weak2 = weak.clone();
    assert_eq!((weak2.strong_count(), weak2.weak_count()), (1, 2));
    drop(tx);
    assert!(weak.upgrade().is_none());
}
