//! The built-in risk table: what each known command does, judged from its words.

use crate::model::Risk;
use crate::paths::{is_protected, is_root_ish, write_verdict};
use crate::rules::Tok;
use crate::shell::Input;
use crate::sql;
use crate::words::{Word, quote};

/// The risk of one part and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Verdict {
    pub risk: Risk,
    pub reason: String,
}

impl Verdict {
    pub fn low(reason: impl Into<String>) -> Self {
        Verdict {
            risk: Risk::Low,
            reason: reason.into(),
        }
    }
    pub fn medium(reason: impl Into<String>) -> Self {
        Verdict {
            risk: Risk::Medium,
            reason: reason.into(),
        }
    }
    pub fn high(reason: impl Into<String>) -> Self {
        Verdict {
            risk: Risk::High,
            reason: reason.into(),
        }
    }
    /// The higher of two verdicts (the first on a tie).
    pub fn max(self, other: Verdict) -> Verdict {
        if other.risk > self.risk { other } else { self }
    }
}

/// Something a command runs, to be judged as its own part.
pub(crate) enum Nested {
    /// A command given as words (`sudo rm -rf /` runs `rm -rf /`).
    Argv(Vec<Word>, Input),
    /// Shell code given as text (`bash -c 'rm -rf /'`).
    Script(String, Input),
}

/// Directories whose programs are the system's own: `/usr/bin/rm` is `rm`.
const SYSTEM_BIN_DIRS: &[&str] = &[
    "/bin/",
    "/usr/bin/",
    "/usr/local/bin/",
    "/sbin/",
    "/usr/sbin/",
    "/usr/local/sbin/",
];

enum Name {
    /// A command by name (after removing a system bin directory).
    Known(String),
    /// A program at some other path (`./rm`, `/opt/x/bin/rm`): the basename.
    AtPath(String),
    /// Computed at run time.
    Dynamic,
}

fn name_of(w: &Word) -> Name {
    let Some(lit) = w.as_lit() else {
        return Name::Dynamic;
    };
    if !lit.contains('/') {
        return Name::Known(lit.to_string());
    }
    for dir in SYSTEM_BIN_DIRS {
        if let Some(base) = lit.strip_prefix(dir)
            && !base.is_empty()
            && !base.contains('/')
        {
            return Name::Known(base.to_string());
        }
    }
    let base = lit.rsplit('/').next().unwrap_or(lit);
    Name::AtPath(base.to_string())
}

/// The argv as rule tokens: the command name normalized, dynamic words as `None`.
pub(crate) fn line_of(argv: &[Word]) -> Vec<Tok> {
    argv.iter()
        .enumerate()
        .map(|(i, w)| {
            if i == 0
                && let Name::Known(n) = name_of(w)
            {
                return Some(n);
            }
            w.lit.clone()
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Option parsing

/// Options and operands of a command line, GNU style.
#[derive(Default)]
struct Opts<'a> {
    /// Short option letters seen (`-rf` gives `r`, `f`).
    short: Vec<char>,
    /// Long option names seen, without `--` and `=value`.
    long: Vec<String>,
    /// Option values: (`-o` or `--output`, value).
    vals: Vec<(String, Word)>,
    /// Operands, in order.
    pos: Vec<&'a Word>,
    /// Index in the argument list of the first operand, when parsing stops there.
    rest: usize,
}

impl Opts<'_> {
    fn has(&self, c: char) -> bool {
        self.short.contains(&c)
    }
    /// Long option given in full or as a GNU abbreviation of at least 3 characters.
    fn long(&self, name: &str) -> bool {
        self.long
            .iter()
            .any(|l| l == name || (l.len() >= 3 && name.starts_with(l.as_str())))
    }
    fn long_prefix(&self, prefix: &str) -> bool {
        self.long.iter().any(|l| l.starts_with(prefix))
    }
    fn val(&self, keys: &[&str]) -> Vec<&Word> {
        self.vals
            .iter()
            .filter(|(k, _)| keys.contains(&k.as_str()))
            .map(|(_, v)| v)
            .collect()
    }
    fn pos_lits(&self) -> Vec<Option<&str>> {
        self.pos.iter().map(|w| w.as_lit()).collect()
    }
}

/// Parses options. `short_val` lists short options that take a value, `long_val` long
/// ones. With `stop_at_operand`, parsing stops at the first operand (wrappers: the rest
/// is the wrapped command).
fn parse_opts<'a>(
    args: &'a [Word],
    short_val: &str,
    long_val: &[&str],
    stop_at_operand: bool,
) -> Opts<'a> {
    let mut o = Opts {
        rest: args.len(),
        ..Opts::default()
    };
    let mut i = 0;
    while i < args.len() {
        let w = &args[i];
        let Some(a) = w.as_lit() else {
            if stop_at_operand {
                o.rest = i;
                return o;
            }
            o.pos.push(w);
            i += 1;
            continue;
        };
        if a == "--" {
            if stop_at_operand {
                o.rest = i + 1;
                return o;
            }
            o.pos.extend(&args[i + 1..]);
            return o;
        }
        if let Some(l) = a.strip_prefix("--") {
            match l.split_once('=') {
                Some((k, v)) => {
                    o.long.push(k.to_string());
                    o.vals.push((format!("--{k}"), Word::lit(v)));
                }
                None => {
                    o.long.push(l.to_string());
                    if long_val.contains(&l) {
                        if let Some(v) = args.get(i + 1) {
                            o.vals.push((format!("--{l}"), v.clone()));
                        }
                        i += 1;
                    }
                }
            }
        } else if a.len() > 1 && a.starts_with('-') {
            let chars: Vec<char> = a.chars().skip(1).collect();
            for (j, c) in chars.iter().enumerate() {
                o.short.push(*c);
                if short_val.contains(*c) {
                    let attached: String = chars[j + 1..].iter().collect();
                    if attached.is_empty() {
                        if let Some(v) = args.get(i + 1) {
                            o.vals.push((format!("-{c}"), v.clone()));
                        }
                        i += 1;
                    } else {
                        o.vals.push((format!("-{c}"), Word::lit(attached)));
                    }
                    break;
                }
            }
        } else {
            if stop_at_operand {
                o.rest = i;
                return o;
            }
            o.pos.push(w);
        }
        i += 1;
    }
    o.rest = o.rest.min(args.len());
    o
}

fn lits(args: &[Word]) -> Vec<Option<&str>> {
    args.iter().map(Word::as_lit).collect()
}

fn first_lit(args: &[Word]) -> Option<&str> {
    args.first().and_then(Word::as_lit)
}

fn show(w: &Word) -> String {
    w.display()
}

// ---------------------------------------------------------------------------------------
// Static output of a pipeline element

