//! The link, permission and positional calls of `fs`, and their errors.
#![cfg(not(miri))]

use std::io::ErrorKind;
use std::os::unix::fs::PermissionsExt;

use corio_reactor::fs::{self, OpenOptions};
use corio_test_util::TempDir;
use futures::io::AsyncWriteExt;

#[corio::test(start_paused = true)]
async fn links_and_their_errors() {
    let tmp = TempDir::new("fs-links");
    let d = tmp.path();
    fs::write(d.join("f"), "x").await.unwrap();
    fs::symlink("f", d.join("s")).await.unwrap();
    assert!(fs::symlink_metadata(d.join("s"))
        .await
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        fs::read_link(d.join("s")).await.unwrap(),
        std::path::Path::new("f")
    );
    let err = fs::symlink("f", d.join("s")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists);
    let err = fs::read_link(d.join("f")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let err = fs::hard_link(d.join("missing"), d.join("h"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    fs::hard_link(d.join("f"), d.join("h")).await.unwrap();
    assert_eq!(fs::read(d.join("h")).await.unwrap(), b"x");
    // A dangling link cannot be canonicalized.
    fs::symlink("nowhere", d.join("dangling")).await.unwrap();
    let err = fs::canonicalize(d.join("dangling")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    fs::remove_dir_all(&d).await.unwrap();
}

#[corio::test(start_paused = true)]
async fn canonicalize_resolves_a_symlink_chain_to_the_real_path() {
    let tmp = TempDir::new("fs-canon");
    // The temporary directory's own real path (it may sit under a symlinked /tmp).
    let d = std::fs::canonicalize(tmp.path()).unwrap();
    fs::create_dir(d.join("sub")).await.unwrap();
    fs::write(d.join("sub/real"), "x").await.unwrap();
    // first -> dir/second, dir -> sub, sub/second -> ../sub/./real: three links, one
    // of them a directory, relative targets with `..` and `.`.
    fs::symlink("sub", d.join("dir")).await.unwrap();
    fs::symlink("../sub/./real", d.join("sub/second"))
        .await
        .unwrap();
    fs::symlink("dir/second", d.join("first")).await.unwrap();
    let real = d.join("sub").join("real");
    assert_eq!(fs::canonicalize(d.join("first")).await.unwrap(), real);
    // Reached through `..` and the directory link as well.
    assert_eq!(
        fs::canonicalize(d.join("dir/../dir/./second"))
            .await
            .unwrap(),
        real
    );
    // A path without links comes back as it is; a directory link gives the directory.
    assert_eq!(fs::canonicalize(&real).await.unwrap(), real);
    assert_eq!(
        fs::canonicalize(d.join("dir")).await.unwrap(),
        d.join("sub")
    );
    fs::remove_dir_all(&d).await.unwrap();
}

#[corio::test(start_paused = true)]
async fn set_permissions_changes_the_mode() {
    let tmp = TempDir::new("fs-perm");
    let d = tmp.path();
    let p = d.join("f");
    fs::write(p.clone(), "x").await.unwrap();
    fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640))
        .await
        .unwrap();
    assert_eq!(
        fs::metadata(&p).await.unwrap().permissions().mode() & 0o777,
        0o640
    );
    let err = fs::set_permissions(d.join("missing"), std::fs::Permissions::from_mode(0o600))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    fs::remove_dir_all(&d).await.unwrap();
}

#[corio::test(start_paused = true)]
async fn positional_io_leaves_the_cursor_alone() {
    let tmp = TempDir::new("fs-at");
    let d = tmp.path();
    let mut f = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(d.join("f"))
        .await
        .unwrap();
    f.write_all(b"0123456789").await.unwrap(); // buffered: read_at waits for it
    assert_eq!(f.read_at(3, 2).await.unwrap(), b"234");
    f.write_all_at(b"ab".to_vec(), 8).await.unwrap();
    assert_eq!(
        f.read_at(100, 5).await.unwrap(),
        b"567ab",
        "short at end of file"
    );
    assert!(
        f.read_at(4, 1000).await.unwrap().is_empty(),
        "nothing past the end"
    );
    // The cursor is still after "0123456789": a write continues there.
    f.write_all(b"Z").await.unwrap();
    f.flush().await.unwrap();
    assert_eq!(fs::read(d.join("f")).await.unwrap(), b"01234567abZ");
    fs::remove_dir_all(&d).await.unwrap();
}
