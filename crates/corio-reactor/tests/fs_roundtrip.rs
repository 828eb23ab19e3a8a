//! File-system round trips on the blocking pool (a thread-per-job test spawner).
// Sockets, epoll and processes are system calls Miri cannot run.
#![cfg(not(miri))]
mod support;

use corio_reactor::fs::{self, File, OpenOptions};
use corio_test_util::TempDir;
use futures::io::{
    AsyncBufReadExt, AsyncReadExt, AsyncSeekExt, AsyncWriteExt, BufReader, SeekFrom,
};
use futures::TryStreamExt;

#[test]
fn whole_file_helpers_round_trip() {
    let tmp = TempDir::new("fs-helpers");
    let dir = tmp.path();
    support::block_on(async {
        fs::create_dir_all(dir.join("a/b")).await.unwrap();
        let p = dir.join("a/b/x.txt");
        fs::write(p.clone(), "héllo").await.unwrap();
        assert_eq!(fs::read(&p).await.unwrap(), "héllo".as_bytes());
        assert_eq!(fs::read_to_string(&p).await.unwrap(), "héllo");
        assert_eq!(fs::metadata(&p).await.unwrap().len(), 6);
        assert_eq!(fs::copy(&p, dir.join("y.txt")).await.unwrap(), 6);
        fs::rename(dir.join("y.txt"), dir.join("z.txt"))
            .await
            .unwrap();
        assert_eq!(
            fs::read_to_string(dir.join("z.txt")).await.unwrap(),
            "héllo"
        );
        fs::remove_file(dir.join("z.txt")).await.unwrap();
        let err = fs::read(dir.join("z.txt")).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
        fs::write(dir.join("bad"), vec![0xff, 0xfe]).await.unwrap();
        let err = fs::read_to_string(dir.join("bad")).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
        fs::remove_dir_all(&dir).await.unwrap();
        assert!(fs::metadata(&dir).await.is_err());
    });
}

#[test]
fn read_dir_streams_every_entry() {
    let tmp = TempDir::new("fs-readdir");
    let dir = tmp.path();
    support::block_on(async {
        fs::create_dir_all(&dir).await.unwrap();
        // More than one batch (32) of entries.
        for i in 0..70 {
            fs::write(dir.join(format!("f{i:03}")), vec![0u8; i])
                .await
                .unwrap();
        }
        fs::create_dir(dir.join("sub")).await.unwrap();
        let entries: Vec<_> = fs::read_dir(&dir)
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        let mut names: Vec<String> = entries
            .iter()
            .map(|e| e.file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names.len(), 71);
        assert_eq!(names[0], "f000");
        assert_eq!(names[70], "sub");
        let sub = entries.iter().find(|e| e.file_name() == "sub").unwrap();
        assert!(sub.file_type().await.unwrap().is_dir());
        let f5 = entries.iter().find(|e| e.file_name() == "f005").unwrap();
        assert_eq!(f5.metadata().await.unwrap().len(), 5);
        assert_eq!(f5.path(), dir.join("f005"));
        fs::remove_dir_all(&dir).await.unwrap();
    });
}

#[test]
fn file_read_write_seek() {
    let tmp = TempDir::new("fs-file");
    let dir = tmp.path();
    let p = dir.join("data");
    support::block_on(async {
        let mut f = File::create(&p).await.unwrap();
        let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        f.write_all(&big).await.unwrap();
        f.write_all(b"\nline two\n").await.unwrap();
        f.flush().await.unwrap();
        drop(f);

        let mut f = File::open(&p).await.unwrap();
        let mut head = vec![0u8; 1000];
        f.read_exact(&mut head).await.unwrap();
        assert_eq!(head, big[..1000]);
        // Seek relative to what we have seen, not to the read-ahead.
        assert_eq!(f.seek(SeekFrom::Current(0)).await.unwrap(), 1000);
        assert_eq!(f.seek(SeekFrom::Start(2_999_999)).await.unwrap(), 2_999_999);
        let mut lines = BufReader::new(f).lines();
        assert_eq!(
            lines.try_next().await.unwrap().unwrap(),
            String::from_utf8(vec![big[2_999_999]]).unwrap()
        );
        assert_eq!(lines.try_next().await.unwrap().unwrap(), "line two");
        assert!(lines.try_next().await.unwrap().is_none());

        // Read, then write at the position the reader saw.
        let mut f = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&p)
            .await
            .unwrap();
        let mut four = [0u8; 4];
        f.read_exact(&mut four).await.unwrap();
        f.write_all(b"XY").await.unwrap();
        f.flush().await.unwrap();
        f.set_len(8).await.unwrap();
        drop(f);
        let all = fs::read(&p).await.unwrap();
        assert_eq!(&all[..4], &big[..4]);
        assert_eq!(&all[4..6], b"XY");
        assert_eq!(all.len(), 8);

        // Reading to the end, repeatedly, returns 0 (no endless re-reads).
        let mut f = File::open(&p).await.unwrap();
        let mut v = Vec::new();
        f.read_to_end(&mut v).await.unwrap();
        assert_eq!(v.len(), 8);
        assert_eq!(f.read(&mut [0u8; 4]).await.unwrap(), 0);

        let err = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&p)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
        fs::remove_dir_all(&dir).await.unwrap();
    });
}

#[test]
fn outside_a_runtime_names_the_function() {
    let err = futures::executor::block_on(fs::read("/nonexistent")).unwrap_err();
    assert!(err.to_string().contains("corio::fs::read"), "{err}");
}
