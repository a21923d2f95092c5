//! The process sandbox: one confinement for everything the server starts on a user's
//! behalf — shell commands ([`crate::exec`]), terminals ([`crate::terminal`]) and, later,
//! stdio tool servers.
//!
//! [`SandboxConfig::prepare`] does everything that allocates or opens files in the parent
//! (the Landlock ruleset, the environment); [`Prepared::apply`] is what the child runs
//! between `fork` and `exec` (in `pre_exec`) and only makes system calls:
//!
//! 1. resource limits (CPU time, file size, address space, open files, no core dumps);
//! 2. all capabilities dropped — bounding, ambient, effective, permitted and inheritable
//!    sets — and the secure bits locked so that `exec` never grants root its capabilities
//!    again. The child of a root server stays uid 0 (so it can still write the root-owned
//!    files of its own workspace) but loses `CAP_DAC_OVERRIDE`, `CAP_SYS_ADMIN`, `CAP_KILL`
//!    and the rest;
//! 3. `PR_SET_NO_NEW_PRIVS` (no set-uid or file-capability gain at `exec`);
//! 4. a Landlock domain: read-write beneath the workspace and the user's private temporary
//!    directory; read and execute beneath the system directories ([`SandboxConfig::read_only`],
//!    `/etc` without its secrets, see [`ETC_SECRETS`]); a few harmless device files; nothing
//!    else — not the data directory, not other users' files, not `/proc`. Where the kernel
//!    has Landlock ABI 6, the domain is also **scoped**: the process cannot signal processes
//!    outside its domain (not the server, not another user's commands) nor connect to
//!    abstract Unix sockets created outside it. With [`NetworkPolicy::Deny`] (ABI 4), TCP
//!    `bind` and `connect` are refused.
//!
//! In [`SandboxMode::Required`] the child refuses to `exec` when the filesystem part cannot
//! be enforced (no Landlock), and the caller reports [`HostError::Unavailable`].

use crate::HostError;
use landlock::{
    ABI, Access, AccessFs, AccessNet, BitFlags, CompatLevel, Compatible, PathBeneath, PathFd,
    Ruleset, RulesetAttr, RulesetCreated, RulesetCreatedAttr, RulesetStatus, Scope,
};
use std::ffi::OsString;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Whether processes must run sandboxed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SandboxMode {
    /// Refuse to run a process the kernel cannot confine (multi-user mode).
    Required,
    /// Confine when the kernel can; otherwise run unconfined (single-user mode, or an
    /// administrator's explicit opt-out).
    BestEffort,
}

/// Whether a user's processes may use the network.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NetworkPolicy {
    /// TCP and everything else allowed (the default).
    #[default]
    Allow,
    /// TCP `bind` and `connect` refused by Landlock (ABI 4 or later; UDP is not covered by
    /// Landlock and stays possible). A kernel that cannot enforce this refuses to start the
    /// process rather than silently allowing the network.
    Deny,
}

/// How one user's processes are confined.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// The user's private temporary directory (read-write, `TMPDIR`).
    pub tmp_dir: PathBuf,
    /// Locations processes may read and execute (system directories, toolchains, the
    /// non-secret entries of `/etc`).
    pub read_only: Vec<PathBuf>,
    /// Required or best effort.
    pub mode: SandboxMode,
    /// The user's network policy.
    pub network: NetworkPolicy,
    /// The user's process-count cgroup (see [`pids_cgroup`]): every process started for the
    /// user joins it, so together they never exceed its `pids.max` — a fork bomb stops
    /// there instead of exhausting the machine's process table. `None`: no such limit.
    pub pids_cgroup: Option<PathBuf>,
    /// The largest file a process may write, in bytes (`RLIMIT_FSIZE`; at most 1 GiB):
    /// what is left of the user's storage quota when the process starts.
    pub max_file_bytes: Option<u64>,
}

/// The largest file any sandboxed process may write.
const MAX_FILE_BYTES: u64 = 1 << 30;

pub use crate::cgroup::pids_cgroup;

