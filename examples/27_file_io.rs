//! Seed: "When to Use Async" — file I/O (aiofiles).
//!
//! `corio::fs` runs file operations on the blocking pool, so the loop keeps serving
//! other tasks while the disk works; `File` implements `AsyncRead`/`AsyncWrite`.
use futures::io::{AsyncReadExt, AsyncWriteExt};
use std::io;
use std::path::Path;

async fn read_file(filename: &Path) -> io::Result<String> {
    // async with aiofiles.open(filename, 'r') as f: contents = await f.read()
    let mut f = corio::fs::File::open(filename).await?;
    let mut contents = String::new();
    f.read_to_string(&mut contents).await?;
    Ok(contents)
}

/// The example's async main.
pub async fn main_async() -> io::Result<()> {
    let dir = std::env::temp_dir().join(format!("corio-example-27-{}", std::process::id()));
    corio::fs::create_dir_all(&dir).await?;
    let path = dir.join("data.txt");

    let mut f = corio::fs::File::create(&path).await?;
    f.write_all(b"line 1\nline 2\nline 3\n").await?;
    f.flush().await?;
    drop(f);

    let contents = read_file(&path).await?;
    println!("Read {} lines from data.txt", contents.lines().count());
    for line in contents.lines() {
        println!("{line}");
    }

    corio::fs::remove_file(&path).await?;
    corio::fs::remove_dir(&dir).await?;
    Ok(())
}

fn main() -> io::Result<()> {
    corio::run(main_async())
}
