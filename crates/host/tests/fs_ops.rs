//! Functional tests of every workspace file operation.

use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use arranger_domain::fs::FileKind;
use arranger_host::fs::{FsError, TEMP_FILE_PREFIX, Workspace, WriteOptions};
use tempfile::TempDir;

fn setup() -> (TempDir, PathBuf, Workspace) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap().join("ws");
    std::fs::create_dir(&root).unwrap();
    let ws = Workspace::new(&root);
    (tmp, root, ws)
}

fn no_overwrite() -> WriteOptions {
    WriteOptions {
        create_parents: false,
        overwrite: false,
    }
}

fn parents() -> WriteOptions {
    WriteOptions {
        create_parents: true,
        overwrite: true,
    }
}

fn names(ws: &Workspace, path: &str) -> Vec<String> {
    ws.list(path).unwrap().into_iter().map(|e| e.name).collect()
}

fn assert_no_temp_files(root: &Path) {
    for entry in walk(root) {
        let name = entry.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            !name.starts_with(TEMP_FILE_PREFIX),
            "temporary file left behind: {entry:?}"
        );
    }
}

fn walk(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(root).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        if entry.file_type().unwrap().is_dir() {
            out.extend(walk(&path));
        }
        out.push(path);
    }
    out
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[test]
fn write_and_read_text_and_binary() {
    let (_tmp, root, ws) = setup();
    let stat = ws
        .write(
            "hello.txt",
            "héllo wörld\n".as_bytes(),
            WriteOptions::default(),
        )
        .unwrap();
    assert_eq!(stat.path, "hello.txt");
    assert_eq!(stat.kind, FileKind::File);
    assert_eq!(stat.size, "héllo wörld\n".len() as u64);
    assert!((stat.modified.unwrap() - now_ms()).abs() < 60_000);
    assert_eq!(
        ws.read("hello.txt", 1024).unwrap(),
        "héllo wörld\n".as_bytes()
    );
    assert_eq!(
        std::fs::read(root.join("hello.txt")).unwrap(),
        "héllo wörld\n".as_bytes()
    );

    let binary: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
    ws.write("bin/data.bin", &binary, parents()).unwrap();
    assert_eq!(ws.read("bin/data.bin", 10_000).unwrap(), binary);

    ws.write("empty", b"", WriteOptions::default()).unwrap();
    assert_eq!(ws.read("empty", 0).unwrap(), b"");
    assert_no_temp_files(&root);
}

#[test]
fn read_limits_and_errors() {
    let (_tmp, _root, ws) = setup();
    ws.write("ten", b"0123456789", WriteOptions::default())
        .unwrap();
    assert_eq!(ws.read("ten", 10).unwrap(), b"0123456789");
    assert_eq!(
        ws.read("ten", 9).unwrap_err(),
        FsError::TooLarge {
            path: "ten".into(),
            size: 10,
            max: 9
        }
    );
    assert_eq!(ws.read("ten", u64::MAX).unwrap(), b"0123456789");
    ws.mkdir("dir", false).unwrap();
    assert!(matches!(
        ws.read("dir", 100),
        Err(FsError::IsADirectory { .. })
    ));
    assert!(matches!(
        ws.read("", 100),
        Err(FsError::IsADirectory { .. })
    ));
    assert_eq!(
        ws.read("missing", 100).unwrap_err(),
        FsError::NotFound {
            path: "missing".into()
        }
    );
    assert!(matches!(
        ws.read("ten/child", 100),
        Err(FsError::NotADirectory { .. })
    ));
}

#[test]
fn read_of_a_fifo_does_not_block() {
    let (_tmp, root, ws) = setup();
    let status = std::process::Command::new("mkfifo")
        .arg(root.join("pipe"))
        .status();
    if !matches!(status, Ok(s) if s.success()) {
        eprintln!("mkfifo not available; skipping");
        return;
    }
    let err = ws.read("pipe", 100).unwrap_err();
    assert!(matches!(err, FsError::Io { .. }), "{err:?}");
    assert_eq!(ws.stat("pipe").unwrap().kind, FileKind::Other);
}