/// Entries of `/etc` a sandboxed process may not read, relative to `/etc`: password and
/// group shadow files (and their backups), sudo rules, SSH host keys, TLS and IPsec
/// private keys, Kerberos keytabs, VPN and Wi-Fi credentials, PAM's old-password store,
/// container daemon keys and Arranger's own configuration. Every other entry of `/etc`
/// is readable (a directory listed here is excluded whole; for `ssl/private` only that
/// subdirectory is excluded, so `ssl/certs` stays readable for TLS clients).
pub const ETC_SECRETS: &[&str] = &[
    "shadow",
    "shadow-",
    "gshadow",
    "gshadow-",
    "sudoers",
    "sudoers.d",
    "ssh",
    "ssl/private",
    "pki/tls/private",
    "letsencrypt",
    "security",
    "krb5.keytab",
    "ipsec.secrets",
    "ipsec.d",
    "ppp",
    "wireguard",
    "openvpn",
    "NetworkManager",
    "wpa_supplicant",
    "libvirt",
    "docker",
    "containerd",
    "ldap.secret",
    "pam_ldap.secret",
    "arranger",
];

/// Device files a sandboxed process may open (read and write; `/dev/tty` also takes
/// terminal ioctls — it always means the process's own controlling terminal). Everything
/// else in `/dev` is refused: block devices (the raw disk would bypass every file rule),
/// `/dev/pts/*` (other users' terminals), `/dev/shm` (shared with other users).
pub const DEV_ALLOWED: &[&str] = &[
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/random",
    "/dev/urandom",
    "/dev/tty",
];

/// The Landlock ABI the rules are written for (filesystem rights up to ABI 5).
const FS_ABI: ABI = ABI::V5;

/// errno a child reports when the sandbox cannot be enforced in required mode.
const ERRNO_NOT_CONFINED: i32 = libc::ENOTRECOVERABLE;

impl SandboxConfig {
    /// A configuration with the default read-only list and the network allowed.
    pub fn new(tmp_dir: impl Into<PathBuf>, mode: SandboxMode) -> Self {
        SandboxConfig {
            tmp_dir: tmp_dir.into(),
            read_only: Self::default_read_only(),
            mode,
            network: NetworkPolicy::Allow,
            pids_cgroup: None,
            max_file_bytes: None,
        }
    }

