//! Path classes: system and login files, disk devices, and targets too broad to delete.

use crate::commands::Verdict;
use crate::words::Word;

/// Home-relative files and directories that control logins, credentials or shells.
const HOME_PROTECTED: &[&str] = &[
    ".ssh",
    ".gnupg",
    ".aws",
    ".kube",
    ".docker/config.json",
    ".bashrc",
    ".bash_profile",
    ".bash_login",
    ".bash_logout",
    ".profile",
    ".zshrc",
    ".zprofile",
    ".zshenv",
    ".zlogin",
    ".config/fish",
    ".config/autostart",
    ".config/systemd",
    ".gitconfig",
    ".netrc",
    ".npmrc",
    ".pypirc",
    ".cargo/credentials",
    ".cargo/credentials.toml",
    ".git-credentials",
];

/// Absolute system prefixes whose contents only an administrator should change.
const SYSTEM_PREFIXES: &[&str] = &[
    "/etc",
    "/boot",
    "/bin",
    "/sbin",
    "/usr",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/sys",
    "/proc",
    "/root",
    "/var/lib",
    "/var/spool/cron",
    "/dev",
];

fn trim(path: &str) -> &str {
    let t = path.trim_end_matches('/');
    if t.is_empty() && path.starts_with('/') {
        "/"
    } else {
        t
    }
}

fn under(path: &str, prefix: &str) -> bool {
    path == prefix
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// A system file or directory, or a login/credential file in a home directory.
pub(crate) fn is_protected(path: &str) -> bool {
    let p = trim(path);
    if p == "/" {
        return true;
    }
    if SYSTEM_PREFIXES.iter().any(|pre| under(p, pre)) {
        return true;
    }
    let home_rel = p
        .strip_prefix("~/")
        .or_else(|| {
            // /home/<user>/… and /root/… (already protected above)
            p.strip_prefix("/home/")
                .and_then(|rest| rest.split_once('/').map(|(_, r)| r))
        })
        .or_else(|| {
            p.strip_prefix('~')
                .and_then(|rest| rest.split_once('/').map(|(_, r)| r))
        });
    if let Some(rel) = home_rel
        && HOME_PROTECTED.iter().any(|h| under(rel, h))
    {
        return true;
    }
    // Any `.ssh` directory, wherever it is.
    p.split('/').any(|seg| seg == ".ssh")
}

/// A block device or memory device: writing to it destroys a disk or the running system.
pub(crate) fn is_disk_device(path: &str) -> bool {
    let Some(dev) = path.strip_prefix("/dev/") else {
        return false;
    };
    [
        "sd", "hd", "vd", "xvd", "nvme", "mmcblk", "disk", "mapper/", "dm-", "md", "loop", "sr",
        "mem", "kmem", "port", "nbd", "zd", "rbd",
    ]
    .iter()
    .any(|p| dev.starts_with(p))
}

/// Device files that are harmless to write to.
fn is_harmless_device(path: &str) -> bool {
    matches!(
        path,
        "/dev/null"
            | "/dev/stdout"
            | "/dev/stderr"
            | "/dev/stdin"
            | "/dev/tty"
            | "/dev/zero"
            | "/dev/full"
            | "/dev/random"
            | "/dev/urandom"
    ) || path.starts_with("/dev/fd/")
        || path.starts_with("/dev/pts/")
        || path.starts_with("/dev/shm/")
}

/// A target that means "everything": `/`, `~`, `*`, `..`, a top-level directory, a home.
pub(crate) fn is_root_ish(path: &str) -> bool {
    let p = trim(path);
    if matches!(
        p,
        "/" | "/*" | "~" | "~/*" | "~/.*" | "*" | ".*" | "." | "./*" | ".." | "../*" | "/home/*"
    ) {
        return true;
    }
    if p.starts_with('~') && !p.contains('/') {
        // ~user
        return true;
    }
    if let Some(rest) = p.strip_prefix('/') {
        // A top-level directory such as /etc, /usr, /home or /var.
        let rest = rest.trim_end_matches("/*");
        if !rest.is_empty() && !rest.contains('/') && rest != "tmp" {
            return true;
        }
        if let Some(user) = rest.strip_prefix("home/") {
            return !user.contains('/');
        }
    }
    false
}

/// The verdict on writing to `w` (through `how`, e.g. "a redirection" or "tee"), or
/// `None` when that is an ordinary workspace write.
pub(crate) fn write_verdict(w: &Word, how: &str) -> Option<Verdict> {
    let Some(p) = w.as_path() else {
        return Some(Verdict::medium(format!(
            "{how} writes to a file whose name is computed at run time (`{}`)",
            w.shell
        )));
    };
    if is_harmless_device(&p) {
        return None;
    }
    if p.starts_with("/dev/tcp/") || p.starts_with("/dev/udp/") {
        return Some(Verdict::high(format!(
            "{how} sends data to a network connection (`{p}`), the pattern of a reverse shell"
        )));
    }
    if is_disk_device(&p) {
        return Some(Verdict::high(format!(
            "{how} overwrites the disk or memory device `{p}`"
        )));
    }
    if is_protected(&p) {
        return Some(Verdict::high(format!(
            "{how} writes to `{p}`, a system, login or credential file"
        )));
    }
    if under(&p, "/tmp") || under(&p, "/var/tmp") {
        return None;
    }
    if p.starts_with('/') || p.starts_with('~') || p == ".." || p.starts_with("../") {
        return Some(Verdict::medium(format!(
            "{how} writes to `{p}`, which may be outside the workspace"
        )));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        assert!(is_protected("/etc/passwd"));
        assert!(is_protected("~/.ssh/authorized_keys"));
        assert!(is_protected("/home/bob/.bashrc"));
        assert!(is_protected("/"));
        assert!(!is_protected("/tmp/x"));
        assert!(!is_protected("src/etc"));
        assert!(is_disk_device("/dev/sda1"));
        assert!(is_disk_device("/dev/nvme0n1"));
        assert!(!is_disk_device("/dev/null"));
        assert!(is_root_ish("/"));
        assert!(is_root_ish("~/"));
        assert!(is_root_ish("/usr"));
        assert!(is_root_ish("/home/bob"));
        assert!(!is_root_ish("/home/bob/x"));
        assert!(!is_root_ish("/tmp"));
        assert!(!is_root_ish("build"));
    }
}
