//! Per-user process-count cgroups: where the `pids` controller can be used, and how.
//!
//! Every process started for a user joins that user's cgroup, whose `pids.max` bounds
//! them together (see [`crate::sandbox::SandboxConfig::pids_cgroup`]). The cgroup is made
//! in the first place that works:
//!
//! - **Unprivileged: the server's own cgroup**, read from `/proc/self/cgroup`, when it was
//!   delegated to the server's user (its directory is owned by that user): a systemd
//!   service with `Delegate=pids`, as the unit in `deploy/` has. Under cgroup v2 a cgroup
//!   that hands controllers to its children may hold no processes itself, so the server
//!   first moves its own processes into a leaf `server` beside the users' cgroups. Users'
//!   processes stay inside the service's cgroup, so systemd's accounting, `TasksMax` and
//!   stop-time cleanup still cover them.
//! - **As root: the hierarchy's root**, as before, then the server's own cgroup. Root may
//!   change any cgroup, so ownership says nothing about delegation there, and a server
//!   started by hand must not move the processes of the login session it was started in.
//!
//! The layout below either place is `arranger/<user>`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

/// Where cgroup file systems are mounted.
const SYS_CGROUP: &str = "/sys/fs/cgroup";

/// Creates (or reuses) the process-count cgroup `arranger/<name>` with `pids.max = max`
/// (see the module docs for where). Returns its directory, or `None` when no `pids`
/// hierarchy is available or writable: the server then runs without this limit and logs
/// so once.
pub fn pids_cgroup(name: &str, max: u32) -> Option<PathBuf> {
    let own = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    // SAFETY: geteuid has no preconditions and cannot fail.
    let euid = unsafe { libc::geteuid() };
    let found = pids_cgroup_in(
        Path::new(SYS_CGROUP),
        &own,
        std::process::id(),
        euid,
        name,
        max,
    );
    static TOLD: AtomicBool = AtomicBool::new(false);
    if !TOLD.swap(true, Ordering::Relaxed) {
        match &found {
            Some(dir) => tracing::info!(
                cgroup = %dir.display(),
                max,
                "per-user process limit: each user's processes share a pids cgroup"
            ),
            None => tracing::warn!(
                "no writable pids cgroup: users' processes have no per-user process limit \
                 (as a systemd service, set Delegate=pids; see deploy/arranger.service)"
            ),
        }
    }
    found
}

/// [`pids_cgroup`] against the cgroup mounts under `sys`, for a process `pid` running as
/// `euid` whose `/proc/self/cgroup` reads `own`.
pub(crate) fn pids_cgroup_in(
    sys: &Path,
    own: &str,
    pid: u32,
    euid: u32,
    name: &str,
    max: u32,
) -> Option<PathBuf> {
    let v1 = sys.join("pids");
    if v1.join("cgroup.procs").exists() {
        // cgroup v1: a hierarchy of its own, no rule against processes in inner cgroups.
        let mine = own_path(own, |controllers| {
            controllers.split(',').any(|c| c == "pids")
        });
        return places(&v1, mine, euid)
            .into_iter()
            .find_map(|base| make_user_cgroup(&base, name, max));
    }
    let controllers = std::fs::read_to_string(sys.join("cgroup.controllers")).ok()?;
    if !controllers.split_whitespace().any(|c| c == "pids") {
        return None;
    }
    let mine = own_path(own, str::is_empty);
    places(sys, mine, euid).into_iter().find_map(|base| {
        if base != sys && !own_processes_to_leaf(&base, pid) {
            return None;
        }
        make_user_cgroup(&base, name, max)
    })
}