    /// The default read-only allow-list: system directories, the entries of `/etc` except
    /// [`ETC_SECRETS`] and, when present, the toolchains in the server's home (`.rustup`,
    /// `.cargo/bin`, `.cargo/registry`, `.cargo/git`, `.pyenv`, `.nvm`) — never the home
    /// directory itself. Computed by listing the file system: call it once.
    pub fn default_read_only() -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/opt"]
            .iter()
            .map(PathBuf::from)
            .collect();
        etc_entries(Path::new("/etc"), "", &mut v);
        if let Some(home) = std::env::var_os("HOME").map(PathBuf::from) {
            for sub in [
                ".rustup",
                ".cargo/bin",
                ".cargo/registry",
                ".cargo/git",
                ".pyenv",
                ".nvm",
            ] {
                v.push(home.join(sub));
            }
        }
        v.retain(|p| p.exists());
        v
    }

    /// The scrubbed environment of a sandboxed process in `workspace`: `PATH` (system
    /// directories and the server's toolchains), `HOME` (the workspace), `TMPDIR`, `LANG`,
    /// `TERM=dumb` (terminals override it) and `RUSTUP_HOME` when rustup is installed.
    /// Nothing of the server's own environment (keys, tokens) is passed on.
    pub fn environment(&self, workspace: &Path) -> Vec<(&'static str, OsString)> {
        let mut path = String::from("/usr/local/bin:/usr/bin:/bin");
        let mut env = Vec::with_capacity(6);
        if let Some(home) = std::env::var_os("HOME").map(PathBuf::from) {
            let extra: Vec<String> = [".cargo/bin", ".pyenv/shims"]
                .iter()
                .map(|s| home.join(s))
                .filter(|p| p.exists())
                .map(|p| p.display().to_string())
                .collect();
            if !extra.is_empty() {
                path = format!("{}:{path}", extra.join(":"));
            }
            if home.join(".rustup").exists() {
                env.push(("RUSTUP_HOME", home.join(".rustup").into_os_string()));
            }
        }
        env.push(("PATH", path.into()));
        env.push(("HOME", workspace.as_os_str().to_owned()));
        env.push(("TMPDIR", self.tmp_dir.as_os_str().to_owned()));
        env.push(("LANG", "C.UTF-8".into()));
        env.push(("TERM", "dumb".into()));
        env
    }

    /// Prepares the confinement of one process whose workspace is `workspace`: creates the
    /// temporary directory and builds the Landlock ruleset (in the parent, where allocating
    /// and opening files is fine). Apply the result in the child with [`Prepared::apply`].
    pub fn prepare(&self, workspace: &Path) -> Result<Prepared, HostError> {
        std::fs::create_dir_all(&self.tmp_dir).map_err(|e| {
            HostError::Internal(format!("cannot create the temporary directory: {e}"))
        })?;
        let abi = landlock_abi();
        if self.network == NetworkPolicy::Deny && abi < 4 {
            return Err(HostError::Unavailable(format!(
                "the network policy \"deny\" needs Landlock ABI 4 (Linux 6.7 or later); this kernel has ABI {abi}, so processes are refused rather than given the network"
            )));
        }
        let err = |e: landlock::RulesetError| {
            HostError::Internal(format!("cannot build the sandbox: {e}"))
        };
        let mut rs = Ruleset::default()
            .set_compatibility(CompatLevel::BestEffort)
            .handle_access(AccessFs::from_all(FS_ABI))
            .map_err(err)?;
        if self.network == NetworkPolicy::Deny {
            rs = rs
                .handle_access(AccessNet::from_all(ABI::V4))
                .map_err(err)?;
        }
        // No-op on kernels before ABI 6 (best effort): signals and abstract sockets then
        // stay unscoped, while the filesystem rules still hold.
        let mut rs = rs
            .scope(Scope::from_all(ABI::V6))
            .map_err(err)?
            .create()
            .map_err(err)?;
        let read = AccessFs::from_read(FS_ABI);
        for p in &self.read_only {
            if let Ok(fd) = PathFd::new(p) {
                rs = rs.add_rule(PathBeneath::new(fd, read)).map_err(err)?;
            }
        }
        for dev in DEV_ALLOWED {
            if let Ok(fd) = PathFd::new(dev) {
                let mut access: BitFlags<AccessFs> = AccessFs::ReadFile | AccessFs::WriteFile;
                if *dev == "/dev/tty" {
                    access |= AccessFs::IoctlDev;
                }
                rs = rs.add_rule(PathBeneath::new(fd, access)).map_err(err)?;
            }
        }
        for p in [workspace, self.tmp_dir.as_path()] {
            let fd = PathFd::new(p)
                .map_err(|e| HostError::Internal(format!("cannot open a sandbox root: {e}")))?;
            rs = rs
                .add_rule(PathBeneath::new(fd, AccessFs::from_all(FS_ABI)))
                .map_err(err)?;
        }
        // Opened here (close-on-exec), written by the child: writing "0" to `cgroup.procs`
        // moves the writer itself.
        let cgroup = self.pids_cgroup.as_ref().and_then(|d| {
            std::fs::OpenOptions::new()
                .write(true)
                .custom_flags(libc::O_CLOEXEC)
                .open(d.join("cgroup.procs"))
                .ok()
        });
        Ok(Prepared {
            ruleset: Some(rs),
            max_file_bytes: self
                .max_file_bytes
                .map_or(MAX_FILE_BYTES, |m| m.min(MAX_FILE_BYTES)),
            required: self.mode == SandboxMode::Required,
            cgroup,
        })
    }
}

