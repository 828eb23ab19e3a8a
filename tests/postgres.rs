//! tokio-postgres on corio (through the `tokio-io` feature) against a real PostgreSQL
//! server that each test starts in a temporary directory: a pool of 8 connections under
//! 50 concurrent tasks, a transaction rolled back when its task is cancelled, a query
//! cancelled by a corio timeout (and stopped on the server), and the server stopped
//! mid-query. In CI (`CI` set) a missing PostgreSQL fails the test.

use std::sync::Arc;
use std::time::Duration;

use corio_examples::pg::{connect, Pool, TestServer};

use tokio_postgres::NoTls;

/// Starts a server on the blocking pool, or `None` (outside CI) without PostgreSQL.
async fn server() -> Option<TestServer> {
    match corio::to_thread(TestServer::start).await.unwrap() {
        Ok(s) => Some(s),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && std::env::var_os("CI").is_none() => {
            eprintln!("SKIPPED: {e}");
            None
        }
        Err(e) => panic!("cannot start PostgreSQL: {e}"),
    }
}

/// A bound on every wait, so a bug fails the test instead of hanging it.
const LIMIT: Duration = Duration::from_secs(60);

#[test]
fn a_pool_of_8_serves_1000_queries_from_50_tasks() {
    corio::run(async {
        let Some(pg) = server().await else { return };
        let pool = Pool::new(pg.config(), pg.addr(), 8);
        let mut tasks = Vec::new();
        for t in 0..50i32 {
            let pool = pool.clone();
            tasks.push(corio::spawn(async move {
                for q in 0..20i32 {
                    let client = pool.get().await.unwrap();
                    let row = client
                        .query_one(
                            "SELECT $1::int4 * 1000 + $2::int4, pg_backend_pid()",
                            &[&t, &q],
                        )
                        .await
                        .unwrap();
                    assert_eq!(row.get::<_, i32>(0), t * 1000 + q);
                }
            }));
        }
        corio::timeout(LIMIT, corio::gather(tasks))
            .await
            .unwrap()
            .into_iter()
            .for_each(|r| r.unwrap());
        assert!(
            pool.opened() <= 8,
            "the pool opened {} connections",
            pool.opened()
        );
        // The server agrees: at most 8 client sessions exist.
        let client = pool.get().await.unwrap();
        let n: i64 = client
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        assert!((1..=8).contains(&n), "{n} sessions");
    });
}

