//! Jail tests of the workspace file system: a corpus of traversal attempts run through every
//! operation, and a symlink race.

use std::collections::BTreeMap;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use arranger_host::fs::{FsError, Workspace, WriteOptions};
use tempfile::TempDir;

const SECRET: &[u8] = b"TOP SECRET of the other user";
const NESTED_SECRET: &[u8] = b"nested secret of the other user";
const HIDDEN_DB: &[u8] = b"HIDDEN server database";

// ---------------------------------------------------------------------------------------------
// Snapshots of the file system outside the API's reach

#[derive(Debug, PartialEq, Eq)]
enum Node {
    File {
        content: Vec<u8>,
        mtime: SystemTime,
        mode: u32,
    },
    Dir {
        mtime: SystemTime,
        mode: u32,
    },
    Link(PathBuf),
    Other,
}

type Snapshot = BTreeMap<String, Node>;

fn snapshot(root: &Path) -> Snapshot {
    let mut out = BTreeMap::new();
    walk(root, "", &mut out);
    out
}

fn walk(path: &Path, rel: &str, out: &mut Snapshot) {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(_) => return,
    };
    let ft = meta.file_type();
    let node = if ft.is_symlink() {
        Node::Link(std::fs::read_link(path).unwrap())
    } else if ft.is_file() {
        Node::File {
            content: std::fs::read(path).unwrap(),
            mtime: meta.modified().unwrap(),
            mode: meta.permissions().mode(),
        }
    } else if ft.is_dir() {
        Node::Dir {
            mtime: meta.modified().unwrap(),
            mode: meta.permissions().mode(),
        }
    } else {
        Node::Other
    };
    out.insert(rel.to_owned(), node);
    if ft.is_dir() {
        let mut names: Vec<_> = std::fs::read_dir(path)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        for name in names {
            let name = name.to_string_lossy().into_owned();
            let child_rel = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            walk(&path.join(&name), &child_rel, out);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The fixture: a workspace full of hostile links next to another user's directory

struct Fixture {
    _tmp: TempDir,
    /// Canonical temp dir holding `ws/` and `other/`.
    base: PathBuf,
    ws_path: PathBuf,
    ws: Workspace,
}

impl Fixture {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path().canonicalize().unwrap();
        let ws_path = base.join("ws");
        let other = base.join("other");

        std::fs::create_dir_all(other.join("sub")).unwrap();
        std::fs::write(other.join("secret.txt"), SECRET).unwrap();
        std::fs::write(other.join("sub/nested.txt"), NESTED_SECRET).unwrap();

        std::fs::create_dir_all(ws_path.join("sub/deeper")).unwrap();
        std::fs::create_dir_all(ws_path.join(".arranger")).unwrap();
        std::fs::write(ws_path.join(".arranger/db"), HIDDEN_DB).unwrap();
        std::fs::write(ws_path.join("file.txt"), b"inside").unwrap();
        std::fs::write(ws_path.join("sub/inner.txt"), b"inner").unwrap();

        let link = |target: &Path, name: &str| symlink(target, ws_path.join(name)).unwrap();
        link(&other, "abs_link");
        link(&other.join("secret.txt"), "abs_file_link");
        link(Path::new("../other"), "rel_link");
        link(Path::new("../other/secret.txt"), "rel_file_link");
        link(Path::new(".."), "up");
        link(Path::new("../.."), "upup");
        link(Path::new("/"), "root_abs");
        link(Path::new("/etc"), "etc_link");
        link(Path::new("/etc/passwd"), "passwd_link");
        link(Path::new("/proc/self/root"), "proc_link");
        link(Path::new("/proc/self"), "proc_self");
        link(Path::new("/dev"), "dev_link");
        link(base.parent().unwrap(), "tmp_link");
        link(Path::new("chain2"), "chain1");
        link(Path::new("chain3"), "chain2");
        link(Path::new("../other"), "chain3");
        link(Path::new("../../other"), "sub/deep_link");
        link(Path::new("../sub/../../other"), "sub/dotdot_link");
        link(Path::new("../../../other"), "sub/deeper/escape");
        link(Path::new("self_loop"), "self_loop");
        link(&ws_path.join("sub"), "ws_abs_inside");
        link(Path::new(".arranger"), "hidden_link");
        link(Path::new(".arranger/db"), "hidden_file_link");
        link(Path::new("."), "root_link");
        link(Path::new(".."), "sub/up_in");

        let ws = Workspace::new(&ws_path).with_hidden([".arranger".to_owned()]);
        Fixture {
            _tmp: tmp,
            base,
            ws_path,
            ws,
        }
    }

    /// What no operation may ever change: the other user's directory, the hidden directory
    /// and the set of names next to the workspace.
    fn protected(&self) -> (Snapshot, Snapshot, Vec<String>) {
        let mut top: Vec<String> = std::fs::read_dir(&self.base)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        top.sort();
        (
            snapshot(&self.base.join("other")),
            snapshot(&self.ws_path.join(".arranger")),
            top,
        )
    }
}

// ---------------------------------------------------------------------------------------------
// The corpus

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Rejected before touching the file system: every operation fails with `InvalidPath`.
    Lexical,
    /// Encoded or look-alike names: literal names inside the workspace. Anything may happen
    /// inside, nothing outside.
    Literal,
    /// Goes through a symbolic link that leaves the workspace: every operation fails and
    /// `read` says `OutsideWorkspace`.
    Escape,
    /// Like `Escape`, but the failure may be something else (e.g. a symlink loop).
    EscapeOrOther,
    /// Reaches a hidden name: every operation fails.
    Hidden,
    /// The final component is itself a link that points outside (or at a hidden name).
    /// Following operations (`read`, `list`, `mkdir`) fail; operations on the link itself
    /// (`stat`, `write` replacing it, `delete`, `rename`) may succeed.
    FinalLink,
}