/// Adds the entries of `dir` (that is `/etc/<rel>`) that are not secrets; descends into
/// directories that contain a secret deeper down.
fn etc_entries(dir: &Path, rel: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let rel = if rel.is_empty() {
            name
        } else {
            format!("{rel}/{name}")
        };
        if ETC_SECRETS.contains(&rel.as_str()) {
            continue;
        }
        let path = entry.path();
        // A link into /proc would grant a file of the server's own process.
        if let Ok(target) = std::fs::canonicalize(&path)
            && (target.starts_with("/proc") || target.starts_with("/sys"))
        {
            continue;
        }
        let prefix = format!("{rel}/");
        if ETC_SECRETS.iter().any(|s| s.starts_with(&prefix)) {
            if path.is_dir() {
                etc_entries(&path, &rel, out);
            }
        } else {
            out.push(path);
        }
    }
}

/// The confinement of one process, prepared in the parent; [`Prepared::apply`] runs in
/// the child. Applying consumes the ruleset: prepare once per process.
pub struct Prepared {
    ruleset: Option<RulesetCreated>,
    max_file_bytes: u64,
    required: bool,
    /// The user's pids cgroup's `cgroup.procs`, open for writing.
    cgroup: Option<std::fs::File>,
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared")
            .field("required", &self.required)
            .finish_non_exhaustive()
    }
}

/// `struct __user_cap_header_struct`.
#[repr(C)]
struct CapHeader {
    version: u32,
    pid: libc::c_int,
}

/// `struct __user_cap_data_struct`.
#[repr(C)]
#[derive(Clone, Copy)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;
/// SECBIT_NOROOT | _LOCKED, SECBIT_NO_SETUID_FIXUP | _LOCKED, SECBIT_KEEP_CAPS_LOCKED,
/// SECBIT_NO_CAP_AMBIENT_RAISE | _LOCKED: `exec` never grants uid 0 capabilities again.
const SECURE_BITS: libc::c_ulong = 0b1110_1111;

impl Prepared {
    /// A command for `program` that runs confined by this preparation: in `cwd`, with
    /// exactly the sandbox's environment (`env` of `cfg` for `workspace`; add more with
    /// `.envs`), in its own process group, killed when dropped, and [`Prepared::apply`] in
    /// `pre_exec`. Every process started for a user is built here.
    pub fn command(
        mut self,
        program: impl AsRef<std::ffi::OsStr>,
        cfg: &SandboxConfig,
        workspace: &Path,
        cwd: &Path,
    ) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(program);
        cmd.current_dir(cwd)
            .env_clear()
            .envs(cfg.environment(workspace))
            .process_group(0)
            .kill_on_drop(true);
        // SAFETY: the closure runs in the child between fork and exec; `apply` only makes
        // system calls on data prepared in the parent.
        unsafe {
            cmd.pre_exec(move || self.apply());
        }
        cmd
    }

    /// Confines the calling process. Meant for `pre_exec`: between `fork` and `exec` it
    /// only makes system calls on data prepared in the parent and allocates nothing (except
    /// inside the Landlock crate's error path). Fails in required mode when the kernel
    /// cannot enforce the filesystem rules, with an errno the parent maps through
    /// [`spawn_error`].
    pub fn apply(&mut self) -> std::io::Result<()> {
        set_limits(self.max_file_bytes);
        if let Some(f) = &self.cgroup {
            use std::os::fd::AsRawFd;
            // SAFETY: write(2) of a static buffer to a descriptor opened in the parent.
            let n = unsafe { libc::write(f.as_raw_fd(), b"0\n".as_ptr().cast(), 2) };
            if n < 0 {
                return Err(std::io::Error::last_os_error());
            }
        }
        // SAFETY: plain system calls on stack data; errors are checked where they matter.
        unsafe {
            // Needs CAP_SETPCAP, so it fails harmlessly when not root.
            libc::prctl(libc::PR_SET_SECUREBITS, SECURE_BITS, 0, 0, 0);
            for cap in 0..64 {
                // EINVAL past the last capability this kernel knows; EPERM when not root.
                libc::prctl(libc::PR_CAPBSET_DROP, cap as libc::c_ulong, 0, 0, 0);
            }
            libc::prctl(
                libc::PR_CAP_AMBIENT,
                libc::PR_CAP_AMBIENT_CLEAR_ALL as libc::c_ulong,
                0,
                0,
                0,
            );
            let mut header = CapHeader {
                version: LINUX_CAPABILITY_VERSION_3,
                pid: 0,
            };
            let data = [CapData {
                effective: 0,
                permitted: 0,
                inheritable: 0,
            }; 2];
            let r = libc::syscall(
                libc::SYS_capset,
                &mut header as *mut CapHeader,
                data.as_ptr(),
            );
            if r != 0 && self.required {
                return Err(std::io::Error::last_os_error());
            }
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 && self.required {
                return Err(std::io::Error::last_os_error());
            }
        }
        if let Some(rules) = self.ruleset.take() {
            let enforced = matches!(
                rules.restrict_self(),
                Ok(s) if s.ruleset == RulesetStatus::FullyEnforced
                    || s.ruleset == RulesetStatus::PartiallyEnforced
            );
            if !enforced && self.required {
                return Err(std::io::Error::from_raw_os_error(ERRNO_NOT_CONFINED));
            }
        }
        Ok(())
    }
}

