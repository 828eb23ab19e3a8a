//! `tokio/tests/sync_oneshot.rs`, translated.

use corio::sync::oneshot::{self, TryRecvError};
use std::future::Future;
use std::pin::Pin;

use corio_test_util::{assert_pending, assert_ready, spawn};

#[test]
fn halves_are_send() {
    fn is_send<T: Send>() {}
    is_send::<oneshot::Sender<i32>>();
    is_send::<oneshot::Receiver<i32>>();
}

#[test]
fn send_recv() {
    let (tx, rx) = oneshot::channel();
    let mut rx = spawn(rx);
    assert_pending!(rx.poll());
    assert!(tx.send(1).is_ok());
    assert!(rx.is_woken());
    let val = assert_ready!(rx.poll()).unwrap();
    assert_eq!(val, 1);
}

#[corio::test(start_paused = true)]
async fn async_send_recv() {
    let (tx, rx) = oneshot::channel();
    assert!(tx.send(1).is_ok());
    assert_eq!(rx.await.unwrap(), 1);
}

#[test]
fn close_tx() {
    let (tx, rx) = oneshot::channel::<i32>();
    let mut rx = spawn(rx);
    assert_pending!(rx.poll());
    drop(tx);
    assert!(rx.is_woken());
    assert!(assert_ready!(rx.poll()).is_err());
}

#[test]
fn close_rx() {
    // First, without checking poll_closed()
    let (tx, _) = oneshot::channel();
    assert!(tx.send(1).is_err());
    // Second, via poll_closed();
    let (tx, rx) = oneshot::channel();
    let mut tx = spawn(async move {
        let mut tx = tx;
        futures::future::poll_fn(|cx| tx.poll_closed(cx)).await;
        tx
    });
    assert_pending!(tx.poll());
    drop(rx);
    assert!(tx.is_woken());
    let tx = assert_ready!(tx.poll());
    assert!(tx.is_closed());
    assert!(tx.send(1).is_err());
}

#[corio::test(start_paused = true)]
async fn async_rx_closed() {
    let (mut tx, rx) = oneshot::channel::<()>();
    let _dropper = corio::spawn(async move {
        drop(rx);
    });
    tx.closed().await;
}

#[test]
fn explicit_close_poll() {
    // First, with message sent
    let (tx, rx) = oneshot::channel();
    let (mut cancel_tx, cancel_rx) = oneshot::channel::<()>();
    assert!(tx.send(1).is_ok());
    let mut rx = spawn(rx);
    rx.fut().close();
    let value = assert_ready!(rx.poll()).unwrap();
    assert_eq!(value, 1);
    // Second, without the message sent
    let (tx, rx) = oneshot::channel::<i32>();
    let mut tx = spawn(async move {
        let mut tx = tx;
        futures::future::poll_fn(|cx| tx.poll_closed(cx)).await;
        tx
    });
    assert_pending!(tx.poll());
    let mut rx = spawn(rx);
    rx.fut().close();
    assert!(tx.is_woken());
    let tx = assert_ready!(tx.poll());
    assert!(tx.send(1).is_err());
    assert!(assert_ready!(rx.poll()).is_err());
    // Again, but without sending the value this time
    let mut cancel_tx_closed = spawn(async move {
        futures::future::poll_fn(|cx| cancel_tx.poll_closed(cx)).await;
    });
    assert_pending!(cancel_tx_closed.poll());
    let mut cancel_rx = spawn(cancel_rx);
    cancel_rx.fut().close();
    assert!(cancel_tx_closed.is_woken());
    assert_ready!(cancel_tx_closed.poll());
    assert!(assert_ready!(cancel_rx.poll()).is_err());
}

#[test]
fn explicit_close_try_recv() {
    // First, with message sent
    let (tx, mut rx) = oneshot::channel();
    assert!(tx.send(1).is_ok());
    rx.close();
    let val = rx.try_recv().unwrap();
    assert_eq!(1, val);
    // Second, without the message sent
    let (mut tx, mut rx) = oneshot::channel::<i32>();
    let mut closed = spawn(async move {
        tx.closed().await;
        tx
    });
    assert_pending!(closed.poll());
    rx.close();
    assert!(closed.is_woken());
    let tx = assert_ready!(closed.poll());
    assert!(tx.send(1).is_err());
    assert!(rx.try_recv().is_err());
}

#[test]
#[should_panic(expected = "polled after completion")]
fn close_try_recv_poll() {
    let (_tx, rx) = oneshot::channel::<i32>();
    let mut rx = spawn(rx);
    rx.fut().close();
    assert!(rx.fut().try_recv().is_err());
    let _ = rx.poll();
}

#[test]
fn close_after_recv() {
    let (tx, mut rx) = oneshot::channel::<i32>();
    tx.send(17).unwrap();
    assert_eq!(17, rx.try_recv().unwrap());
    rx.close();
}

#[test]
fn try_recv_after_completion() {
    let (tx, mut rx) = oneshot::channel::<i32>();
    tx.send(17).unwrap();
    assert_eq!(17, rx.try_recv().unwrap());
    assert_eq!(Err(TryRecvError::Closed), rx.try_recv());
    rx.close();
}

