//! Seed: "When to Use Async" — database queries.
//!
//! The seed awaits an async driver (`await db.execute("SELECT * FROM users")`). Many real
//! drivers are blocking — SQLite's is — and asyncio users then call them through
//! `asyncio.to_thread`. corio does the same: the query runs on the blocking pool with
//! `corio::to_thread`, so the loop keeps serving other tasks while the database works.
//! `26_database_postgres.rs` is the same example on PostgreSQL, whose driver
//! (tokio-postgres on corio's sockets) is asynchronous all the way down.
use rusqlite::Connection;
use std::sync::{Arc, Mutex};

/// A blocking SQLite connection made awaitable: each call runs on the blocking pool.
#[derive(Clone)]
struct Db {
    conn: Arc<Mutex<Connection>>,
}

#[derive(Debug)]
struct User {
    id: i64,
    name: String,
}

impl Db {
    fn open_in_memory() -> rusqlite::Result<Db> {
        let conn = Connection::open_in_memory()?;
        conn.execute_batch(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
             INSERT INTO users (name) VALUES ('Ada'), ('Grace'), ('Guido');",
        )?;
        Ok(Db {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Runs `f` with the connection on the blocking pool.
    async fn execute<T, F>(&self, f: F) -> rusqlite::Result<T>
    where
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let conn = self.conn.clone();
        corio::to_thread(move || f(&conn.lock().unwrap_or_else(|e| e.into_inner())))
            .await
            .expect("the query closure does not panic")
    }
}

// Example with a blocking database driver behind corio::to_thread
async fn fetch_users(db: &Db) -> rusqlite::Result<Vec<User>> {
    db.execute(|conn| {
        let mut stmt = conn.prepare("SELECT id, name FROM users ORDER BY id")?;
        let rows = stmt.query_map([], |row| {
            Ok(User {
                id: row.get(0)?,
                name: row.get(1)?,
            })
        })?;
        rows.collect()
    })
    .await
}

/// The example's async main.
pub async fn main_async() -> rusqlite::Result<()> {
    let db = Db::open_in_memory()?;
    let users = fetch_users(&db).await?;
    println!("Fetched {} users", users.len());
    for user in &users {
        println!("{}: {}", user.id, user.name);
    }
    Ok(())
}

fn main() -> rusqlite::Result<()> {
    corio::run(main_async())
}