/// The cgroup path (relative, without the leading `/`) of the `own` line whose
/// controller list satisfies `wanted` (`""` for cgroup v2's `0::/path`).
fn own_path(own: &str, wanted: impl Fn(&str) -> bool) -> Option<&str> {
    own.lines().find_map(|line| {
        let mut parts = line.splitn(3, ':');
        let (_id, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
        wanted(controllers).then(|| path.trim().trim_start_matches('/'))
    })
}

/// The directories to try, in order (see the module docs): for root, the hierarchy's
/// root and then the server's own cgroup; otherwise the server's own cgroup if `euid` owns
/// it. A path that climbs out with `..` is ignored.
fn places(root: &Path, mine: Option<&str>, euid: u32) -> Vec<PathBuf> {
    use std::os::unix::fs::MetadataExt;
    let own = mine
        .filter(|p| !p.is_empty() && !p.split('/').any(|c| c == ".." || c == "."))
        .map(|p| root.join(p));
    if euid == 0 {
        return std::iter::once(root.to_path_buf()).chain(own).collect();
    }
    own.filter(|dir| std::fs::metadata(dir).is_ok_and(|m| m.uid() == euid))
        .into_iter()
        .collect()
}

/// cgroup v2: moves every process of the cgroup `base` (the server, and anything it
/// started that is still there) into the leaf `base/server`, so that `base` may hand the
/// `pids` controller to its children. False when that is not allowed here.
fn own_processes_to_leaf(base: &Path, pid: u32) -> bool {
    let Ok(procs) = std::fs::read_to_string(base.join("cgroup.procs")) else {
        return false;
    };
    let leaf = base.join("server");
    let mut pids: Vec<&str> = procs.split_whitespace().collect();
    if pids.is_empty() {
        // Already moved (by an earlier user's cgroup); the server itself must be in the leaf.
        return std::fs::read_to_string(leaf.join("cgroup.procs"))
            .is_ok_and(|p| p.split_whitespace().any(|x| x == pid.to_string()));
    }
    if std::fs::create_dir_all(&leaf).is_err() {
        return false;
    }
    // The server first: if it cannot move, nothing else should.
    let me = pid.to_string();
    pids.sort_by_key(|p| *p != me);
    pids.into_iter()
        .all(|p| std::fs::write(leaf.join("cgroup.procs"), p).is_ok())
}

/// Makes `base/arranger/<name>` with `pids.max = max`, enabling the `pids` controller on
/// the way down (cgroup v2; v1 has no `cgroup.subtree_control` and the writes fail
/// harmlessly there).
fn make_user_cgroup(base: &Path, name: &str, max: u32) -> Option<PathBuf> {
    let parent = base.join("arranger");
    let _ = std::fs::write(base.join("cgroup.subtree_control"), "+pids");
    std::fs::create_dir_all(&parent).ok()?;
    let _ = std::fs::write(parent.join("cgroup.subtree_control"), "+pids");
    let dir = parent.join(name);
    std::fs::create_dir_all(&dir).ok()?;
    std::fs::write(dir.join("pids.max"), max.to_string()).ok()?;
    Some(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stand-in for `/sys/fs/cgroup`: directories and the files the code reads.
    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let t = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let p = t.path().join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        t
    }

    fn read(p: &Path) -> String {
        std::fs::read_to_string(p).unwrap_or_default()
    }

    /// Makes `dir` look delegated to a user other than root, and returns that user.
    fn delegate(dir: &Path) -> u32 {
        use std::os::unix::fs::MetadataExt;
        let uid = std::fs::metadata(dir).unwrap().uid();
        if uid != 0 {
            return uid;
        }
        std::os::unix::fs::chown(dir, Some(4242), None).unwrap();
        4242
    }

    #[test]
    fn a_delegated_v2_service_keeps_users_inside_its_own_cgroup() {
        let svc = "system.slice/arranger.service";
        let t = tree(&[
            ("cgroup.controllers", "cpu io memory pids"),
            (&format!("{svc}/cgroup.controllers"), "pids"),
            (&format!("{svc}/cgroup.procs"), "77\n4242\n"),
            (&format!("{svc}/cgroup.subtree_control"), ""),
        ]);
        let base = t.path().join(svc);
        let euid = delegate(&base);
        let own = format!("0::/{svc}\n");
        let dir = pids_cgroup_in(t.path(), &own, 4242, euid, "u1", 512).unwrap();
        assert_eq!(dir, base.join("arranger/u1"));
        assert_eq!(read(&dir.join("pids.max")), "512");
        assert_eq!(read(&base.join("cgroup.subtree_control")), "+pids");
        assert_eq!(read(&base.join("arranger/cgroup.subtree_control")), "+pids");
        // Both processes were moved to the leaf, the server first (a plain file keeps
        // only the last write, so the last one is the other process).
        assert_eq!(read(&base.join("server/cgroup.procs")), "77");
        assert!(!t.path().join("arranger").exists(), "the root was touched");

        // A second user: the service's cgroup is empty now, the server is in the leaf.
        std::fs::write(base.join("cgroup.procs"), "").unwrap();
        std::fs::write(base.join("server/cgroup.procs"), "4242\n77\n").unwrap();
        let dir2 = pids_cgroup_in(t.path(), &own, 4242, euid, "u2", 64).unwrap();
        assert_eq!(dir2, base.join("arranger/u2"));
        assert_eq!(read(&dir2.join("pids.max")), "64");

        // An empty cgroup that does not hold the server in its leaf is someone else's.
        std::fs::write(base.join("server/cgroup.procs"), "77\n").unwrap();
        assert_eq!(pids_cgroup_in(t.path(), &own, 4242, euid, "u3", 8), None);
    }

    #[test]
    fn unprivileged_without_delegation_there_is_no_cgroup() {
        let svc = "user.slice/user-1000.slice/session-1.scope";
        let t = tree(&[
            ("cgroup.controllers", "pids"),
            (&format!("{svc}/cgroup.procs"), "1\n2\n"),
        ]);
        let owner = delegate(&t.path().join(svc));
        let other = owner + 1;
        assert_eq!(
            pids_cgroup_in(t.path(), &format!("0::/{svc}"), 2, other, "u", 8),
            None
        );
        assert!(!t.path().join(svc).join("server").exists());
        assert!(!t.path().join("arranger").exists());
    }

    #[test]
    fn root_uses_the_hierarchy_root_and_moves_no_session() {
        let svc = "user.slice/user-0.slice/session-1.scope";
        let t = tree(&[
            ("cgroup.controllers", "cpu pids"),
            (&format!("{svc}/cgroup.procs"), "1\n2\n"),
        ]);
        let dir = pids_cgroup_in(t.path(), &format!("0::/{svc}\n"), 2, 0, "u", 8).unwrap();
        assert_eq!(dir, t.path().join("arranger/u"));
        assert_eq!(read(&t.path().join("cgroup.subtree_control")), "+pids");
        assert!(
            !t.path().join(svc).join("server").exists(),
            "the session's processes moved"
        );

        // cgroup v1, as this project's CI machine has it: `pids/arranger/<user>`.
        let t = tree(&[("pids/cgroup.procs", ""), ("unified/cgroup.procs", "")]);
        let own = "9:name=systemd:/\n8:pids:/\n4:memory:/m\n0::/\n";
        let dir = pids_cgroup_in(t.path(), own, 1, 0, "u", 8).unwrap();
        assert_eq!(dir, t.path().join("pids/arranger/u"));
        assert_eq!(read(&dir.join("pids.max")), "8");
    }

    #[test]
    fn a_delegated_v1_pids_cgroup_is_used_as_it_is() {
        let svc = "system.slice/a.service";
        let t = tree(&[(&format!("pids/{svc}/cgroup.procs"), "5\n")]);
        std::fs::write(t.path().join("pids/cgroup.procs"), "").unwrap();
        let base = t.path().join("pids").join(svc);
        let euid = delegate(&base);
        let own = format!("9:name=systemd:/x\n8:blkio,pids:/{svc}\n0::/\n");
        let dir = pids_cgroup_in(t.path(), &own, 5, euid, "u", 8).unwrap();
        assert_eq!(dir, base.join("arranger/u"));
        // v1 allows processes beside child cgroups: nothing is moved.
        assert!(!base.join("server").exists());
    }

    #[test]
    fn no_pids_controller_means_no_cgroup() {
        let t = tree(&[("cgroup.controllers", "cpu memory")]);
        assert_eq!(pids_cgroup_in(t.path(), "0::/\n", 1, 0, "u", 8), None);
        let t = tree(&[("unrelated", "")]);
        assert_eq!(pids_cgroup_in(t.path(), "0::/\n", 1, 0, "u", 8), None);
    }

    #[test]
    fn a_path_that_climbs_out_is_ignored() {
        assert_eq!(
            places(Path::new("/r"), Some("a/../b"), 0),
            vec![PathBuf::from("/r")]
        );
        assert_eq!(
            places(Path::new("/r"), Some("../b"), 1000),
            Vec::<PathBuf>::new()
        );
        assert_eq!(own_path("0::/a/b\n", str::is_empty), Some("a/b"));
    }
}