#[test]
fn try_recv_after_completion_await() {
    let (tx, rx) = oneshot::channel::<i32>();
    let mut rx = Box::pin(rx);
    tx.send(17).unwrap();
    assert_eq!(Ok(17), futures::executor::block_on(&mut rx));
    assert_eq!(Err(TryRecvError::Closed), rx.try_recv());
    rx.close();
}

#[test]
fn drops_tasks() {
    let (mut tx, mut rx) = oneshot::channel::<i32>();
    let mut tx_task = spawn(async move {
        tx.closed().await;
    });
    let mut rx_task = spawn(futures::future::poll_fn(|cx| Pin::new(&mut rx).poll(cx)));
    assert_pending!(tx_task.poll());
    assert_pending!(rx_task.poll());
    drop(tx_task);
    drop(rx_task);
}

#[test]
fn receiver_changes_task() {
    let (tx, mut rx) = oneshot::channel();
    let mut task1 = spawn(futures::future::poll_fn(|cx| Pin::new(&mut rx).poll(cx)));
    assert_pending!(task1.poll());
    drop(task1);
    let mut task2 = spawn(futures::future::poll_fn(|cx| Pin::new(&mut rx).poll(cx)));
    assert_pending!(task2.poll());
    tx.send(1).unwrap();
    assert!(task2.is_woken());
    assert_ready!(task2.poll()).unwrap();
}

#[test]
fn sender_changes_task() {
    let (mut tx, rx) = oneshot::channel::<i32>();
    let mut task1 = spawn(futures::future::poll_fn(|cx| tx.poll_closed(cx)));
    assert_pending!(task1.poll());
    drop(task1);
    let mut task2 = spawn(futures::future::poll_fn(|cx| tx.poll_closed(cx)));
    assert_pending!(task2.poll());
    drop(rx);
    assert!(task2.is_woken());
    assert_ready!(task2.poll());
}

#[test]
fn receiver_is_closed_send() {
    let (tx, rx) = oneshot::channel::<i32>();
    assert!(
        !rx.is_closed(),
        "channel is NOT closed before value is sent"
    );
    tx.send(17).unwrap();
    assert!(!rx.is_closed(), "channel is NOT closed after value is sent");
}

#[test]
fn receiver_is_closed_drop() {
    let (tx, rx) = oneshot::channel::<i32>();
    assert!(
        !rx.is_closed(),
        "channel is NOT closed before sender is dropped"
    );
    drop(tx);
    assert!(rx.is_closed(), "channel IS closed after sender is dropped");
}

#[test]
fn receiver_is_closed_rx_close() {
    let (_tx, mut rx) = oneshot::channel::<i32>();
    assert!(!rx.is_closed());
    rx.close();
    assert!(rx.is_closed());
}

#[test]
fn receiver_is_empty_send() {
    let (tx, mut rx) = oneshot::channel::<i32>();
    assert!(rx.is_empty(), "channel IS empty before value is sent");
    tx.send(17).unwrap();
    assert!(!rx.is_empty(), "channel is NOT empty after value is sent");
    let mut task = spawn(&mut rx);
    assert_ready!(task.poll()).unwrap();
    drop(task);
    assert!(rx.is_empty(), "channel IS empty after value is read");
}

#[test]
fn receiver_is_empty_try_recv() {
    let (tx, mut rx) = oneshot::channel::<i32>();
    assert!(rx.is_empty(), "channel IS empty before value is sent");
    tx.send(17).unwrap();
    assert!(!rx.is_empty(), "channel is NOT empty after value is sent");
    rx.try_recv().unwrap();
    assert!(rx.is_empty(), "channel IS empty after value is read");
}

#[test]
fn receiver_is_empty_drop() {
    let (tx, mut rx) = oneshot::channel::<i32>();
    assert!(rx.is_empty(), "channel IS empty before sender is dropped");
    drop(tx);
    assert!(rx.is_empty(), "channel IS empty after sender is dropped");
    let mut task = spawn(&mut rx);
    assert!(assert_ready!(task.poll()).is_err());
    drop(task);
    assert!(rx.is_empty(), "channel IS empty after value is read");
}

#[test]
fn receiver_is_empty_rx_close() {
    let (_tx, mut rx) = oneshot::channel::<i32>();
    assert!(rx.is_empty());
    rx.close();
    assert!(rx.is_empty());
}

#[test]
fn receiver_is_terminated_send() {
    let (tx, mut rx) = oneshot::channel::<i32>();
    assert!(
        !rx.is_terminated(),
        "channel is NOT terminated before value is sent"
    );
    tx.send(17).unwrap();
    assert!(
        !rx.is_terminated(),
        "channel is NOT terminated after value is sent"
    );
    let mut task = spawn(&mut rx);
    assert_ready!(task.poll()).unwrap();
    drop(task);
    assert!(
        rx.is_terminated(),
        "channel IS terminated after value is read"
    );
}

#[test]
fn blocking_recv() {
    // tokio: `blocking_recv` from a plain thread; inside a runtime it panics.
    let (tx, rx) = oneshot::channel::<u8>();
    let sync_code = std::thread::spawn(move || {
        assert_eq!(Ok(10), rx.blocking_recv());
    });
    tx.send(10).unwrap();
    sync_code.join().unwrap();
}

#[corio::test(start_paused = true)]
#[should_panic(expected = "cannot block the current thread from within a runtime")]
async fn blocking_recv_async() {
    let (_tx, rx) = oneshot::channel::<()>();
    let _ = rx.blocking_recv();
}