/// What `echo`/`printf`/`cat` (with a here-document) print, when statically known.
pub(crate) fn static_output(argv: &[Word], input: &Input) -> Option<String> {
    let Name::Known(name) = name_of(argv.first()?) else {
        return None;
    };
    let args = &argv[1..];
    match name.as_str() {
        "echo" => {
            let mut words = Vec::new();
            let mut flags = true;
            for a in args {
                let l = a.as_lit()?;
                if flags && matches!(l, "-n" | "-e" | "-E" | "-ne" | "-en") {
                    continue;
                }
                flags = false;
                words.push(l.to_string());
            }
            Some(format!("{}\n", words.join(" ")))
        }
        "printf" => {
            let fmt = args.first()?.as_lit()?;
            if args.len() > 1 || fmt.contains('%') {
                return None;
            }
            Some(fmt.replace("\\n", "\n").replace("\\t", "\t"))
        }
        "cat" if args.is_empty() => match input {
            Input::Text(t) => Some(t.clone()),
            _ => None,
        },
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------
// The verdict

/// Judges one simple command. Commands it runs are pushed to `nested`.
pub(crate) fn verdict(argv: &[Word], input: &Input, nested: &mut Vec<Nested>) -> Verdict {
    let Some(first) = argv.first() else {
        return Verdict::low("empty command");
    };
    let args = &argv[1..];
    match name_of(first) {
        Name::Dynamic => dynamic_name(first, args),
        Name::Known(n) => by_name(&n, args, input, nested),
        Name::AtPath(base) => {
            let inner = by_name(&base, args, input, nested);
            let at_path = Verdict::medium(format!(
                "runs the program at `{}`, not a system command; it could do anything",
                first.shell
            ));
            if inner.risk > Risk::Medium {
                Verdict::high(format!(
                    "{} (`{}` is named like `{base}`)",
                    inner.reason, first.shell
                ))
            } else {
                at_path
            }
        }
    }
}

fn is_rf_flag(a: &str) -> bool {
    if let Some(s) = a.strip_prefix('-')
        && !s.starts_with('-')
    {
        return (s.contains('r') || s.contains('R')) && s.contains('f');
    }
    false
}

fn dynamic_name(first: &Word, args: &[Word]) -> Verdict {
    let base = format!(
        "the command name `{}` is computed at run time, so what runs cannot be known",
        first.shell
    );
    let l = lits(args);
    let rf = l.iter().flatten().any(|a| is_rf_flag(a))
        || (l.contains(&Some("--recursive")) && l.contains(&Some("--force")))
        || l.contains(&Some("--no-preserve-root"));
    if rf {
        return Verdict::high(format!(
            "{base}, and its arguments look like a recursive forced delete"
        ));
    }
    if let Some(t) = args
        .iter()
        .filter_map(Word::as_path)
        .find(|p| matches!(p.trim_end_matches('/'), "" | "/*" | "~" | "~/*"))
    {
        return Verdict::high(format!("{base}, and it targets `{t}`"));
    }
    Verdict::medium(base)
}

const LOW_READ: &[&str] = &[
    "ls",
    "ll",
    "la",
    "dir",
    "vdir",
    "cat",
    "tac",
    "head",
    "tail",
    "wc",
    "echo",
    "printf",
    "pwd",
    "grep",
    "egrep",
    "fgrep",
    "rg",
    "ag",
    "ack",
    "fd",
    "fdfind",
    "tree",
    "stat",
    "file",
    "du",
    "df",
    "which",
    "whereis",
    "type",
    "whoami",
    "id",
    "groups",
    "date",
    "cal",
    "uname",
    "printenv",
    "basename",
    "dirname",
    "realpath",
    "readlink",
    "seq",
    "sleep",
    "true",
    "false",
    "test",
    "[",
    ":",
    "column",
    "paste",
    "join",
    "fold",
    "nl",
    "rev",
    "md5sum",
    "sha1sum",
    "sha224sum",
    "sha256sum",
    "sha384sum",
    "sha512sum",
    "b2sum",
    "cksum",
    "base64",
    "base32",
    "xxd",
    "od",
    "hexdump",
    "strings",
    "cut",
    "tr",
    "sort",
    "uniq",
    "diff",
    "cmp",
    "comm",
    "jq",
    "yq",
    "less",
    "more",
    "bat",
    "batcat",
    "man",
    "help",
    "info",
    "tldr",
    "ps",
    "pgrep",
    "top",
    "htop",
    "free",
    "uptime",
    "lsof",
    "ss",
    "netstat",
    "ping",
    "dig",
    "nslookup",
    "host",
    "cd",
    "pushd",
    "popd",
    "dirs",
    "set",
    "shopt",
    "read",
    "wait",
    "exit",
    "return",
    "shift",
    "ulimit",
    "umask",
    "clear",
    "tput",
    "history",
    "jobs",
    "fg",
    "bg",
    "disown",
    "hash",
    "getopts",
    "let",
    "expr",
    "bc",
    "dc",
    "yes",
    "tar",
    "zip",
    "unzip",
    "gzip",
    "gunzip",
    "bzip2",
    "bunzip2",
    "xz",
    "unxz",
    "zstd",
    "zcat",
    "bzcat",
    "xzcat",
    "zgrep",
    "openssl",
    "gpg",
    "ssh-keygen",
    "diff3",
    "patch",
    "wdiff",
    "colordiff",
    "delta",
    "nproc",
    "lscpu",
    "lsblk",
    "lsusb",
    "lspci",
    "env-show",
    "locale",
    "iconv",
    "dos2unix",
    "unix2dos",
    "numfmt",
    "shuf",
    "split",
    "csplit",
    "expand",
    "unexpand",
    "fmt",
    "pr",
    "look",
    "tsort",
    "factor",
    "arch",
    "tty",
    "logname",
    "users",
    "who",
    "w",
    "last",
    "vmstat",
    "iostat",
    "mpstat",
    "pidof",
    "pstree",
    "watchman",
    "cloc",
    "tokei",
    "scc",
    "hyperfine",
    "rustc",
    "rustfmt",
    "rustdoc",
    "clang",
    "clang++",
    "gcc",
    "g++",
    "cc",
    "c++",
    "ld",
    "as",
    "clang-format",
    "clang-tidy",
    "cmake",
    "ninja",
    "meson",
    "ctest",
    "pytest",
    "py.test",
    "mypy",
    "ruff",
    "black",
    "isort",
    "flake8",
    "pylint",
    "pyright",
    "tox",
    "nox",
    "eslint",
    "prettier",
    "tsc",
    "jest",
    "vitest",
    "mocha",
    "ava",
    "biome",
    "shellcheck",
    "shfmt",
    "hadolint",
    "golangci-lint",
    "gofmt",
    "goimports",
    "javac",
    "kotlinc",
    "swiftc",
    "zig",
    "protoc",
    "sqlfmt",
    "markdownlint",
    "yamllint",
    "actionlint",
    "taplo",
    "typos",
    "codespell",
    "mdbook",
    "hugo",
    "jekyll",
    "wasm-pack",
    "trunk",
    "just-list",
    "nextest",
    "cargo-nextest",
    "true",
    "unalias",
    "typeset",
    "compgen",
    "complete",
    "caller",
    "dirs",
    "times",
    "suspend-not",
    "getconf",
];

const LOW_WRITE: &[&str] = &["mkdir", "touch", "rmdir"];

/// Commands whose verdict is by name alone.
fn fixed(name: &str) -> Option<Verdict> {
    Some(match name {
        n if n.starts_with("mkfs") || n == "mke2fs" || n == "mkswap" => {
            Verdict::high(format!("{n} formats a disk or partition, erasing it"))
        }
        "shred" => Verdict::high("shred overwrites files so they cannot be recovered"),
        "wipefs" => Verdict::high("wipefs erases filesystem signatures from a disk"),
        "blkdiscard" => Verdict::high("blkdiscard discards every block of a device"),
        "sfdisk" | "gdisk" | "cfdisk" | "sgdisk" => {
            Verdict::high(format!("{name} rewrites a disk's partition table"))
        }
        "halt" | "poweroff" | "reboot" => {
            Verdict::high(format!("{name} stops or restarts the machine"))
        }
        "killall5" => Verdict::high("killall5 signals every process on the machine"),
        "lvremove" | "vgremove" | "pvremove" => {
            Verdict::high(format!("{name} deletes an LVM volume and its data"))
        }
        "mount" | "umount" | "swapon" | "swapoff" | "losetup" | "modprobe" | "insmod" | "rmmod"
        | "setenforce" | "hostnamectl" | "timedatectl" | "update-grub" | "grub-install"
        | "useradd" | "userdel" | "usermod" | "adduser" | "deluser" | "groupadd" | "groupdel"
        | "passwd" | "chpasswd" | "visudo" | "chsh" | "chattr" | "setfacl" | "service"
        | "journalctl-vacuum" => {
            Verdict::medium(format!("{name} changes the system configuration"))
        }
        "scp" | "sftp" | "ftp" | "telnet" | "aria2c" | "http" | "https" | "xh" => {
            Verdict::medium(format!("{name} transfers data over the network"))
        }
        "npx" | "pnpx" | "bunx" | "uvx" | "pipx" => Verdict::medium(format!(
            "{name} downloads a package and runs it; its code is not shown"
        )),
        "twine" | "gem" => Verdict::medium(format!("{name} manages or publishes packages")),
        "unlink" => Verdict::medium("unlink deletes a file"),
        "alias" => Verdict::low("defines an alias (not expanded in non-interactive shells)"),
        "mongo" | "mongosh" => Verdict::medium(format!("{name} runs commands on a database")),
        _ => return None,
    })
}

fn by_name(name: &str, args: &[Word], input: &Input, nested: &mut Vec<Nested>) -> Verdict {
    if let Some(v) = fixed(name) {
        // Writes by name only; still judge a `mkfs` on a file etc. the same.
        return v;
    }
    match name {
        // Wrappers
        "sudo" | "doas" | "pkexec" | "run0" => sudo(name, args, input, nested),
        "su" | "runuser" => su(name, args, nested),
        "env" => env(args, input, nested),
        "nice" => wrap(name, args, "n", &["adjustment"], input, nested),
        "ionice" => {
            let o = parse_opts(args, "cnp", &["class", "classdata", "pid"], true);
            if !o.val(&["-p", "--pid"]).is_empty() {
                return Verdict::low("ionice changes a process's I/O priority");
            }
            wrap_rest(name, &args[o.rest..], input, nested)
        }
        "nohup" | "setsid" | "unbuffer" | "builtin" | "caffeinate" | "xvfb-run"
        | "dbus-run-session" | "catchsegv" => wrap_rest(name, args, input, nested),
        "time" => wrap(name, args, "fo", &["format", "output"], input, nested),
        "stdbuf" => wrap(
            name,
            args,
            "ioe",
            &["input", "output", "error"],
            input,
            nested,
        ),
        "timeout" => {
            let o = parse_opts(args, "sk", &["signal", "kill-after"], true);
            // The first operand is the duration.
            wrap_rest(name, args.get(o.rest + 1..).unwrap_or(&[]), input, nested)
        }
        "command" => {
            let o = parse_opts(args, "", &[], true);
            if o.has('v') || o.has('V') {
                return Verdict::low("command -v only prints what a name refers to");
            }
            wrap_rest(name, &args[o.rest..], input, nested)
        }
        "exec" => {
            let o = parse_opts(args, "a", &[], true);
            if o.rest >= args.len() {
                return Verdict::low("exec without a command only applies redirections");
            }
            wrap_rest(name, &args[o.rest..], input, nested)
        }
        "strace" | "ltrace" => {
            let o = parse_opts(args, "oepsuEPIbaOSX", &[], true);
            if o.rest >= args.len() {
                return Verdict::medium(format!(
                    "{name} attaches to a running process and can read its memory"
                ));
            }
            wrap_rest(name, &args[o.rest..], input, nested)
        }
        "chroot" => {
            let o = parse_opts(args, "", &["userspec", "groups"], true);
            let rest = args.get(o.rest + 1..).unwrap_or(&[]);
            if !rest.is_empty() {
                nested.push(Nested::Argv(rest.to_vec(), input.clone()));
            }
            Verdict::medium("chroot runs a command with another root directory, as root")
        }
        "nsenter" | "unshare" | "systemd-run" | "firejail" | "bwrap" => {
            let o = parse_opts(
                args,
                "tSGpuM",
                &[
                    "target", "setuid", "setgid", "unit", "uid", "gid", "machine", "property",
                ],
                true,
            );
            if o.rest < args.len() {
                nested.push(Nested::Argv(args[o.rest..].to_vec(), input.clone()));
            }
            Verdict::medium(format!(
                "{name} runs a command in another namespace or service context"
            ))
        }
        "flock" => {
            let o = parse_opts(
                args,
                "wEc",
                &["timeout", "conflict-exit-code", "command"],
                true,
            );
            for c in o.val(&["-c", "--command"]) {
                script_word(c, nested, Input::Tty);
            }
            let rest = args.get(o.rest + 1..).unwrap_or(&[]);
            if !rest.is_empty() {
                nested.push(Nested::Argv(rest.to_vec(), input.clone()));
            }
            Verdict::low("flock runs a command while holding a lock")
        }
        "busybox" | "toybox" => wrap_rest(name, args, input, nested),
        "watch" => {
            let o = parse_opts(args, "ndqgtbecpwx", &["interval", "differences"], true);
            let rest = &args[o.rest..];
            if rest.is_empty() {
                return Verdict::low("watch without a command");
            }
            if o.has('x') || o.long("exec") {
                nested.push(Nested::Argv(rest.to_vec(), Input::Tty));
            } else {
                let text = rest
                    .iter()
                    .map(|w| w.shell.clone())
                    .collect::<Vec<_>>()
                    .join(" ");
                nested.push(Nested::Script(text, Input::Tty));
            }
            Verdict::low("watch runs a command repeatedly")
        }
        "{" | "}" | "(" | ")" | "!" | "then" | "do" | "else" | "elif" | "if" | "while"
        | "until" | "done" | "fi" | "esac" => {
            if args.is_empty() {
                return Verdict::low(format!("`{name}` is shell syntax"));
            }
            nested.push(Nested::Argv(args.to_vec(), input.clone()));
            Verdict::medium(format!(
                "`{name}` is shell syntax used as a command name here; the words after it are judged as a command"
            ))
        }
        "xargs" => xargs(args, nested),
        "find" => find(args, nested),
        "parallel" => Verdict::medium("parallel runs commands built from its input"),
        // Shells and code
        "bash" | "sh" | "zsh" | "dash" | "ksh" | "mksh" | "ash" | "fish" | "csh" | "tcsh"
        | "yash" | "rbash" => shell(name, args, input, nested),
        "eval" => eval(args, nested),
        "source" | "." => source(name, args, input),
        "trap" => {
            if let Some(action) = args.first()
                && args.len() > 1
            {
                script_word(action, nested, Input::Tty);
            }
            Verdict::low("trap sets a handler; the handler's commands are judged too")
        }
        n if is_interpreter(n) => interpreter(n, args, input),
        "awk" | "gawk" | "mawk" | "nawk" => awk(name, args),
        // Databases
        "psql" | "mysql" | "mariadb" | "sqlite3" | "sqlite" | "duckdb" | "clickhouse-client"
        | "cockroach" => sql::client(name, args, input, nested),
        "redis-cli" | "valkey-cli" => sql::redis(name, args, input),
        // Files
        "rm" => rm(args),
        "mv" => mv(args),
        "cp" | "ln" | "install" | "rsync-local" => copy_like(name, args),
        "tee" => {
            let o = parse_opts(args, "", &["output-error"], false);
            o.pos
                .iter()
                .filter_map(|w| write_verdict(w, "tee"))
                .fold(Verdict::low("tee copies its input to files"), Verdict::max)
        }
        "sed" => sed(args),
        "dd" => dd(args),
        "truncate" => targets_written(
            name,
            args,
            "s",
            Verdict::medium("truncate cuts files to a size, discarding their contents"),
        ),
        "chmod" | "chown" | "chgrp" => perms(name, args),
        "fdisk" | "parted" => {
            let l = lits(args);
            if l.contains(&Some("-l")) || l.contains(&Some("--list")) || l.contains(&Some("print"))
            {
                Verdict::low(format!("{name} lists partitions"))
            } else {
                Verdict::high(format!("{name} rewrites a disk's partition table"))
            }
        }
        "cryptsetup" => match lits(args).iter().flatten().find(|a| !a.starts_with('-')) {
            Some(&("luksFormat" | "erase" | "luksErase" | "reencrypt")) => {
                Verdict::high("cryptsetup formats or erases an encrypted volume")
            }
            Some(&("status" | "luksDump" | "isLuks")) => Verdict::low("cryptsetup shows status"),
            _ => Verdict::medium("cryptsetup changes encrypted volumes"),
        },
        "hdparm" => {
            if args
                .iter()
                .filter_map(Word::as_lit)
                .any(|a| a.starts_with("--security-erase") || a.starts_with("--trim-sector"))
            {
                Verdict::high("hdparm erases the disk")
            } else {
                Verdict::medium("hdparm changes disk settings")
            }
        }
        "zpool" | "zfs" => match first_lit(args) {
            Some("destroy") => Verdict::high(format!("{name} destroy deletes a pool or dataset")),
            Some("list" | "status" | "get" | "iostat") => {
                Verdict::low(format!("{name} shows status"))
            }
            _ => Verdict::medium(format!("{name} changes storage pools")),
        },
        n if LOW_WRITE.contains(&n) => targets_written(
            n,
            args,
            "m",
            Verdict::low(format!("{n} creates or removes only empty entries")),
        ),
        // System
        "shutdown" => {
            if lits(args).contains(&Some("-c")) {
                Verdict::medium("shutdown -c cancels a scheduled shutdown")
            } else {
                Verdict::high("shutdown stops or restarts the machine")
            }
        }
        "init" | "telinit" => match first_lit(args) {
            Some("0" | "6" | "1" | "s" | "S" | "q") => Verdict::high(format!(
                "{name} switches the runlevel (halt, reboot or single user)"
            )),
            _ => Verdict::medium(format!("{name} changes the runlevel")),
        },
        "systemctl" => systemctl(args),
        "kill" => kill(args),
        "killall" | "pkill" => killall(name, args),
        "crontab" => {
            let o = parse_opts(args, "u", &[], false);
            if o.has('r') {
                Verdict::high("crontab -r removes every scheduled job of the user")
            } else if o.has('l') {
                Verdict::low("crontab -l lists scheduled jobs")
            } else {
                Verdict::medium("crontab installs or edits scheduled jobs")
            }
        }
        "iptables" | "ip6tables" | "iptables-legacy" | "iptables-nft" | "ip6tables-legacy"
        | "ip6tables-nft" => iptables(name, args),
        "nft" => {
            let l: Vec<&str> = args.iter().filter_map(Word::as_lit).collect();
            if l.first() == Some(&"flush") || l.first() == Some(&"delete") {
                Verdict::high("nft flushes or deletes firewall rules")
            } else if l.first() == Some(&"list") {
                Verdict::low("nft lists firewall rules")
            } else {
                Verdict::medium("nft changes firewall rules")
            }
        }
        "ufw" => match first_lit(args) {
            Some("disable" | "reset") => Verdict::high("ufw disable/reset turns the firewall off"),
            Some("status" | "show") => Verdict::low("ufw shows the firewall status"),
            _ => Verdict::medium("ufw changes firewall rules"),
        },
        "sysctl" => {
            let o = parse_opts(args, "p", &[], false);
            if o.has('w') || o.has('p') || o.pos_lits().iter().flatten().any(|a| a.contains('=')) {
                Verdict::medium("sysctl changes kernel settings")
            } else {
                Verdict::low("sysctl reads kernel settings")
            }
        }
        "hostname" => {
            if args
                .iter()
                .filter_map(Word::as_lit)
                .any(|a| !a.starts_with('-'))
            {
                Verdict::medium("hostname renames the machine")
            } else {
                Verdict::low("hostname prints the machine's name")
            }
        }
        // Version control and build tools
        "git" => crate::vcs::git(args),
        "cargo" => cargo(args),
        "npm" | "yarn" | "pnpm" | "bun" => js_pm(name, args, input),
        "pip" | "pip3" | "uv" | "poetry" | "pdm" | "conda" | "mamba" => py_pm(name, args),
        "go" => go(args),
        "make" | "gmake" => make(name, args),
        "rustup" => match first_lit(args) {
            Some("show" | "which" | "--version" | "-V" | "help" | "doc") => {
                Verdict::low("rustup shows the toolchain")
            }
            Some("component" | "target") if args.get(1).and_then(Word::as_lit) == Some("list") => {
                Verdict::low("rustup lists components")
            }
            _ => Verdict::medium("rustup installs or changes toolchains (network)"),
        },
        "mvn" | "gradle" | "gradlew" | "sbt" | "dotnet" | "swift" | "mix" | "stack" | "cabal" => {
            let sub = args
                .iter()
                .filter_map(Word::as_lit)
                .find(|a| !a.starts_with('-'));
            match sub {
                Some(
                    "test" | "build" | "compile" | "check" | "verify" | "package" | "lint"
                    | "format" | "fmt" | "clean" | "assemble",
                ) => Verdict::low(format!("{name} builds or tests the project")),
                _ => Verdict::medium(format!("{name} may run, install or publish the project")),
            }
        }
        "apt" | "apt-get" | "aptitude" | "dpkg" | "yum" | "dnf" | "rpm" | "zypper" | "pacman"
        | "apk" | "brew" | "snap" | "flatpak" | "port" | "nix-env" | "nix" | "apt-cache" => {
            sys_pm(name, args)
        }
        // Network
        "curl" => curl(args),
        "wget" => {
            let o = parse_opts(
                args,
                "OPoa",
                &["output-document", "directory-prefix"],
                false,
            );
            o.val(&["-O", "--output-document", "-P", "--directory-prefix"])
                .into_iter()
                .filter_map(|w| write_verdict(w, "wget"))
                .fold(
                    Verdict::medium("wget downloads from the network"),
                    Verdict::max,
                )
        }
        "ssh" => ssh(args, nested),
        "rsync" => rsync(args),
        "nc" | "ncat" | "netcat" | "socat" => {
            let l: Vec<&str> = args.iter().filter_map(Word::as_lit).collect();
            let exec = l.iter().any(|a| {
                matches!(*a, "-e" | "-c" | "--exec" | "--sh-exec" | "--lua-exec")
                    || a.to_ascii_uppercase().starts_with("EXEC:")
                    || a.to_ascii_uppercase().starts_with("SYSTEM:")
            });
            if exec {
                Verdict::high(format!(
                    "{name} connects a program to the network (the pattern of a reverse shell)"
                ))
            } else {
                Verdict::medium(format!("{name} opens network connections"))
            }
        }
        // Containers and cloud
        "docker" | "podman" | "nerdctl" => crate::infra::docker(name, args),
        "docker-compose" => crate::infra::compose(name, args),
        "kubectl" | "oc" | "k" => crate::infra::kubectl(name, args),
        "helm" => crate::infra::helm(args),
        "terraform" | "tofu" | "terragrunt" => crate::infra::terraform(name, args),
        "pulumi" => crate::infra::pulumi(args),
        "aws" | "gcloud" | "az" | "doctl" | "flyctl" | "heroku" => crate::infra::cloud(name, args),
        n if LOW_READ.contains(&n) => read_only(n, args),
        n => Verdict::medium(format!(
            "`{}` is not a command Arranger knows, so it could do anything",
            quote(n)
        )),
    }
}

fn read_only(name: &str, args: &[Word]) -> Verdict {
    let base = Verdict::low(format!("{name} only reads or prints"));
    match name {
        "tar" => {
            let o = parse_opts(args, "fCT", &["file", "directory"], false);
            o.val(&["-C", "--directory"])
                .into_iter()
                .filter_map(|w| write_verdict(w, "tar -C"))
                .fold(
                    Verdict::low("tar packs or unpacks an archive"),
                    Verdict::max,
                )
        }
        "patch" => Verdict::low("patch edits files in the workspace"),
        _ => base,
    }
}

/// A wrapper whose options are described by `short_val`/`long_val`; the rest is the
/// wrapped command.
fn wrap(
    name: &str,
    args: &[Word],
    short_val: &str,
    long_val: &[&str],
    input: &Input,
    nested: &mut Vec<Nested>,
) -> Verdict {
    let o = parse_opts(args, short_val, long_val, true);
    wrap_rest(name, &args[o.rest..], input, nested)
}

fn wrap_rest(name: &str, rest: &[Word], input: &Input, nested: &mut Vec<Nested>) -> Verdict {
    if rest.is_empty() {
        return Verdict::low(format!("{name} without a command"));
    }
    nested.push(Nested::Argv(rest.to_vec(), input.clone()));
    Verdict::low(format!(
        "{name} runs the command after it, which is judged on its own"
    ))
}

fn sudo(name: &str, args: &[Word], input: &Input, nested: &mut Vec<Nested>) -> Verdict {
    let o = parse_opts(
        args,
        "ughpCDrtUTaRc",
        &[
            "user",
            "group",
            "host",
            "prompt",
            "close-from",
            "chdir",
            "role",
            "type",
            "other-user",
            "command-timeout",
            "chroot",
        ],
        true,
    );
    let rest = &args[o.rest..];
    if o.has('e') || o.long("edit") {
        return Verdict::medium(format!("{name} -e edits files as root"));
    }
    if o.has('l') && rest.is_empty() || o.has('v') || o.has('k') || o.has('K') || o.has('V') {
        return Verdict::low(format!("{name} only shows or resets privileges"));
    }
    if rest.is_empty() {
        return Verdict::medium(format!("{name} opens a root shell"));
    }
    nested.push(Nested::Argv(rest.to_vec(), input.clone()));
    Verdict::medium(format!(
        "{name} runs `{}` with administrator rights",
        rest.iter().map(show).collect::<Vec<_>>().join(" ")
    ))
}

fn su(name: &str, args: &[Word], nested: &mut Vec<Nested>) -> Verdict {
    let o = parse_opts(
        args,
        "cswgGu",
        &[
            "command",
            "shell",
            "group",
            "supp-group",
            "whitelist-environment",
            "user",
        ],
        name == "runuser",
    );
    for c in o.val(&["-c", "--command"]) {
        script_word(c, nested, Input::Tty);
    }
    if name == "runuser" && o.rest < args.len() && o.val(&["-c", "--command"]).is_empty() {
        nested.push(Nested::Argv(args[o.rest..].to_vec(), Input::Tty));
    }
    Verdict::medium(format!("{name} runs commands as another user"))
}

fn env(args: &[Word], input: &Input, nested: &mut Vec<Nested>) -> Verdict {
    let o = parse_opts(args, "uCS", &["unset", "chdir", "split-string"], true);
    for s in o.val(&["-S", "--split-string"]) {
        script_word(s, nested, input.clone());
    }
    let mut rest = &args[o.rest..];
    while let Some(first) = rest.first() {
        match first.as_lit() {
            Some(a) if a.contains('=') && !a.starts_with('=') && !a.starts_with('/') => {
                rest = &rest[1..]
            }
            _ => break,
        }
    }
    if rest.is_empty() {
        return Verdict::low("env prints the environment");
    }
    nested.push(Nested::Argv(rest.to_vec(), input.clone()));
    Verdict::low("env runs the command after it with a changed environment")
}

/// Pushes shell code given as one word; returns whether it was a static script.
fn script_word(w: &Word, nested: &mut Vec<Nested>, input: Input) {
    nested.push(Nested::Script(w.shell.clone(), input));
}

/// The verdict on running shell code held in a word (`bash -c WORD`, `eval WORD`).
fn code_word(who: &str, w: &Word, nested: &mut Vec<Nested>) -> Verdict {
    let trimmed = w.shell.trim();
    let whole_subst = w.subst
        && ((trimmed.starts_with("$(") && trimmed.ends_with(')'))
            || (trimmed.starts_with('`') && trimmed.ends_with('`')));
    if whole_subst {
        return Verdict::high(format!(
            "{who} runs code that a command produces at run time (`{}`), without showing it",
            crate::shell_snippet(trimmed)
        ));
    }
    script_word(w, nested, Input::Tty);
    if w.lit.is_some() {
        Verdict::low(format!(
            "{who} runs the given shell code; its commands are judged one by one"
        ))
    } else {
        Verdict::medium(format!(
            "{who} runs shell code that is partly computed at run time (`{}`)",
            crate::shell_snippet(trimmed)
        ))
    }
}

fn stdin_code(who: &str, input: &Input, nested: &mut Vec<Nested>, shell: bool) -> Verdict {
    match input {
        Input::Unknown(what) => Verdict::high(format!(
            "{who} runs code it reads from {what}: code downloaded or decoded at run time, never shown"
        )),
        Input::Text(t) => {
            if shell {
                nested.push(Nested::Script(t.clone(), Input::Tty));
                Verdict::low(format!(
                    "{who} runs the shell code given on its input; its commands are judged one by one"
                ))
            } else {
                Verdict::medium(format!("{who} runs the program text given on its input"))
            }
        }
        Input::Tty => Verdict::medium(format!("{who} starts an interactive session")),
    }
}

fn shell(name: &str, args: &[Word], input: &Input, nested: &mut Vec<Nested>) -> Verdict {
    let mut i = 0;
    let mut dash_c = false;
    let mut read_stdin = false;
    while i < args.len() {
        let Some(a) = args[i].as_lit() else { break };
        if a == "--" || a == "-" {
            i += 1;
            if a == "-" {
                read_stdin = true;
            }
            break;
        }
        if a == "-o" || a == "+o" || a == "-O" || a == "+O" || a == "--rcfile" || a == "--init-file"
        {
            i += 2;
            continue;
        }
        if a.starts_with("--") {
            i += 1;
            continue;
        }
        if (a.starts_with('-') || a.starts_with('+')) && a.len() > 1 {
            dash_c |= a.contains('c') && a.starts_with('-');
            read_stdin |= a.contains('s') && a.starts_with('-');
            i += 1;
            continue;
        }
        break;
    }
    let rest = &args[i.min(args.len())..];
    if dash_c {
        let Some(code) = rest.first() else {
            return Verdict::medium(format!("{name} -c without code"));
        };
        return code_word(&format!("{name} -c"), code, nested);
    }
    if !read_stdin && let Some(script) = rest.first() {
        let s = script.shell.trim();
        if script.subst && (s.starts_with("<(") || s.starts_with("$(")) {
            return Verdict::high(format!(
                "{name} runs a script produced at run time by `{}`, without showing it",
                crate::shell_snippet(s)
            ));
        }
        if matches!(script.as_lit(), Some("/dev/stdin" | "/proc/self/fd/0")) {
            return stdin_code(name, input, nested, true);
        }
        return Verdict::medium(format!(
            "{name} runs the script file `{}`, whose contents are not shown",
            show(script)
        ));
    }
    stdin_code(name, input, nested, true)
}

fn eval(args: &[Word], nested: &mut Vec<Nested>) -> Verdict {
    if args.is_empty() {
        return Verdict::low("eval without code");
    }
    if args.len() == 1 {
        return code_word("eval", &args[0], nested);
    }
    let joined = Word {
        lit: args
            .iter()
            .map(|w| w.lit.clone())
            .collect::<Option<Vec<_>>>()
            .map(|v| v.join(" ")),
        shell: args
            .iter()
            .map(|w| w.shell.clone())
            .collect::<Vec<_>>()
            .join(" "),
        subst: args.iter().any(|w| w.subst),
    };
    code_word("eval", &joined, nested)
}

fn source(name: &str, args: &[Word], input: &Input) -> Verdict {
    let Some(file) = args.first() else {
        return Verdict::low(format!("{name} without a file"));
    };
    let s = file.shell.trim();
    if file.subst && (s.starts_with("<(") || s.starts_with("$(")) {
        return Verdict::high(format!(
            "{name} runs shell code produced at run time by `{}`, without showing it",
            crate::shell_snippet(s)
        ));
    }
    if matches!(file.as_lit(), Some("/dev/stdin" | "-" | "/proc/self/fd/0"))
        && let Input::Unknown(what) = input
    {
        return Verdict::high(format!(
            "{name} runs shell code it reads from {what}, never shown"
        ));
    }
    Verdict::medium(format!(
        "{name} runs the shell file `{}` in the current shell; its contents are not shown",
        show(file)
    ))
}

fn is_interpreter(n: &str) -> bool {
    let base = n.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
    matches!(
        base,
        "python"
            | "pypy"
            | "node"
            | "nodejs"
            | "perl"
            | "ruby"
            | "php"
            | "lua"
            | "luajit"
            | "deno"
            | "Rscript"
            | "R"
            | "osascript"
            | "pwsh"
            | "powershell"
            | "tclsh"
            | "wish"
            | "irb"
            | "ts-node"
            | "tsx"
            | "java"
            | "groovy"
            | "scala"
            | "julia"
            | "guile"
            | "racket"
            | "sbcl"
            | "ghci"
            | "runghc"
            | "elixir"
            | "erl"
            | "jshell"
    )
}

fn interpreter(name: &str, args: &[Word], input: &Input) -> Verdict {
    let l = lits(args);
    let first = l.first().copied().flatten();
    if matches!(
        first,
        Some("-V" | "--version" | "-v" | "-version" | "--help" | "-h")
    ) && args.len() == 1
    {
        return Verdict::low(format!("{name} prints its version"));
    }
    let is_py = name.starts_with("python") || name.starts_with("pypy");
    if is_py {
        let o = parse_opts(args, "cmWX", &[], true);
        if let Some(m) = o.val(&["-m"]).first() {
            let module = m.as_lit().unwrap_or("");
            return match module {
                "pytest" | "unittest" | "mypy" | "ruff" | "black" | "isort" | "flake8"
                | "pylint" | "json.tool" | "doctest" | "compileall" | "py_compile" | "pydoc"
                | "timeit" | "tabnanny" | "pyflakes" | "venv" | "virtualenv" | "tox"
                | "coverage" | "pyright" | "build" | "tomllib" | "site" | "this" => {
                    Verdict::low(format!("{name} -m {module} runs a development tool"))
                }
                "pip" => py_pm("pip", args.get(o.rest..).unwrap_or(&[])),
                _ => Verdict::medium(format!("{name} -m {module} runs a module's code")),
            };
        }
        if !o.val(&["-c"]).is_empty() {
            return Verdict::medium(format!("{name} -c runs inline code that is not judged"));
        }
        return match args.get(o.rest) {
            Some(s) if s.as_lit() != Some("-") => Verdict::medium(format!(
                "{name} runs the script `{}`, whose code is not judged",
                show(s)
            )),
            _ => stdin_code(name, input, &mut Vec::new(), false),
        };
    }
    let inline = l.iter().flatten().any(|a| {
        matches!(
            *a,
            "-e" | "-E"
                | "--eval"
                | "-p"
                | "--print"
                | "-r"
                | "-c"
                | "-pe"
                | "-ne"
                | "-pie"
                | "-lne"
                | "-i"
                | "--command"
                | "-Command"
                | "-script"
                | "-expr"
        )
    });
    if inline {
        return Verdict::medium(format!("{name} runs inline code that is not judged"));
    }
    if name == "node" && l.contains(&Some("--test")) {
        return Verdict::low("node --test runs the project's tests");
    }
    match args
        .iter()
        .find(|w| w.as_lit().is_none_or(|a| !a.starts_with('-')))
    {
        Some(s) if s.as_lit() != Some("-") => Verdict::medium(format!(
            "{name} runs `{}`, whose code is not judged",
            show(s)
        )),
        _ => stdin_code(name, input, &mut Vec::new(), false),
    }
}

fn awk(name: &str, args: &[Word]) -> Verdict {
    let o = parse_opts(args, "fvF", &["file", "assign", "field-separator"], true);
    if !o.val(&["-f", "--file"]).is_empty() {
        return Verdict::medium(format!("{name} runs a program file that is not shown"));
    }
    match args.get(o.rest) {
        Some(p) => match p.as_lit() {
            Some(prog) if prog.contains("system") || prog.contains('|') => Verdict::medium(
                format!("the {name} program runs shell commands (system() or a pipe)"),
            ),
            Some(prog) if prog.contains('>') => {
                Verdict::medium(format!("the {name} program writes to files"))
            }
            Some(_) => Verdict::low(format!("{name} transforms text")),
            None => Verdict::medium(format!("the {name} program is computed at run time")),
        },
        None => Verdict::low(format!("{name} without a program")),
    }
}

fn xargs(args: &[Word], nested: &mut Vec<Nested>) -> Verdict {
    let o = parse_opts(
        args,
        "IinLlPsdEea",
        &[
            "replace",
            "max-args",
            "max-lines",
            "max-procs",
            "max-chars",
            "delimiter",
            "eof",
            "arg-file",
            "process-slot-var",
        ],
        true,
    );
    let rest = &args[o.rest..];
    if rest.is_empty() {
        return Verdict::low("xargs without a command runs echo");
    }
    let mut cmd = rest.to_vec();
    // xargs appends the words it reads: unknown at this point.
    cmd.push(Word::dynamic("<input words>"));
    nested.push(Nested::Argv(cmd, Input::Tty));
    Verdict::low("xargs runs the command after it with words from its input")
}

fn find(args: &[Word], nested: &mut Vec<Nested>) -> Verdict {
    let mut starts: Vec<&Word> = Vec::new();
    let mut i = 0;
    // Leading options -H -L -P -D x -Ox
    while let Some(a) = args.get(i).and_then(Word::as_lit) {
        if matches!(a, "-H" | "-L" | "-P") || a.starts_with("-O") {
            i += 1;
        } else if a == "-D" {
            i += 2;
        } else {
            break;
        }
    }
    while let Some(w) = args.get(i) {
        match w.as_lit() {
            Some(a) if a.starts_with('-') || a == "(" || a == "!" => break,
            _ => {
                starts.push(w);
                i += 1;
            }
        }
    }
    let mut v = Verdict::low("find searches for files");
    while i < args.len() {
        let a = args[i].as_lit().unwrap_or("");
        match a {
            "-exec" | "-execdir" | "-ok" | "-okdir" => {
                let mut cmd = Vec::new();
                i += 1;
                while let Some(w) = args.get(i) {
                    if matches!(w.as_lit(), Some(";" | "+")) {
                        break;
                    }
                    cmd.push(if w.as_lit().is_some_and(|s| s.contains("{}")) {
                        Word::dynamic(w.shell.clone())
                    } else {
                        w.clone()
                    });
                    i += 1;
                }
                if !cmd.is_empty() {
                    nested.push(Nested::Argv(cmd, Input::Tty));
                }
                v = v.max(Verdict::low(format!(
                    "find {a} runs a command on each file found; it is judged on its own"
                )));
            }
            "-delete" => {
                let broad = starts.is_empty()
                    || starts.iter().any(|s| {
                        s.as_path().is_none_or(|p| {
                            (is_root_ish(&p) && p != "." && p != "./") || is_protected(&p)
                        })
                    });
                let wide = starts.iter().any(|s| {
                    s.as_path()
                        .is_some_and(|p| matches!(p.trim_end_matches('/'), "" | "~" | "/home"))
                        || s.as_path().is_some_and(|p| is_protected(&p))
                });
                v = v.max(if wide || (broad && !starts.is_empty()) {
                    Verdict::high(format!(
                        "find -delete deletes files under `{}`",
                        starts.iter().map(|s| show(s)).collect::<Vec<_>>().join(" ")
                    ))
                } else {
                    Verdict::medium("find -delete deletes every file it matches")
                });
            }
            "-fprint" | "-fprint0" | "-fprintf" | "-fls" => {
                if let Some(w) = args.get(i + 1)
                    && let Some(wv) = write_verdict(w, "find")
                {
                    v = v.max(wv);
                }
            }
            _ => {}
        }
        i += 1;
    }
    v
}

fn rm(args: &[Word]) -> Verdict {
    let o = parse_opts(args, "", &[], false);
    let r = o.has('r') || o.has('R') || o.long("recursive");
    let f = o.has('f') || o.long("force");
    if o.long("no-preserve-root") {
        return Verdict::high("rm --no-preserve-root is meant to delete /");
    }
    if r && f {
        return Verdict::high("rm with -r and -f deletes recursively without asking");
    }
    for t in &o.pos {
        let Some(p) = t.as_path() else { continue };
        if r && is_root_ish(&p) {
            return Verdict::high(format!(
                "rm -r on `{p}` deletes a whole directory tree such as / or a home"
            ));
        }
        if is_protected(&p) {
            return Verdict::high(format!(
                "rm deletes `{p}`, a system, login or credential file"
            ));
        }
    }
    if r {
        Verdict::medium("rm -r deletes a directory tree")
    } else {
        Verdict::medium("rm deletes files")
    }
}

fn mv(args: &[Word]) -> Verdict {
    let o = parse_opts(args, "tS", &["target-directory", "suffix"], false);
    let mut all: Vec<&Word> = o.pos.clone();
    all.extend(o.val(&["-t", "--target-directory"]));
    for t in &all {
        let Some(p) = t.as_path() else { continue };
        if is_root_ish(&p) && p != "*" && p != "." {
            return Verdict::high(format!("mv moves `{p}`, a top-level or home directory"));
        }
        if is_protected(&p) {
            return Verdict::high(format!(
                "mv moves or overwrites `{p}`, a system or login file"
            ));
        }
    }
    Verdict::medium("mv moves or renames files, overwriting what is in the way")
}

fn copy_like(name: &str, args: &[Word]) -> Verdict {
    let o = parse_opts(
        args,
        "tSmogT",
        &["target-directory", "suffix", "mode", "owner", "group"],
        false,
    );
    let mut dests: Vec<&Word> = o.val(&["-t", "--target-directory"]);
    if dests.is_empty()
        && o.pos.len() >= 2
        && let Some(last) = o.pos.last()
    {
        dests.push(last);
    }
    dests
        .into_iter()
        .filter_map(|w| write_verdict(w, name))
        .fold(
            Verdict::low(format!("{name} copies or links files")),
            Verdict::max,
        )
}

fn targets_written(name: &str, args: &[Word], short_val: &str, base: Verdict) -> Verdict {
    let o = parse_opts(args, short_val, &["size", "mode", "reference"], false);
    o.pos
        .iter()
        .filter_map(|w| write_verdict(w, name))
        .fold(base, Verdict::max)
}

fn sed(args: &[Word]) -> Verdict {
    let o = parse_opts(args, "efl", &["expression", "file", "line-length"], false);
    let in_place = o.has('i') || o.long_prefix("in-place");
    if !in_place {
        return Verdict::low("sed transforms text");
    }
    let has_script_opt = !o.val(&["-e", "--expression", "-f", "--file"]).is_empty();
    let files = if has_script_opt {
        &o.pos[..]
    } else {
        o.pos.get(1..).unwrap_or(&[])
    };
    files
        .iter()
        .filter_map(|w| write_verdict(w, "sed -i"))
        .fold(Verdict::low("sed -i edits files in place"), Verdict::max)
}

fn dd(args: &[Word]) -> Verdict {
    let mut v = Verdict::medium("dd copies raw data");
    for a in args {
        if let Some(l) = a.as_lit()
            && let Some(of) = l.strip_prefix("of=")
            && let Some(wv) = write_verdict(&Word::lit(of), "dd")
        {
            v = v.max(wv);
        }
    }
    v
}

fn perms(name: &str, args: &[Word]) -> Verdict {
    let o = parse_opts(args, "", &["reference", "from"], false);
    let recursive = o.has('R') || o.long("recursive");
    // The first operand is the mode or owner (unless --reference).
    let targets: &[&Word] = if o.val(&["--reference"]).is_empty() {
        o.pos.get(1..).unwrap_or(&[])
    } else {
        &o.pos
    };
    for t in targets {
        let Some(p) = t.as_path() else { continue };
        if recursive && is_root_ish(&p) {
            return Verdict::high(format!(
                "{name} -R on `{p}` changes a whole system or home directory tree"
            ));
        }
        if is_protected(&p) {
            return Verdict::high(format!("{name} changes `{p}`, a system or login file"));
        }
    }
    Verdict::medium(format!("{name} changes who may read, write or run files"))
}

fn systemctl(args: &[Word]) -> Verdict {
    let o = parse_opts(
        args,
        "tpHMn",
        &["type", "property", "host", "machine"],
        false,
    );
    match o.pos.first().and_then(|w| w.as_lit()) {
        Some(
            "poweroff" | "reboot" | "halt" | "kexec" | "emergency" | "rescue" | "suspend"
            | "hibernate" | "hybrid-sleep" | "soft-reboot",
        ) => Verdict::high("systemctl stops, restarts or suspends the machine"),
        Some(s) if s.starts_with("list-") || s.starts_with("is-") => {
            Verdict::low("systemctl shows units")
        }
        Some("status" | "show" | "cat" | "help" | "--version") | None => {
            Verdict::low("systemctl shows units")
        }
        Some("isolate") => Verdict::high("systemctl isolate can stop most of the system"),
        _ => Verdict::medium("systemctl starts, stops or changes services"),
    }
}

fn kill(args: &[Word]) -> Verdict {
    let mut pids: Vec<&str> = Vec::new();
    let mut i = 0;
    let mut signal_given = false;
    while let Some(w) = args.get(i) {
        let a = w.as_lit().unwrap_or("$");
        if a == "--" {
            pids.extend(args[i + 1..].iter().map(|w| w.as_lit().unwrap_or("$")));
            break;
        }
        if a == "-l" || a == "-L" || a == "--list" {
            return Verdict::low("kill -l lists signals");
        }
        if (a == "-s" || a == "-n") && !signal_given {
            signal_given = true;
            i += 2;
            continue;
        }
        if a.starts_with('-') && !signal_given && pids.is_empty() {
            signal_given = true;
            i += 1;
            continue;
        }
        pids.push(a);
        i += 1;
    }
    if pids.iter().any(|p| *p == "-1" || *p == "1") {
        return Verdict::high("kill on -1 or 1 signals every process (or init)");
    }
    Verdict::medium("kill stops processes")
}

fn killall(name: &str, args: &[Word]) -> Verdict {
    let o = parse_opts(args, "usUtgPFGO", &["user", "signal"], false);
    let user_only = !o.val(&["-u", "--user", "-U"]).is_empty() && o.pos.is_empty();
    let broad = o.pos.iter().any(|w| {
        matches!(
            w.as_lit(),
            Some("." | ".*" | "" | "^" | "init" | "systemd" | "sshd")
        )
    });
    if user_only || broad {
        return Verdict::high(format!(
            "{name} matches every process (of a user) or a critical one"
        ));
    }
    Verdict::medium(format!("{name} stops every process matching a name"))
}

fn iptables(name: &str, args: &[Word]) -> Verdict {
    let o = parse_opts(args, "tAIDRNPLSZEv", &["table", "policy"], false);
    if o.has('F')
        || o.long("flush")
        || o.has('X')
        || o.long("delete-chain")
        || o.has('P')
        || o.long("policy")
    {
        return Verdict::high(format!(
            "{name} flushes rules or changes a default policy, which can cut the machine off"
        ));
    }
    if (o.has('L') || o.has('S') || o.long("list")) && !o.has('A') && !o.has('I') && !o.has('D') {
        return Verdict::low(format!("{name} lists firewall rules"));
    }
    Verdict::medium(format!("{name} changes firewall rules"))
}

fn cargo(args: &[Word]) -> Verdict {
    let o = parse_opts(
        args,
        "ZC",
        &["config", "color", "manifest-path", "target-dir"],
        true,
    );
    let config = !o.val(&["--config"]).is_empty();
    let rest = &args[o.rest..];
    let mut rest = rest;
    if rest
        .first()
        .and_then(Word::as_lit)
        .is_some_and(|s| s.starts_with('+'))
    {
        rest = &rest[1..];
    }
    let sub = first_lit(rest);
    let v = match sub {
        Some(
            "build" | "b" | "test" | "t" | "check" | "c" | "clippy" | "fmt" | "doc" | "d" | "bench"
            | "tree" | "metadata" | "clean" | "new" | "init" | "add" | "remove" | "rm" | "update"
            | "fetch" | "search" | "version" | "help" | "locate-project" | "pkgid" | "vendor"
            | "generate-lockfile" | "verify-project" | "nextest" | "llvm-cov" | "expand"
            | "machete" | "deny" | "audit" | "outdated" | "fix" | "info" | "read-manifest"
            | "report" | "udeps" | "hack" | "insta" | "about" | "semver-checks",
        ) => Verdict::low("cargo builds, checks or tests the project"),
        Some("--version" | "-V" | "--list") | None => Verdict::low("cargo shows information"),
        Some("run" | "r") => Verdict::medium("cargo run runs the project's program"),
        Some("install" | "uninstall") => {
            Verdict::medium("cargo install downloads, builds and installs a program")
        }
        Some("publish") => Verdict::medium("cargo publish uploads a crate to the registry"),
        Some("yank") => Verdict::medium("cargo yank withdraws a published crate version"),
        Some("login" | "logout" | "owner") => {
            Verdict::medium("cargo changes registry credentials or owners")
        }
        Some(s) => Verdict::medium(format!("cargo {s} is an unknown or plugin subcommand")),
    };
    if config {
        v.max(Verdict::medium(
            "cargo --config can change which programs cargo runs",
        ))
    } else {
        v
    }
}

const SAFE_SCRIPTS: &[&str] = &[
    "test",
    "tests",
    "build",
    "lint",
    "format",
    "fmt",
    "check",
    "typecheck",
    "type-check",
    "tsc",
    "compile",
    "coverage",
    "prettier",
    "eslint",
];

fn js_pm(name: &str, args: &[Word], input: &Input) -> Verdict {
    let o = parse_opts(
        args,
        "C",
        &["prefix", "cwd", "dir", "filter", "workspace"],
        true,
    );
    let rest = &args[o.rest..];
    let global = args
        .iter()
        .filter_map(Word::as_lit)
        .any(|a| a == "-g" || a == "--global" || a == "global");
    let sub = first_lit(rest);
    match sub {
        None if rest.is_empty() => {
            if name == "yarn" {
                Verdict::medium("yarn installs dependencies, running their install scripts")
            } else if name == "bun" {
                stdin_code(name, input, &mut Vec::new(), false)
            } else {
                Verdict::low(format!("{name} shows help"))
            }
        }
        Some("test" | "t" | "tst") => Verdict::low(format!("{name} test runs the project's tests")),
        Some("run" | "run-script") => {
            let script = rest.get(1).and_then(Word::as_lit).unwrap_or("");
            if SAFE_SCRIPTS.contains(&script)
                || script.starts_with("test:")
                || script.starts_with("lint:")
            {
                Verdict::low(format!(
                    "{name} run {script} runs the project's own {script} script"
                ))
            } else {
                Verdict::medium(format!(
                    "{name} run {script} runs a package script, which can do anything"
                ))
            }
        }
        Some(
            "ls" | "list" | "outdated" | "view" | "info" | "why" | "explain" | "help" | "version"
            | "--version" | "-v" | "config" | "search" | "pack" | "root" | "bin" | "prefix"
            | "doctor" | "fund" | "whoami" | "licenses",
        ) => Verdict::low(format!("{name} shows information")),
        Some("audit") => {
            if rest.iter().filter_map(Word::as_lit).any(|a| a == "fix") {
                Verdict::medium(format!("{name} audit fix changes dependencies"))
            } else {
                Verdict::low(format!("{name} audit reports vulnerabilities"))
            }
        }
        Some("unpublish") => Verdict::high(format!(
            "{name} unpublish deletes a published package version from the registry for everyone"
        )),
        Some("publish") => {
            Verdict::medium(format!("{name} publish uploads a package to the registry"))
        }
        Some(
            "install" | "i" | "ci" | "add" | "update" | "up" | "upgrade" | "remove" | "rm"
            | "uninstall" | "un" | "r" | "link" | "dedupe" | "prune" | "rebuild",
        ) => {
            if global {
                Verdict::medium(format!("{name} installs or removes packages globally"))
            } else {
                Verdict::medium(format!(
                    "{name} installs or removes packages (network), running their install scripts"
                ))
            }
        }
        Some(
            "deprecate" | "dist-tag" | "owner" | "access" | "token" | "login" | "adduser"
            | "logout" | "team" | "org" | "hook" | "star",
        ) => Verdict::medium(format!("{name} changes registry state or credentials")),
        Some("exec" | "x" | "dlx" | "create" | "init") => {
            Verdict::medium(format!("{name} downloads or runs a package's code"))
        }
        Some(s) if SAFE_SCRIPTS.contains(&s) && name != "npm" => {
            Verdict::low(format!("{name} {s} runs the project's own {s} script"))
        }
        Some(s) if name == "bun" && (s.ends_with(".ts") || s.ends_with(".js")) => {
            Verdict::medium(format!("bun runs `{s}`, whose code is not judged"))
        }
        _ => Verdict::medium(format!(
            "{name} {} runs a package script or unknown subcommand",
            rest.first().map(show).unwrap_or_default()
        )),
    }
}

fn py_pm(name: &str, args: &[Word]) -> Verdict {
    let words: Vec<&str> = args
        .iter()
        .filter_map(Word::as_lit)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let sub = match (name, words.first()) {
        ("uv", Some(&"pip")) => words.get(1).copied(),
        (_, s) => s.copied(),
    };
    match sub {
        Some(
            "list" | "show" | "freeze" | "check" | "help" | "debug" | "inspect" | "tree" | "search"
            | "config" | "env" | "lock" | "version" | "venv",
        ) => Verdict::low(format!("{name} shows or records information")),
        None => Verdict::low(format!("{name} shows help")),
        Some("run") => Verdict::medium(format!("{name} run runs a program")),
        Some("publish" | "upload") => Verdict::medium(format!("{name} publishes a package")),
        Some(s) => Verdict::medium(format!(
            "{name} {s} installs or changes packages (network, install scripts)"
        )),
    }
}

fn go(args: &[Word]) -> Verdict {
    match first_lit(args) {
        Some(
            "test" | "build" | "vet" | "fmt" | "version" | "env" | "list" | "doc" | "clean"
            | "help" | "tool" | "work",
        ) => Verdict::low("go builds, checks or tests the project"),
        Some("mod") => match args.get(1).and_then(Word::as_lit) {
            Some("tidy" | "download" | "graph" | "why" | "verify" | "vendor" | "init" | "edit") => {
                Verdict::low("go mod manages the project's modules")
            }
            _ => Verdict::medium("go mod with an unknown action"),
        },
        Some("run") => Verdict::medium("go run runs the project's program"),
        Some("install" | "get") => Verdict::medium("go install/get downloads and installs code"),
        Some("generate") => {
            Verdict::medium("go generate runs the commands written in source files")
        }
        _ => Verdict::medium("go with an unknown subcommand"),
    }
}

const SAFE_TARGETS: &[&str] = &[
    "all",
    "build",
    "test",
    "tests",
    "check",
    "lint",
    "fmt",
    "format",
    "compile",
    "debug",
    "release",
    "docs",
    "doc",
    "bench",
    "coverage",
    "ci",
    "typecheck",
    "clippy",
    "clean",
    "help",
];

fn make(name: &str, args: &[Word]) -> Verdict {
    let o = parse_opts(
        args,
        "CfIoWjlE",
        &[
            "directory",
            "file",
            "makefile",
            "include-dir",
            "old-file",
            "what-if",
            "jobs",
            "eval",
        ],
        false,
    );
    if !o.val(&["--eval", "-E"]).is_empty() {
        return Verdict::medium(format!("{name} --eval runs inline make code"));
    }
    let targets: Vec<&Word> = o
        .pos
        .iter()
        .copied()
        .filter(|w| w.as_lit().is_none_or(|a| !a.contains('=')))
        .collect();
    if o.has('n') || o.long("dry-run") || o.long("just-print") {
        return Verdict::low(format!("{name} -n only prints the recipes"));
    }
    match targets
        .iter()
        .find(|w| w.as_lit().is_none_or(|t| !SAFE_TARGETS.contains(&t)))
    {
        None => Verdict::low(format!(
            "{name} runs the project's own build or test recipes"
        )),
        Some(t) => Verdict::medium(format!(
            "{name} {} runs a recipe that can do anything (install, deploy, …)",
            show(t)
        )),
    }
}

fn sys_pm(name: &str, args: &[Word]) -> Verdict {
    let words: Vec<&str> = args.iter().filter_map(Word::as_lit).collect();
    let read = |s: &str| {
        matches!(
            s,
            "list"
                | "search"
                | "show"
                | "info"
                | "policy"
                | "depends"
                | "rdepends"
                | "changelog"
                | "-l"
                | "-L"
                | "-s"
                | "-S"
                | "--list"
                | "--status"
                | "--search"
                | "-q"
                | "-qa"
                | "-qi"
                | "-ql"
                | "query"
                | "-Q"
                | "-Qi"
                | "-Ql"
                | "-Qs"
                | "-Ss"
                | "-Si"
                | "-Sl"
                | "provides"
                | "whatprovides"
                | "repolist"
                | "madison"
                | "--version"
                | "-v"
                | "help"
                | "outdated"
                | "deps"
                | "leaves"
                | "doctor"
                | "config"
                | "--print-architecture"
        )
    };
    if name == "apt-cache" || words.first().is_some_and(|w| read(w)) {
        Verdict::low(format!("{name} queries installed or available packages"))
    } else {
        Verdict::medium(format!(
            "{name} installs, removes or upgrades system packages"
        ))
    }
}

fn curl(args: &[Word]) -> Verdict {
    let o = parse_opts(
        args,
        "oTdXHuAeEmrwxbcKFUzYyCDQ",
        &[
            "output",
            "upload-file",
            "data",
            "data-binary",
            "data-raw",
            "request",
            "header",
            "user",
            "config",
            "output-dir",
            "dump-header",
            "cookie-jar",
        ],
        false,
    );
    if o.pos.is_empty() && (o.long("version") || o.has('V') || o.long("help")) {
        return Verdict::low("curl shows its version");
    }
    o.val(&[
        "-o",
        "--output",
        "--output-dir",
        "-D",
        "--dump-header",
        "-c",
        "--cookie-jar",
    ])
    .into_iter()
    .filter_map(|w| write_verdict(w, "curl"))
    .fold(
        Verdict::medium("curl downloads from or sends to the network"),
        Verdict::max,
    )
}

fn ssh(args: &[Word], nested: &mut Vec<Nested>) -> Verdict {
    let o = parse_opts(args, "pilocFJLRDbcEeImOQSWwB", &[], true);
    let rest = &args[o.rest..];
    if rest.len() > 1 {
        let remote = rest[1..]
            .iter()
            .map(|w| w.shell.clone())
            .collect::<Vec<_>>()
            .join(" ");
        nested.push(Nested::Script(remote, Input::Tty));
        return Verdict::medium(format!(
            "ssh runs a command on `{}`; the remote command is judged too",
            show(&rest[0])
        ));
    }
    Verdict::medium("ssh opens a session on another machine")
}

fn rsync(args: &[Word]) -> Verdict {
    let o = parse_opts(
        args,
        "eTfB",
        &["rsh", "temp-dir", "filter", "exclude", "include"],
        false,
    );
    let remote = o.pos.iter().any(|w| {
        w.as_lit()
            .is_none_or(|a| a.contains(':') && !a.starts_with('/') && !a.starts_with('.'))
    });
    let mut v = if remote {
        Verdict::medium("rsync copies to or from another machine")
    } else if o.long_prefix("delete") || o.long_prefix("remove-source") {
        Verdict::medium("rsync --delete removes files missing from the source")
    } else {
        Verdict::low("rsync copies files")
    };
    if o.pos.len() >= 2
        && let Some(dest) = o.pos.last()
        && let Some(wv) = write_verdict(dest, "rsync")
    {
        v = v.max(wv);
    }
    v
}