#[test]
fn write_overwrite_rules() {
    let (_tmp, root, ws) = setup();
    ws.write("a.txt", b"one", no_overwrite()).unwrap();
    assert_eq!(
        ws.write("a.txt", b"two", no_overwrite()).unwrap_err(),
        FsError::AlreadyExists {
            path: "a.txt".into()
        }
    );
    assert_eq!(ws.read("a.txt", 100).unwrap(), b"one");
    ws.write("a.txt", b"three", WriteOptions::default())
        .unwrap();
    assert_eq!(ws.read("a.txt", 100).unwrap(), b"three");

    ws.mkdir("d", false).unwrap();
    assert!(matches!(
        ws.write("d", b"x", WriteOptions::default()),
        Err(FsError::IsADirectory { .. })
    ));
    assert!(matches!(
        ws.write("d", b"x", no_overwrite()),
        Err(FsError::AlreadyExists { .. })
    ));
    assert!(matches!(
        ws.write("", b"x", WriteOptions::default()),
        Err(FsError::InvalidPath { .. })
    ));
    assert_no_temp_files(&root);
}

#[test]
fn write_keeps_permissions_of_the_replaced_file() {
    let (_tmp, root, ws) = setup();
    ws.write("run.sh", b"#!/bin/sh\n", WriteOptions::default())
        .unwrap();
    std::fs::set_permissions(root.join("run.sh"), std::fs::Permissions::from_mode(0o750)).unwrap();
    ws.write("run.sh", b"#!/bin/sh\necho hi\n", WriteOptions::default())
        .unwrap();
    let mode = std::fs::metadata(root.join("run.sh"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o750);
}

#[test]
fn write_create_parents() {
    let (_tmp, root, ws) = setup();
    assert_eq!(
        ws.write("a/b/c.txt", b"x", WriteOptions::default())
            .unwrap_err(),
        FsError::NotFound { path: "a/b".into() }
    );
    assert!(!root.join("a").exists());
    let stat = ws.write("a/b/c.txt", b"x", parents()).unwrap();
    assert_eq!(stat.path, "a/b/c.txt");
    assert_eq!(ws.stat("a/b").unwrap().kind, FileKind::Dir);
    ws.write("file", b"x", WriteOptions::default()).unwrap();
    assert!(matches!(
        ws.write("file/sub/x", b"x", parents()),
        Err(FsError::NotADirectory { .. })
    ));
    assert_no_temp_files(&root);
}

#[test]
fn write_replaces_a_final_symlink_and_never_writes_its_target() {
    let (_tmp, root, ws) = setup();
    ws.write("target.txt", b"original", WriteOptions::default())
        .unwrap();
    symlink("target.txt", root.join("link.txt")).unwrap();
    assert_eq!(ws.read("link.txt", 100).unwrap(), b"original");
    assert!(matches!(
        ws.write("link.txt", b"new", no_overwrite()),
        Err(FsError::AlreadyExists { .. })
    ));
    let stat = ws
        .write("link.txt", b"new", WriteOptions::default())
        .unwrap();
    assert_eq!(stat.kind, FileKind::File);
    assert_eq!(ws.read("target.txt", 100).unwrap(), b"original");
    assert_eq!(ws.read("link.txt", 100).unwrap(), b"new");
    assert!(
        !std::fs::symlink_metadata(root.join("link.txt"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn symlinks_inside_the_workspace_are_followed() {
    let (_tmp, root, ws) = setup();
    ws.write("real/file.txt", b"content", parents()).unwrap();
    ws.write("other/x.txt", b"x", parents()).unwrap();
    symlink("real", root.join("dirlink")).unwrap();
    symlink("../real/file.txt", root.join("other/uplink")).unwrap();

    assert_eq!(ws.read("dirlink/file.txt", 100).unwrap(), b"content");
    assert_eq!(ws.read("other/uplink", 100).unwrap(), b"content");
    assert_eq!(names(&ws, "dirlink"), ["file.txt"]);
    assert_eq!(ws.stat("dirlink").unwrap().kind, FileKind::Symlink);
    assert_eq!(ws.stat("dirlink/file.txt").unwrap().kind, FileKind::File);
    ws.write("dirlink/new.txt", b"new", WriteOptions::default())
        .unwrap();
    assert_eq!(
        std::fs::read(root.join("real/new.txt")).unwrap(),
        b"new".to_vec()
    );

    // Absolute links are refused even when they point inside.
    symlink(root.join("real"), root.join("abslink")).unwrap();
    assert_eq!(
        ws.read("abslink/file.txt", 100).unwrap_err(),
        FsError::OutsideWorkspace {
            path: "abslink/file.txt".into()
        }
    );
}

#[test]
fn stat_reports_kinds_and_normalised_paths() {
    let (_tmp, root, ws) = setup();
    ws.write("a/b.txt", b"12345", parents()).unwrap();
    symlink("a/b.txt", root.join("l")).unwrap();
    symlink("/nonexistent/anywhere", root.join("dangling")).unwrap();

    let root_stat = ws.stat("").unwrap();
    assert_eq!(root_stat.path, "");
    assert_eq!(root_stat.kind, FileKind::Dir);
    assert_eq!(ws.stat(".").unwrap().path, "");
    assert_eq!(ws.stat("./").unwrap().path, "");

    let s = ws.stat("a//./b.txt").unwrap();
    assert_eq!(s.path, "a/b.txt");
    assert_eq!(s.kind, FileKind::File);
    assert_eq!(s.size, 5);
    assert_eq!(ws.stat("a/").unwrap().kind, FileKind::Dir);
    assert_eq!(ws.stat("a").unwrap().size, 0);
    assert_eq!(ws.stat("l").unwrap().kind, FileKind::Symlink);
    assert_eq!(ws.stat("dangling").unwrap().kind, FileKind::Symlink);
    assert!(ws.stat("nope").unwrap_err().is_not_found());
    assert!(matches!(
        ws.stat("a/b.txt/c"),
        Err(FsError::NotADirectory { .. })
    ));
}

#[test]
fn list_is_sorted_and_typed() {
    let (_tmp, root, ws) = setup();
    ws.write("zeta.txt", b"zz", WriteOptions::default())
        .unwrap();
    ws.write("alpha.txt", b"a", WriteOptions::default())
        .unwrap();
    ws.mkdir("middle", false).unwrap();
    symlink("alpha.txt", root.join("link")).unwrap();

    let entries = ws.list("").unwrap();
    let summary: Vec<(&str, FileKind, u64)> = entries
        .iter()
        .map(|e| (e.name.as_str(), e.kind, e.size))
        .collect();
    assert_eq!(
        summary,
        [
            ("alpha.txt", FileKind::File, 1),
            ("link", FileKind::Symlink, 9),
            ("middle", FileKind::Dir, 0),
            ("zeta.txt", FileKind::File, 2),
        ]
    );
    assert!(entries.iter().all(|e| e.modified.is_some()));
    assert_eq!(ws.list(".").unwrap(), entries);
    assert!(ws.list("middle").unwrap().is_empty());
    assert!(matches!(
        ws.list("alpha.txt"),
        Err(FsError::NotADirectory { .. })
    ));
    assert!(ws.list("missing").unwrap_err().is_not_found());
}

#[test]
fn mkdir_rules() {
    let (_tmp, _root, ws) = setup();
    let s = ws.mkdir("d", false).unwrap();
    assert_eq!((s.path.as_str(), s.kind), ("d", FileKind::Dir));
    assert_eq!(
        ws.mkdir("d", false).unwrap_err(),
        FsError::AlreadyExists { path: "d".into() }
    );
    ws.mkdir("d", true).unwrap();
    assert_eq!(
        ws.mkdir("x/y/z", false).unwrap_err(),
        FsError::NotFound { path: "x/y".into() }
    );
    assert_eq!(ws.mkdir("x/y/z", true).unwrap().path, "x/y/z");
    assert_eq!(ws.stat("x/y").unwrap().kind, FileKind::Dir);
    ws.write("f", b"", WriteOptions::default()).unwrap();
    assert!(matches!(
        ws.mkdir("f", true),
        Err(FsError::AlreadyExists { .. })
    ));
    assert!(matches!(
        ws.mkdir("f/sub", true),
        Err(FsError::NotADirectory { .. })
    ));
    assert!(matches!(
        ws.mkdir("", true),
        Err(FsError::InvalidPath { .. })
    ));
}

#[test]
fn delete_rules() {
    let (tmp, root, ws) = setup();
    ws.write("f.txt", b"x", WriteOptions::default()).unwrap();
    ws.delete("f.txt", false).unwrap();
    assert!(!root.join("f.txt").exists());

    ws.mkdir("empty", false).unwrap();
    ws.delete("empty", false).unwrap();

    ws.write("full/a/b.txt", b"x", parents()).unwrap();
    assert_eq!(
        ws.delete("full", false).unwrap_err(),
        FsError::DirectoryNotEmpty {
            path: "full".into()
        }
    );
    // Links inside a recursively deleted directory are removed, never followed.
    let outside = tmp.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::fs::write(outside.join("keep.txt"), b"keep").unwrap();
    symlink(&outside, root.join("full/a/out")).unwrap();
    ws.delete("full", true).unwrap();
    assert!(!root.join("full").exists());
    assert_eq!(std::fs::read(outside.join("keep.txt")).unwrap(), b"keep");

    // A link is removed itself.
    ws.write("target/t.txt", b"t", parents()).unwrap();
    symlink("target", root.join("dirlink")).unwrap();
    ws.delete("dirlink", false).unwrap();
    assert!(std::fs::symlink_metadata(root.join("dirlink")).is_err());
    assert_eq!(ws.read("target/t.txt", 10).unwrap(), b"t");
    symlink("target", root.join("dirlink2")).unwrap();
    ws.delete("dirlink2/", true).unwrap();
    assert_eq!(ws.read("target/t.txt", 10).unwrap(), b"t");

    assert!(ws.delete("missing", false).unwrap_err().is_not_found());
    for root_path in ["", ".", "./"] {
        assert!(matches!(
            ws.delete(root_path, true),
            Err(FsError::InvalidPath { .. })
        ));
    }
    assert!(root.exists());
}

#[test]
fn rename_rules() {
    let (_tmp, root, ws) = setup();
    ws.write("a.txt", b"a", WriteOptions::default()).unwrap();
    ws.write("b.txt", b"b", WriteOptions::default()).unwrap();

    let s = ws.rename("a.txt", "moved/a.txt", false).unwrap_err();
    assert_eq!(
        s,
        FsError::NotFound {
            path: "moved".into()
        }
    );
    ws.mkdir("moved", false).unwrap();
    let s = ws.rename("a.txt", "moved/a.txt", false).unwrap();
    assert_eq!((s.path.as_str(), s.kind), ("moved/a.txt", FileKind::File));
    assert!(!root.join("a.txt").exists());

    assert_eq!(
        ws.rename("moved/a.txt", "b.txt", false).unwrap_err(),
        FsError::AlreadyExists {
            path: "b.txt".into()
        }
    );
    ws.rename("moved/a.txt", "b.txt", true).unwrap();
    assert_eq!(ws.read("b.txt", 10).unwrap(), b"a");

    // Directories: over an empty directory fine, over a non-empty one not.
    ws.write("d1/x", b"x", parents()).unwrap();
    ws.write("d2/y", b"y", parents()).unwrap();
    ws.mkdir("empty", false).unwrap();
    assert!(matches!(
        ws.rename("d1", "d2", true),
        Err(FsError::DirectoryNotEmpty { .. })
    ));
    ws.rename("d1", "empty", true).unwrap();
    assert_eq!(ws.read("empty/x", 10).unwrap(), b"x");
    assert!(matches!(
        ws.rename("b.txt", "d2", true),
        Err(FsError::IsADirectory { .. })
    ));
    assert!(matches!(
        ws.rename("d2", "b.txt", true),
        Err(FsError::NotADirectory { .. })
    ));

    // Into itself, the root, missing sources, no-ops.
    assert!(matches!(
        ws.rename("d2", "d2/inner", true),
        Err(FsError::InvalidPath { .. })
    ));
    symlink("d2", root.join("d2link")).unwrap();
    assert!(matches!(
        ws.rename("d2", "d2link/inner", true),
        Err(FsError::InvalidPath { .. })
    ));
    assert!(matches!(
        ws.rename("", "x", true),
        Err(FsError::InvalidPath { .. })
    ));
    assert!(matches!(
        ws.rename("b.txt", ".", true),
        Err(FsError::InvalidPath { .. })
    ));
    assert!(ws.rename("nope", "x", true).unwrap_err().is_not_found());
    assert_eq!(ws.rename("b.txt", "./b.txt", false).unwrap().path, "b.txt");

    // A link is moved itself.
    let s = ws.rename("d2link", "empty/link", false).unwrap();
    assert_eq!(s.kind, FileKind::Symlink);
    assert_eq!(ws.read("d2/y", 10).unwrap(), b"y");
    assert_no_temp_files(&root);
}

#[test]
fn rename_into_and_out_of_symlinked_directories() {
    let (tmp, root, ws) = setup();
    let outside = tmp.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::fs::write(outside.join("secret"), b"secret").unwrap();
    symlink(&outside, root.join("out")).unwrap();
    symlink("../outside", root.join("out_rel")).unwrap();
    ws.mkdir("inside", false).unwrap();
    symlink("inside", root.join("in")).unwrap();
    ws.write("f", b"f", WriteOptions::default()).unwrap();

    for (from, to) in [
        ("f", "out/f"),
        ("f", "out_rel/f"),
        ("out/secret", "stolen"),
        ("out_rel/secret", "stolen"),
        ("out_rel/secret", "in/stolen"),
        ("in", "out_rel/in"),
    ] {
        for overwrite in [false, true] {
            let err = ws.rename(from, to, overwrite).unwrap_err();
            assert!(
                matches!(err, FsError::OutsideWorkspace { .. }),
                "{from} -> {to}: {err:?}"
            );
        }
    }
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 1);

    // Inside links work as directories in the middle of a path.
    ws.rename("f", "in/f", false).unwrap();
    assert_eq!(ws.read("inside/f", 10).unwrap(), b"f");
    ws.rename("in/f", "f2", false).unwrap();
    assert_eq!(ws.read("f2", 10).unwrap(), b"f");
}

#[test]
fn hidden_names_do_not_exist() {
    let (_tmp, root, ws) = setup();
    let ws = ws.with_hidden([".arranger".to_owned(), "bad/name".to_owned()]);
    assert_eq!(ws.hidden(), [".arranger"]);
    std::fs::create_dir(root.join(".arranger")).unwrap();
    std::fs::write(root.join(".arranger/db"), b"db").unwrap();
    std::fs::create_dir(root.join("sub")).unwrap();
    std::fs::create_dir(root.join("sub/.arranger")).unwrap();
    symlink(".arranger", root.join("hidden_link")).unwrap();
    symlink(".arranger/db", root.join("db_link")).unwrap();
    symlink(".", root.join("self")).unwrap();
    symlink("..", root.join("sub/up")).unwrap();
    std::fs::write(root.join("plain"), b"plain").unwrap();

    let visible = ["db_link", "hidden_link", "plain", "self", "sub"];
    assert_eq!(names(&ws, ""), visible);
    assert_eq!(names(&ws, "self"), visible);
    assert_eq!(names(&ws, "sub/up"), visible);
    // Only the top-level name is hidden.
    assert_eq!(names(&ws, "sub"), [".arranger", "up"]);
    assert!(ws.stat("sub/.arranger").is_ok());

    for path in [
        ".arranger",
        ".arranger/db",
        "./.arranger",
        "hidden_link/db",
        "db_link",
        "self/.arranger/db",
        "sub/up/.arranger/db",
        "self/.arranger",
    ] {
        let read = ws.read(path, 100).unwrap_err();
        assert!(read.is_not_found(), "read {path}: {read:?}");
    }
    for path in [
        ".arranger",
        "self/.arranger",
        "sub/up/.arranger",
        "hidden_link",
    ] {
        assert!(ws.list(path).unwrap_err().is_not_found(), "list {path}");
    }
    for path in [".arranger/db", "self/.arranger", "sub/up/.arranger/x"] {
        assert!(ws.stat(path).unwrap_err().is_not_found(), "stat {path}");
        assert!(
            ws.delete(path, true).unwrap_err().is_not_found(),
            "delete {path}"
        );
        assert!(
            ws.write(path, b"x", parents()).unwrap_err().is_not_found(),
            "write {path}"
        );
        assert!(
            ws.mkdir(path, true).unwrap_err().is_not_found(),
            "mkdir {path}"
        );
        assert!(
            ws.rename("plain", path, true).unwrap_err().is_not_found(),
            "rename to {path}"
        );
        assert!(
            ws.rename(path, "x", true).unwrap_err().is_not_found(),
            "rename from {path}"
        );
    }
    assert!(
        ws.write(".arranger", b"x", WriteOptions::default())
            .is_err()
    );
    assert_eq!(std::fs::read(root.join(".arranger/db")).unwrap(), b"db");
    assert_eq!(
        std::fs::read_dir(root.join(".arranger")).unwrap().count(),
        1
    );
    // The links themselves are ordinary entries.
    assert_eq!(ws.stat("hidden_link").unwrap().kind, FileKind::Symlink);
}

#[test]
fn errors_never_reveal_the_host_path() {
    let (tmp, root, ws) = setup();
    let host = tmp.path().canonicalize().unwrap();
    let host = host.to_str().unwrap();
    symlink("/etc", root.join("etc")).unwrap();
    ws.write("f", b"x", WriteOptions::default()).unwrap();
    let errors = [
        ws.read("missing", 1).unwrap_err(),
        ws.read("etc/passwd", 1).unwrap_err(),
        ws.read("f", 0).unwrap_err(),
        ws.list("f").unwrap_err(),
        ws.mkdir("f", false).unwrap_err(),
        ws.rename("f", "f/x", true).unwrap_err(),
        ws.read("../x", 1).unwrap_err(),
        Workspace::new(root.join("gone")).stat("x").unwrap_err(),
    ];
    for err in errors {
        let message = err.to_string();
        assert!(!message.contains(host), "{message}");
        assert!(!err.path().contains(host));
    }
    let outside = ws.read("etc/passwd", 1).unwrap_err().to_string();
    assert!(outside.contains("outside the workspace"), "{outside}");
    let dots = ws.read("../x", 1).unwrap_err().to_string();
    assert!(dots.contains("\"../x\"") && dots.contains("`..`"), "{dots}");
}

#[test]
fn concurrent_writes_are_atomic() {
    let (_tmp, root, ws) = setup();
    let a = vec![b'a'; 256 * 1024];
    let b = vec![b'b'; 256 * 1024];
    ws.write("shared", &a, WriteOptions::default()).unwrap();
    std::thread::scope(|s| {
        for data in [&a, &b] {
            let ws = ws.clone();
            s.spawn(move || {
                for _ in 0..20 {
                    ws.write("shared", data, WriteOptions::default()).unwrap();
                }
            });
        }
        s.spawn(|| {
            for _ in 0..200 {
                let got = ws.read("shared", 1 << 20).unwrap();
                assert!(got == a || got == b, "torn read of {} bytes", got.len());
            }
        });
    });
    assert_no_temp_files(&root);
}