#[test]
fn a_cancelled_task_rolls_its_transaction_back() {
    corio::run(async {
        let Some(pg) = server().await else { return };
        // One connection, so the task and the check below share the same session: had
        // the transaction stayed open, that session would see its own uncommitted row.
        let pool = Pool::new(pg.config(), pg.addr(), 1);
        pool.get()
            .await
            .unwrap()
            .batch_execute("CREATE TABLE t (v int)")
            .await
            .unwrap();

        let (inserted_tx, inserted) = corio::sync::oneshot::channel::<()>();
        let p2 = pool.clone();
        let task = corio::spawn(async move {
            let mut client = p2.get().await.unwrap();
            let tx = client.transaction().await.unwrap();
            tx.execute("INSERT INTO t VALUES (1)", &[]).await.unwrap();
            inserted_tx.send(()).unwrap();
            std::future::pending::<()>().await; // never commits
            tx.commit().await.unwrap();
        });
        inserted.await.unwrap();
        task.abort(); // drops the Transaction (tokio-postgres queues ROLLBACK), then the client
        assert!(task.await.unwrap_err().is_cancelled());

        let client = corio::timeout(LIMIT, pool.get()).await.unwrap().unwrap();
        assert_eq!(pool.opened(), 1, "the same connection came back");
        let n: i64 = client
            .query_one("SELECT count(*) FROM t", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(
            n, 0,
            "the cancelled transaction's row is visible: not rolled back"
        );
        let in_tx: i64 = client
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE state LIKE 'idle in transaction%'",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(in_tx, 0);
        // The session works normally: autocommit again.
        client
            .execute("INSERT INTO t VALUES (2)", &[])
            .await
            .unwrap();
        let n: i64 = client
            .query_one("SELECT count(*) FROM t", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(n, 1);
    });
}

#[test]
fn a_corio_timeout_cancels_a_query_on_the_server() {
    corio::run(async {
        let Some(pg) = server().await else { return };
        let client = connect(&pg.config(), pg.addr()).await.unwrap();
        let token = client.cancel_token();
        let slow = client.query_one("SELECT pg_sleep(600)", &[]);
        let res = corio::timeout(Duration::from_millis(200), slow).await;
        assert!(res.is_err(), "pg_sleep(600) finished within 200 ms?");
        // The dropped future does not stop the server; a cancel request does.
        let stream = corio::net::TcpStream::connect(pg.addr()).await.unwrap();
        token.cancel_query_raw(stream, NoTls).await.unwrap();
        // The connection is usable again long before the 600 s sleep would end.
        let row = corio::timeout(LIMIT, client.query_one("SELECT 41 + 1", &[]))
            .await
            .expect("the connection is free again: the server stopped the sleep")
            .unwrap();
        assert_eq!(row.get::<_, i32>(0), 42);
    });
}

#[test]
fn the_server_stopping_mid_query_fails_that_query_and_the_pool_recovers() {
    corio::run(async {
        let Some(pg) = server().await else { return };
        let pg = Arc::new(std::sync::Mutex::new(pg));
        let (config, addr) = {
            let pg = pg.lock().unwrap();
            (pg.config(), pg.addr())
        };
        let pool = Pool::new(config, addr, 8);
        let client = pool.get().await.unwrap();
        client.query_one("SELECT 1", &[]).await.unwrap();
        let in_flight = corio::spawn(async move {
            let res = client.query_one("SELECT pg_sleep(600)", &[]).await;
            (res, client)
        });
        corio::sleep(Duration::from_millis(200)).await;
        let pg2 = pg.clone();
        corio::to_thread(move || pg2.lock().unwrap().stop())
            .await
            .unwrap();
        let (res, client) = corio::timeout(LIMIT, in_flight).await.unwrap().unwrap();
        let err = res.expect_err("the query survived the server's shutdown");
        // "terminating connection due to administrator command" (57P01), or the EOF.
        eprintln!("the in-flight query failed with: {err:?}");
        // The server has exited: the connection task sees the EOF and the client closes.
        corio::timeout(LIMIT, async {
            while !client.is_closed() {
                corio::sleep(Duration::from_millis(10)).await;
            }
        })
        .await
        .expect("the client is marked closed once the server is gone");
        drop(client); // back to the pool: dropped there, being closed
                      // While the server is down: a clear connect error, no hang.
        let down = corio::timeout(LIMIT, pool.get()).await.unwrap();
        assert!(down.is_err());
        // Back up: the pool drops the dead client and connects afresh.
        let pg2 = pg.clone();
        corio::to_thread(move || pg2.lock().unwrap().start_again())
            .await
            .unwrap()
            .unwrap();
        let client = corio::timeout(LIMIT, pool.get()).await.unwrap().unwrap();
        let row = client.query_one("SELECT 7", &[]).await.unwrap();
        assert_eq!(row.get::<_, i32>(0), 7);
        assert_eq!(pool.opened(), 2);
    });
}

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/26_database_postgres.rs"]
mod ex26_postgres;

/// The example prints with `std::println!`: it runs in a child process (this test, re-run
/// with `CORIO_PG_EXAMPLE_CHILD` set) whose stdout is read back.
#[test]
fn the_26_database_postgres_example_prints_what_the_sqlite_one_does() {
    const CHILD_ENV: &str = "CORIO_PG_EXAMPLE_CHILD";
    corio_test_util::as_child(CHILD_ENV, |_| {
        corio::run(async {
            let Some(pg) = server().await else { return };
            ex26_postgres::main_async(pg.addr()).await.unwrap();
        })
    });
    let lines = corio_test_util::run_child(
        "the_26_database_postgres_example_prints_what_the_sqlite_one_does",
        CHILD_ENV,
        "1",
    );
    if lines.is_empty() {
        return; // skipped: no PostgreSQL outside CI
    }
    assert_eq!(
        lines,
        [
            "Fetched 3 users",
            "1: Ada",
            "2: Grace",
            "3: Guido",
            "Concurrent queries returned [2, 4, 6]",
        ]
    );
}
