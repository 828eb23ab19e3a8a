//! Seed: "When to Use Async" — database queries, the PostgreSQL variant.
//!
//! `26_database.rs` calls SQLite's blocking driver through `corio::to_thread`, as asyncio
//! users do with a blocking driver. PostgreSQL has a truly asynchronous driver:
//! `tokio-postgres` runs on corio's own sockets (the facade's `tokio-io` feature; no tokio
//! runtime), its connection future is a corio task, and queries from many tasks share a
//! small pool of connections.
//!
//! ```text
//! cargo run --example 26_database_postgres                   # starts a throwaway server
//! cargo run --example 26_database_postgres -- 127.0.0.1:5432 # user and database `postgres`
//! ```
//!
//! With no argument it starts its own PostgreSQL (Debian's `postgresql` package, run as
//! the `postgres` user when started as root) in a temporary directory, and removes it at
//! the end. The table is a `TEMP` table: nothing is left on a server you point it at.
use corio_examples::pg::{Pool, TestServer};
use std::error::Error;
use std::net::SocketAddr;
use std::sync::Arc;

#[derive(Debug)]
struct User {
    id: i32,
    name: String,
}

// The same query as the SQLite variant, with an asynchronous driver: no thread is held
// while the server works.
async fn fetch_users(client: &tokio_postgres::Client) -> Result<Vec<User>, tokio_postgres::Error> {
    let rows = client
        .query("SELECT id, name FROM users ORDER BY id", &[])
        .await?;
    Ok(rows
        .iter()
        .map(|row| User {
            id: row.get(0),
            name: row.get(1),
        })
        .collect())
}

/// The example's async main, against the server at `addr` (user and database
/// `postgres`).
pub async fn main_async(addr: SocketAddr) -> Result<(), Box<dyn Error + Send + Sync>> {
    let mut config = tokio_postgres::Config::new();
    config.user("postgres").dbname("postgres");
    let pool = Pool::new(config, addr, 4);
    let client = pool.get().await?;
    client
        .batch_execute(
            "CREATE TEMP TABLE users (id serial PRIMARY KEY, name text NOT NULL);
             INSERT INTO users (name) VALUES ('Ada'), ('Grace'), ('Guido');",
        )
        .await?;
    let users = fetch_users(&client).await?;
    println!("Fetched {} users", users.len());
    for user in &users {
        println!("{}: {}", user.id, user.name);
    }
    drop(client);
    // Three queries at once over the pool: each task borrows a connection.
    let lengths = corio::try_gather((1..=3).map(|i: i32| {
        let pool: Arc<Pool> = pool.clone();
        async move {
            let client = pool.get().await?;
            let row = client
                .query_one("SELECT length(repeat('ab', $1))", &[&i])
                .await?;
            Ok::<i32, Box<dyn Error + Send + Sync>>(row.get(0))
        }
    }))
    .await?;
    println!("Concurrent queries returned {lengths:?}");
    Ok(())
}

fn main() -> Result<(), Box<dyn Error + Send + Sync>> {
    match std::env::args().nth(1) {
        Some(addr) => corio::run(main_async(addr.parse()?)),
        None => {
            let server = TestServer::start()?;
            corio::run(main_async(server.addr()))
        }
    }
}