struct Attempt {
    path: String,
    kind: Kind,
    /// Points into real system directories: only run the read-only operations.
    read_only: bool,
}

fn corpus(base: &Path) -> Vec<Attempt> {
    let base_str = base.to_str().unwrap();
    let base_rel = base_str.trim_start_matches('/');
    let base_name = base.file_name().unwrap().to_str().unwrap();
    let mut out = Vec::new();
    let mut add = |kind: Kind, read_only: bool, paths: &[&str]| {
        for p in paths {
            out.push(Attempt {
                path: (*p).to_owned(),
                kind,
                read_only,
            });
        }
    };

    // `..` in every position, absolute paths, backslashes, control characters.
    add(
        Kind::Lexical,
        false,
        &[
            "..",
            "../",
            "../other/secret.txt",
            "../../etc/passwd",
            "../../../../../../../../etc/passwd",
            "./..",
            "./../other",
            "a/../../other",
            "sub/../../other/secret.txt",
            "sub/..",
            "sub/../file.txt",
            "sub/../",
            "file.txt/..",
            "../ws/file.txt",
            "..//other",
            "sub//../..",
            "sub/./../../other",
            "a/b/c/../../../../other/secret.txt",
            ".../../other",
            "~/../other",
            "sub/deeper/../../../other",
            "..\\other",
            "..\\..\\other\\secret.txt",
            "sub\\..\\..\\other",
            "\\other",
            "\\\\server\\share",
            "C:\\other",
            "/",
            "//",
            "/etc/passwd",
            "//etc/passwd",
            "/proc/self/root/etc/passwd",
            "/proc/self/cwd",
            "/proc/self/root",
            "/tmp",
            "/dev/null",
            "file.txt\0",
            "\0",
            "../other\0.txt",
            "file.txt\0/../../other",
            "a\0/b",
            "sub/\n../..",
            "\n",
            "file\r.txt",
            "\t",
            "\u{7f}",
            "\u{85}..",
            "\u{1b}[31m",
            "\u{9b}",
        ],
    );
    let long_path = "a/".repeat(2100);
    let long_component = "x".repeat(300);
    let deep_dots = format!("{}etc/passwd", "../".repeat(64));
    let abs_other = format!("{base_str}/other/secret.txt");
    let abs_ws = format!("{base_str}/ws/file.txt");
    let owned_lexical = [long_path, long_component, deep_dots, abs_other, abs_ws];
    for p in &owned_lexical {
        out.push(Attempt {
            path: p.clone(),
            kind: Kind::Lexical,
            read_only: false,
        });
    }

    // Encoded and look-alike forms: literal names, never traversal.
    let mut add = |kind: Kind, read_only: bool, paths: &[&str]| {
        for p in paths {
            out.push(Attempt {
                path: (*p).to_owned(),
                kind,
                read_only,
            });
        }
    };
    add(
        Kind::Literal,
        false,
        &[
            "%2e%2e/other/secret.txt",
            "%2e%2e%2fother%2fsecret.txt",
            "..%2fother%2fsecret.txt",
            "%2E%2E/%2E%2E/other",
            "%252e%252e/other",
            ".%2e/other",
            "%2e./other",
            "..%2f",
            "..%5c..%5cother",
            "%c0%ae%c0%ae/other",
            "%c0%2e%c0%2e/other",
            "%e0%80%ae%e0%80%ae/other",
            "%uff0e%uff0e/other",
            "\u{ff0e}\u{ff0e}/other/secret.txt",
            "\u{ff0e}\u{ff0e}",
            "\u{2024}\u{2024}/other",
            "\u{2024}\u{2024}",
            "\u{2025}/other",
            "\u{fe52}\u{fe52}/other",
            "\u{3002}\u{3002}/other",
            ". .",
            ".. ",
            " ..",
            "...",
            "..../other",
            "..\u{200b}/other",
            "\u{200b}../other",
            "..\u{feff}",
            "..;/other",
            "..%00/other",
            "file.txt%00.png",
            "~",
            "~/other",
            "$HOME",
            "${HOME}/x",
            "C:",
            "C:/Windows",
            "file:/etc/passwd",
            "%2fetc%2fpasswd",
            "\u{2215}etc\u{2215}passwd",
            "\u{ff0f}etc\u{ff0f}passwd",
            "\u{2216}..\u{2216}other",
        ],
    );

    // Symbolic links that leave the workspace somewhere along the path.
    add(
        Kind::Escape,
        false,
        &[
            "abs_link/secret.txt",
            "abs_link/sub/nested.txt",
            "abs_link/new.txt",
            "abs_link/sub",
            "abs_link//secret.txt",
            "./abs_link/secret.txt",
            "abs_link/new_dir/new.txt",
            "rel_link/secret.txt",
            "rel_link/sub/nested.txt",
            "rel_link/new_dir/new.txt",
            "rel_link/sub",
            "up/other/secret.txt",
            "up/other",
            "up/ws/file.txt",
            "up/new.txt",
            "upup/x",
            "chain1/secret.txt",
            "chain1/sub/nested.txt",
            "chain1/new.txt",
            "chain2/secret.txt",
            "sub/deep_link/secret.txt",
            "sub/deep_link/new.txt",
            "sub/dotdot_link/secret.txt",
            "sub/deeper/escape/secret.txt",
            "sub/deeper/escape/sub",
            "ws_abs_inside/inner.txt",
            "ws_abs_inside/new.txt",
            "abs_file_link/x",
            "rel_file_link/x",
        ],
    );
    let owned_escapes = [
        format!("root_abs{base_str}/other/secret.txt"),
        format!("root_abs{base_str}/other/new.txt"),
        format!("proc_link/{base_rel}/other/secret.txt"),
        format!("proc_link/{base_rel}/other"),
        format!("tmp_link/{base_name}/other/secret.txt"),
        format!("tmp_link/{base_name}/other/new.txt"),
    ];
    for p in &owned_escapes {
        out.push(Attempt {
            path: p.clone(),
            kind: Kind::Escape,
            read_only: false,
        });
    }
    let mut add = |kind: Kind, read_only: bool, paths: &[&str]| {
        for p in paths {
            out.push(Attempt {
                path: (*p).to_owned(),
                kind,
                read_only,
            });
        }
    };
    add(
        Kind::Escape,
        true,
        &[
            "etc_link/passwd",
            "etc_link/hostname",
            "root_abs/etc/passwd",
            "proc_link/etc/passwd",
            "proc_self/root/etc/passwd",
            "proc_self/cwd",
            "proc_self/fd/0",
            "proc_self/environ",
            "dev_link/null",
            "dev_link/zero",
        ],
    );
    add(
        Kind::EscapeOrOther,
        false,
        &["self_loop/x", "self_loop/y/z"],
    );

    // Hidden names, directly and through links that stay inside.
    add(
        Kind::Hidden,
        false,
        &[
            ".arranger",
            ".arranger/",
            ".arranger/db",
            "./.arranger/db",
            ".//.arranger/db",
            ".arranger/new.txt",
            ".arranger/new_dir/new.txt",
            "hidden_link/db",
            "hidden_link/new.txt",
            "root_link/.arranger",
            "root_link/.arranger/db",
            "root_link/root_link/.arranger/db",
            "sub/up_in/.arranger/db",
            "sub/up_in/.arranger",
            "root_link/hidden_link/db",
        ],
    );

    // Final links pointing outside (or at hidden names).
    add(
        Kind::FinalLink,
        false,
        &[
            "abs_link",
            "abs_link/",
            "abs_link/.",
            "abs_link//./",
            "self_loop",
            "abs_file_link",
            "rel_link",
            "rel_file_link",
            "up",
            "upup",
            "chain1",
            "chain3",
            "sub/deep_link",
            "sub/dotdot_link",
            "sub/deeper/escape",
            "hidden_link",
            "hidden_file_link",
            "tmp_link",
            "proc_link",
        ],
    );
    add(
        Kind::FinalLink,
        true,
        &[
            "root_abs",
            "etc_link",
            "passwd_link",
            "proc_self",
            "dev_link",
        ],
    );
    out
}