fn set_limits(max_file_bytes: u64) {
    let limit = |res, v: libc::rlim_t| {
        let l = libc::rlimit {
            rlim_cur: v,
            rlim_max: v,
        };
        // SAFETY: setrlimit(2) on a stack value.
        unsafe {
            libc::setrlimit(res, &l);
        }
    };
    limit(libc::RLIMIT_CPU, 300);
    limit(libc::RLIMIT_FSIZE, max_file_bytes as libc::rlim_t);
    limit(libc::RLIMIT_AS, 8 << 30);
    limit(libc::RLIMIT_NOFILE, 1024);
    limit(libc::RLIMIT_CORE, 0);
}

/// Maps a spawn failure: a child that refused to run unconfined becomes
/// [`HostError::Unavailable`], anything else an internal error saying what `what` was.
pub fn spawn_error(e: std::io::Error, what: &str) -> HostError {
    if e.raw_os_error() == Some(ERRNO_NOT_CONFINED) {
        HostError::Unavailable(format!(
            "{what} is disabled: the kernel cannot sandbox it (Landlock is unavailable)"
        ))
    } else {
        HostError::Internal(format!("cannot start the {what}: {e}"))
    }
}

/// The Landlock ABI version of the running kernel (0 when Landlock is unavailable).
pub fn landlock_abi() -> i32 {
    static ABI_VERSION: std::sync::OnceLock<i32> = std::sync::OnceLock::new();
    *ABI_VERSION.get_or_init(|| {
        const LANDLOCK_CREATE_RULESET_VERSION: libc::c_ulong = 1;
        // SAFETY: landlock_create_ruleset(NULL, 0, VERSION) only returns a number.
        let v = unsafe {
            libc::syscall(
                libc::SYS_landlock_create_ruleset,
                std::ptr::null::<libc::c_void>(),
                0usize,
                LANDLOCK_CREATE_RULESET_VERSION,
            )
        };
        if v < 0 { 0 } else { v as i32 }
    })
}

/// Whether this kernel can enforce a Landlock ruleset.
pub fn landlock_available() -> bool {
    landlock_abi() >= 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etc_secrets_are_not_readable_but_the_rest_is() {
        let ro = SandboxConfig::default_read_only();
        for secret in ["/etc/shadow", "/etc/gshadow", "/etc/sudoers", "/etc/ssh"] {
            assert!(!ro.contains(&PathBuf::from(secret)), "{secret}");
        }
        assert!(!ro.contains(&PathBuf::from("/etc")));
        assert!(!ro.iter().any(|p| p.starts_with("/etc/ssl/private")));
        if Path::new("/etc/passwd").exists() {
            assert!(ro.contains(&PathBuf::from("/etc/passwd")));
        }
        if Path::new("/etc/ssl/certs").exists() {
            assert!(ro.contains(&PathBuf::from("/etc/ssl/certs")));
        }
    }

    #[test]
    fn the_network_is_allowed_by_default() {
        let cfg = SandboxConfig::new("/tmp/x", SandboxMode::Required);
        assert_eq!(cfg.network, NetworkPolicy::Allow);
        assert_eq!(NetworkPolicy::default(), NetworkPolicy::Allow);
    }
}