// ---------------------------------------------------------------------------------------------
// Running the corpus

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Read,
    Stat,
    List,
    Write,
    WriteCreateParents,
    WriteNoOverwrite,
    Mkdir,
    MkdirRecursive,
    Delete,
    DeleteRecursive,
    RenameFrom,
    RenameTo,
    RenameDirTo,
    RenameFromNoOverwrite,
}

const READ_ONLY_OPS: &[Op] = &[Op::Read, Op::Stat, Op::List];
const ALL_OPS: &[Op] = &[
    Op::Read,
    Op::Stat,
    Op::List,
    Op::Write,
    Op::WriteCreateParents,
    Op::WriteNoOverwrite,
    Op::Mkdir,
    Op::MkdirRecursive,
    Op::Delete,
    Op::DeleteRecursive,
    Op::RenameFrom,
    Op::RenameTo,
    Op::RenameDirTo,
    Op::RenameFromNoOverwrite,
];

/// The outcome of one operation: `Ok` with what was read or listed, or the error.
enum Outcome {
    Read(Vec<u8>),
    Listed(Vec<String>),
    Done,
}

fn run(ws: &Workspace, op: Op, path: &str) -> Result<Outcome, FsError> {
    let pwned = b"PWNED by the corpus";
    match op {
        Op::Read => ws.read(path, 1 << 20).map(Outcome::Read),
        Op::Stat => ws.stat(path).map(|_| Outcome::Done),
        Op::List => ws
            .list(path)
            .map(|entries| Outcome::Listed(entries.into_iter().map(|e| e.name).collect())),
        Op::Write => ws
            .write(path, pwned, WriteOptions::default())
            .map(|_| Outcome::Done),
        Op::WriteCreateParents => ws
            .write(
                path,
                pwned,
                WriteOptions {
                    create_parents: true,
                    overwrite: true,
                },
            )
            .map(|_| Outcome::Done),
        Op::WriteNoOverwrite => ws
            .write(
                path,
                pwned,
                WriteOptions {
                    create_parents: false,
                    overwrite: false,
                },
            )
            .map(|_| Outcome::Done),
        Op::Mkdir => ws.mkdir(path, false).map(|_| Outcome::Done),
        Op::MkdirRecursive => ws.mkdir(path, true).map(|_| Outcome::Done),
        Op::Delete => ws.delete(path, false).map(|_| Outcome::Done),
        Op::DeleteRecursive => ws.delete(path, true).map(|_| Outcome::Done),
        Op::RenameFrom => ws.rename(path, "moved.txt", true).map(|_| Outcome::Done),
        Op::RenameTo => ws.rename("file.txt", path, true).map(|_| Outcome::Done),
        Op::RenameDirTo => ws.rename("sub", path, false).map(|_| Outcome::Done),
        Op::RenameFromNoOverwrite => ws.rename(path, "sub/moved", false).map(|_| Outcome::Done),
    }
}

fn must_fail(kind: Kind, op: Op) -> bool {
    match kind {
        Kind::Lexical | Kind::Escape | Kind::EscapeOrOther | Kind::Hidden => true,
        Kind::Literal => false,
        Kind::FinalLink => matches!(op, Op::Read | Op::List | Op::Mkdir | Op::MkdirRecursive),
    }
}

#[test]
fn traversal_corpus_is_refused_everywhere() {
    let probe = Fixture::new();
    let count = corpus(&probe.base).len();
    assert!(count >= 100, "the corpus has {count} attempts");
    drop(probe);

    let mut failures = Vec::new();
    let mut runs = 0usize;
    for index in 0..count {
        let read_only = corpus(Path::new("/probe"))[index].read_only;
        let ops = if read_only { READ_ONLY_OPS } else { ALL_OPS };
        for &op in ops {
            runs += 1;
            // A fresh fixture per operation: destructive operations on links must not affect
            // the next one. Some attempts embed the fixture's base path: rebuild the corpus.
            let fx = Fixture::new();
            let attempt = corpus(&fx.base).swap_remove(index);
            let path = attempt.path.clone();
            let before = fx.protected();
            let full_before = snapshot(&fx.base);
            let result = run(&fx.ws, op, &path);
            let ctx = format!("{op:?} {:?} ({:?})", attempt.path, attempt.kind);

            match &result {
                Ok(Outcome::Read(data)) => {
                    if data == SECRET || data == NESTED_SECRET || data == HIDDEN_DB {
                        failures.push(format!("{ctx}: read a protected file"));
                    }
                }
                Ok(Outcome::Listed(names)) => {
                    let leaked = ["secret.txt", "nested.txt", "db", "passwd", "ws", "other"];
                    if names.iter().any(|n| leaked.contains(&n.as_str())) {
                        failures.push(format!("{ctx}: listed a protected directory: {names:?}"));
                    }
                }
                Ok(Outcome::Done) => {}
                Err(err) => {
                    let mut message = err.to_string();
                    // The client's own paths are echoed back; nothing else may name the host.
                    for own in [&path, "file.txt", "sub"] {
                        message = message.replace(&format!("{own:?}"), "<path>");
                    }
                    if message.contains(fx.base.to_str().unwrap()) {
                        failures.push(format!("{ctx}: error reveals the host path: {err}"));
                    }
                }
            }
            if must_fail(attempt.kind, op) && result.is_ok() {
                failures.push(format!("{ctx}: succeeded but must be refused"));
            }
            if let Err(err) = &result {
                match attempt.kind {
                    Kind::Lexical if !matches!(err, FsError::InvalidPath { .. }) => {
                        failures.push(format!("{ctx}: expected InvalidPath, got {err:?}"));
                    }
                    Kind::Escape
                        if op == Op::Read && !matches!(err, FsError::OutsideWorkspace { .. }) =>
                    {
                        failures.push(format!("{ctx}: expected OutsideWorkspace, got {err:?}"));
                    }
                    _ => {}
                }
            }
            if fx.protected() != before {
                failures.push(format!(
                    "{ctx}: changed something outside the workspace or hidden"
                ));
            }
            // Refused operations must not change anything at all, not even inside.
            if matches!(
                attempt.kind,
                Kind::Lexical | Kind::Escape | Kind::EscapeOrOther | Kind::Hidden
            ) && snapshot(&fx.base) != full_before
            {
                failures.push(format!("{ctx}: a refused operation changed the workspace"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {runs} runs failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("{count} attempts, {runs} operations, all refused or contained");
}

// ---------------------------------------------------------------------------------------------
// Symlink race

#[test]
fn symlink_swap_race_never_escapes() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().canonicalize().unwrap();
    let ws_path = base.join("ws");
    let other = base.join("other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("secret.txt"), SECRET).unwrap();
    std::fs::create_dir_all(ws_path.join("stage_dir")).unwrap();
    std::fs::write(ws_path.join("stage_dir/inside.txt"), b"harmless").unwrap();
    symlink("../other", ws_path.join("stage_rel")).unwrap();
    symlink(&other, ws_path.join("stage_abs")).unwrap();
    let other_before = snapshot(&other);

    let ws = Workspace::new(&ws_path);
    let stop = Arc::new(AtomicBool::new(false));
    let swaps = Arc::new(AtomicUsize::new(0));

    let swapper = {
        let stop = Arc::clone(&stop);
        let swaps = Arc::clone(&swaps);
        let ws_path = ws_path.clone();
        std::thread::spawn(move || {
            let sw = ws_path.join("sw");
            while !stop.load(Ordering::Relaxed) {
                for stage in ["stage_dir", "stage_rel", "stage_dir", "stage_abs"] {
                    let staged = ws_path.join(stage);
                    let mut tries = 0;
                    while let Err(e) = std::fs::rename(&staged, &sw) {
                        // A worker's `mkdir -p sw/...` created a real `sw` while it was absent.
                        tries += 1;
                        assert!(tries < 10_000, "cannot stage {stage}: {e}");
                        let _ = std::fs::remove_dir_all(&sw);
                    }
                    std::thread::yield_now();
                    std::fs::rename(&sw, &staged).unwrap();
                    swaps.fetch_add(1, Ordering::Relaxed);
                }
            }
        })
    };

    let deadline = Instant::now() + Duration::from_millis(1500);
    let ok_count = Arc::new(AtomicUsize::new(0));
    let refused_count = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for worker in 0..4 {
        let ws = ws.clone();
        let ok_count = Arc::clone(&ok_count);
        let refused_count = Arc::clone(&refused_count);
        workers.push(std::thread::spawn(move || {
            let mut i = 0u64;
            let mut problems = Vec::new();
            while Instant::now() < deadline {
                i += 1;
                let outcome: Result<(), FsError> = match (worker + i as usize) % 6 {
                    0 => ws.read("sw/secret.txt", 1024).map(|data| {
                        problems.push(format!("read {:?} through the swapped link", data));
                    }),
                    1 => ws.read("sw/inside.txt", 1024).map(|data| {
                        if data != b"harmless" {
                            problems.push(format!("read unexpected content {data:?}"));
                        }
                    }),
                    2 => ws.list("sw").map(|entries| {
                        if entries.iter().any(|e| e.name == "secret.txt") {
                            problems.push("listed the outside directory".to_owned());
                        }
                    }),
                    3 => ws
                        .write(
                            &format!("sw/w-{worker}-{}", i % 8),
                            b"written",
                            WriteOptions::default(),
                        )
                        .map(|_| ()),
                    4 => ws.stat("sw/secret.txt").map(|_| {
                        problems.push("found the secret through the swapped link".to_owned());
                    }),
                    _ => ws
                        .mkdir(&format!("sw/d-{worker}-{}", i % 4), true)
                        .map(|_| ()),
                };
                match outcome {
                    Ok(()) => ok_count.fetch_add(1, Ordering::Relaxed),
                    Err(_) => refused_count.fetch_add(1, Ordering::Relaxed),
                };
            }
            problems
        }));
    }
    let mut problems = Vec::new();
    for w in workers {
        problems.extend(w.join().unwrap());
    }
    stop.store(true, Ordering::Relaxed);
    swapper.join().unwrap();

    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(
        snapshot(&other),
        other_before,
        "the outside directory changed"
    );
    let mut top: Vec<_> = std::fs::read_dir(&base)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    top.sort();
    assert_eq!(
        top,
        ["other", "ws"],
        "something was created next to the workspace"
    );
    assert!(
        swaps.load(Ordering::Relaxed) > 10,
        "the swapper did not run"
    );
    let (ok, refused) = (
        ok_count.load(Ordering::Relaxed),
        refused_count.load(Ordering::Relaxed),
    );
    eprintln!(
        "race: {} swaps, {ok} successful and {refused} refused calls",
        swaps.load(Ordering::Relaxed)
    );
    assert!(ok + refused > 100, "the workers did not run");
}
