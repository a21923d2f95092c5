//! The risk policy of Arranger: every tool call an agent or user makes is judged
//! [`Risk::Low`], [`Risk::Medium`] or [`Risk::High`] and gets a [`Decision`]: run at once,
//! or ask the user first.
//!
//! **Architecture invariant:** this crate is pure. No I/O, no clock, no tokio, no other
//! Arranger crate. It sees only the text of a call and the [`Policy`] it is given.
//!
//! # Entry points
//!
//! - [`assess_command`] judges a shell command line. It parses the line with
//!   tree-sitter-bash and judges **every simple command found anywhere**: in pipelines,
//!   `&&`/`||`/`;`/`&` lists, subshells, groups, `$( )` and backticks, `<( )`, function
//!   bodies, `if`/`while`/`for`/`case` bodies, and shell code inside strings and heredocs
//!   (`bash -c '…'`, `eval`, `su -c`, `ssh host '…'`, `trap '…'`, `watch '…'`,
//!   `bash <<EOF`, `psql <<EOF`). The highest risk wins.
//! - [`assess_tool`] judges an agent tool call; `run_command` goes to [`assess_command`].
//!
//! # Decisions
//!
//! - `High` always gives [`Decision::Ask`]; no rule can allow it.
//! - `Medium` asks unless an Allow rule matches the part (every Medium part of the line
//!   must be allowed).
//! - `Low` runs, unless an Ask rule matches.
//!
//! # How words are read
//!
//! - Quotes and escapes are removed before matching: `r''m`, `"rm"`, `\rm`, `'r'"m"` are
//!   all `rm`. ANSI-C strings are decoded (`$'\x72m'` is `rm`); one that cannot be decoded
//!   is treated as computed at run time.
//! - A command name in a system directory (`/bin/`, `/usr/bin/`, `/usr/local/bin/`,
//!   `/sbin/`, `/usr/sbin/`, `/usr/local/sbin/`) is that command: `/usr/bin/rm` is `rm`.
//! - Any other path (`./rm`, `bin/rm`, `/opt/x/rm`) is **not** that command: it is a
//!   program at a path, at least Medium ("could do anything"), and High if the command
//!   its basename names would be High (`./rm -rf x` is High, `./ls` is Medium).
//! - A command name computed at run time (`$CMD`, `${X}`, `"$@"`, `$(echo rm)`) is at
//!   least Medium ("the command name is computed at run time"), and High if its arguments
//!   look like a recursive forced delete (`-rf`, `--recursive --force`,
//!   `--no-preserve-root`) or target `/`, `/*`, `~`, `~/*`.
//! - Short flags are read combined or apart, long ones in full or as GNU abbreviations:
//!   `-rf`, `-fr`, `-r -f`, `-Rf`, `--recursive --force`, `--rec --for`.
//! - `$HOME` and `${HOME}` at the start of a path are read as `~`.
//! - Comments are not commands (`ls # rm -rf /` is Low) and arguments are not commands
//!   (`echo "rm -rf /"` is Low).
//!
//! # Wrappers and code in strings
//!
//! Wrappers are unwrapped and the wrapped command is judged as its own part: `sudo`,
//! `doas`, `pkexec`, `run0` (themselves Medium: administrator rights), `su -c`, `runuser`,
//! `env [-i] [-u X] [VAR=x…]` (and `env -S '…'`), `nice`, `ionice`, `nohup`, `setsid`,
//! `timeout`, `time`, `stdbuf`, `command`, `builtin`, `exec`, `xargs` (the command with its
//! fixed arguments plus unknown input words), `find -exec/-execdir/-ok/-okdir`, `watch`,
//! `strace`, `ltrace`, `flock`, `chroot`, `nsenter`, `unshare`, `systemd-run`, `busybox`.
//!
//! Shell code in a string is parsed recursively, at most [`MAX_SCRIPT_DEPTH`] levels deep
//! (deeper is High): `bash|sh|zsh|dash|ksh|fish -c '…'`, `eval`, `su -c`, `ssh host '…'`,
//! `trap '…' SIG`, `watch '…'`, `env -S`, heredocs and here-strings fed to a shell, and
//! `echo '…' | sh` when the piped text is a literal. A script that is *entirely* the output
//! of a command (`bash -c "$(curl …)"`, `eval "$(…)"`) is High; one partly computed at run
//! time is Medium.
//!
//! A shell or interpreter that reads its program from anything that cannot be seen — a
//! pipe from a command, a file redirect, a process substitution — is High ("runs code it
//! downloaded/decoded without showing it"): `curl … | sh`, `wget -O- … | bash`,
//! `base64 -d | sh`, `… | python3`, `bash < file`, `sh <(curl …)`, `source <(…)`.
//!
//! Parse errors make the line at least Medium; whatever parsed is still judged.
//!
//! # Built-in High
//!
//! | Family | Commands |
//! |---|---|
//! | Deleting files | `rm` with `-r` and `-f` (any target); `rm -r` on `/`, `/*`, `~`, `~user`, `..`, `.`, `*`, a top-level directory or a home; `rm` of a system or login file; `rm --no-preserve-root`; `find -delete` under `/`, `~`, `/home` or a system path |
//! | Disks | `shred`, `wipefs`, `mkfs*`, `mke2fs`, `mkswap`, `fdisk`/`parted` (except listing), `sfdisk`, `gdisk`, `cfdisk`, `sgdisk`, `blkdiscard`, `cryptsetup luksFormat/erase`, `hdparm --security-erase`, `zpool/zfs destroy`, `lvremove`; `dd of=` a device; any write (`>`, `tee`, `cp`, `dd`…) to `/dev/sd*`, `/dev/nvme*`, `/dev/mmcblk*`, `/dev/mem`… |
//! | System and login files | writing, moving, deleting or `chmod`/`chown` of `/`, `/etc`, `/boot`, `/usr`, `/bin`, `/lib*`, `/sys`, `/proc`, `/root`, `/var/lib`, `/dev`, `~/.ssh` (any `.ssh`), `~/.bashrc` and other shell start-up files, `~/.gnupg`, `~/.aws`, `~/.kube`, `~/.gitconfig`, `~/.netrc`, registry credentials; `mv` of `/`, `~`, a top-level directory |
//! | Permissions | `chmod`/`chown`/`chgrp -R` on `/`, `~`, a top-level directory or a home |
//! | Power | `shutdown` (not `-c`), `reboot`, `halt`, `poweroff`, `init`/`telinit 0,1,6,S`, `systemctl poweroff/reboot/halt/kexec/suspend/hibernate/isolate/rescue/emergency` |
//! | Processes | `kill` of `-1` or `1`, `killall5`, `killall`/`pkill` of every process of a user or with a match-all pattern, or of `init`/`systemd`/`sshd`; fork bombs (a function that starts itself in a pipeline or in the background, `:(){ :\|:& };:`) |
//! | git | `push --force`/`-f`/`--force-with-lease`/`--force-if-includes`, a `+refspec`, `push --delete`/`-d`, a `:branch` refspec, `push --mirror`, `push --prune`; `reset --hard`; `clean -f` with `-d`, `-x` or `-X`; `filter-branch`, `filter-repo`; `reflog expire/delete` |
//! | Databases | SQL `DROP TABLE/DATABASE/SCHEMA/USER/ROLE…`, `TRUNCATE`, `DELETE` or `UPDATE` without `WHERE`, `ALTER … DROP` — in `psql -c`, `mysql -e`, `sqlite3 db "…"`, `-cmd`, heredocs, here-strings and literal pipes; `redis-cli FLUSHALL/FLUSHDB/SHUTDOWN` |
//! | Unseen code | a shell or interpreter reading code from a pipe, file redirect or process substitution; `bash -c "$(…)"`, `eval "$(…)"`; `source <(…)` |
//! | Network | output redirected to `/dev/tcp/…` or `/dev/udp/…`; `nc`/`ncat`/`socat` with `-e`/`-c`/`EXEC:` (reverse shells) |
//! | Services | `crontab -r`; `iptables`/`ip6tables -F/-X/-P`, `nft flush/delete`, `ufw disable/reset` |
//! | Infrastructure | `docker/podman system prune -a` (or `--volumes`), `docker volume prune`, `docker run/exec --privileged` or with `/` or the docker socket mounted or host PID; `kubectl delete`, `kubectl drain`; `helm uninstall`; `terraform/tofu destroy`, `apply -destroy`; `pulumi destroy`, `pulumi stack rm`; `aws`/`gcloud`/`az` `delete*`/`terminate*`/`remove*`/`rb`, `aws s3 rm --recursive` |
//! | Registries | `npm/yarn/pnpm/bun unpublish` |
//! | Limits | shell code nested deeper than [`MAX_SCRIPT_DEPTH`]; more than 32 nested wrappers; a syntax tree nested more than 200 levels |
//!
//! # Built-in Medium
//!
//! Unknown commands and programs at a path; `sudo`/`doas`/`su` themselves; `git push`
//! (plain), `git commit --amend`, `git rebase`, `git checkout -- paths`/`restore`,
//! `git branch -d/-D`, `git clean -f` alone, `git rm`, `git config` writes, `git -c`,
//! unknown git subcommands (aliases); `npm/cargo/poetry publish`, `cargo yank`,
//! `cargo install`, `cargo run`, `go run`, `npm install`/`ci`/`add` (local or global),
//! `pip install`, `npx`, package scripts other than test/build/lint/format/check;
//! `apt`/`apt-get`/`dnf`/`pacman`/`brew` changes; `curl`, `wget`, `ssh`, `scp`, `rsync` to
//! or from a remote or with `--delete`, `nc`; `docker run/build/pull/push`, `kubectl`
//! changes, `terraform apply`; `chmod`, `chown`, `rm` (without `-r -f`), `rm -r`, `mv`,
//! `unlink`, `truncate`, `dd`; `kill`, `killall`, `pkill`; `systemctl start/stop`;
//! `make TARGET` for targets other than the usual build/test ones; interpreters running a
//! script or inline code (`python x.py`, `python -c`, `node x.js`, `perl -e`), `bash x.sh`,
//! `source x.sh`; an interactive shell, interpreter or database session; SQL writes;
//! writes (`>`, `tee`, `cp`…) to absolute paths outside `/tmp`, to `~`, to `../`, or to a
//! file named at run time; setting `PATH`, `LD_PRELOAD`, `BASH_ENV`… ; parse errors.
//!
//! # Built-in Low
//!
//! Read-only and everyday development commands: `ls`, `cat`, `head`, `tail`, `wc`, `echo`,
//! `printf`, `pwd`, `grep`, `rg`, `find` (without `-exec`/`-delete`), `sort`, `uniq`,
//! `diff`, `jq`, `true`, `false`, `test`, `[`, `[[`, `mkdir`, `touch`, `cp`/`ln` into the
//! workspace, `sed` (also `-i` on workspace files), `awk` (without `system()`/pipes),
//! `tar`; `git status/diff/log/show/branch/add/commit/fetch/pull/merge/stash/switch/tag`;
//! `cargo build/test/check/clippy/fmt/doc/add/update`; `npm test`, `npm run
//! test|build|lint|format|check|typecheck`; `pytest`, `python -m pytest`, `go test/build`;
//! `make` with no target or `all/build/test/check/lint/fmt/clean/…`; `kubectl get`,
//! `docker ps`, `terraform plan`; SQL that only reads (`SELECT`, `EXPLAIN`, `SHOW`);
//! redirections into the workspace, `/tmp` or `/dev/null`.
//!
//! # Rules
//!
//! A [`Rule`] is an argv-token glob pattern and a [`RuleAction`]:
//!
//! - The pattern is split on whitespace into tokens. Token *i* matches argv word *i* of a
//!   simple command, after quote removal and with the command name normalized
//!   (`/usr/bin/git` is `git`). Within a token, `*` matches any run of characters
//!   (including `/`) and `?` one character; everything else is literal (no escapes, no
//!   character classes).
//! - A final standalone `*` or `**` matches any number of further words, including none:
//!   `cargo *` matches `cargo` and `cargo build --release`.
//! - A `*` or `**` token elsewhere matches exactly one word. A word computed at run time
//!   (`$X`) matches only such a whole-token wildcard.
//! - Without a final wildcard, an **Allow** rule matches only a command with exactly as
//!   many words as the pattern (`npm publish` allows `npm publish`, not
//!   `npm publish --tag beta`), while **Ask** and **High** rules match as a prefix
//!   (`npm publish` asks for `npm publish --tag beta` too): permissions are narrow,
//!   restrictions broad.
//! - A rule matching a wrapper line covers what it wraps: `sudo apt-get install *`
//!   allows both the `sudo` part and the `apt-get` part; `apt-get install *` alone
//!   allows the `apt-get` part but `sudo` still asks.
//! - For tools other than `run_command`, the argv is the single tool name
//!   (`mcp__github__create_issue`).
//!
//! Resolution per part: a matching High rule makes it High; otherwise among matching
//! Allow and Ask rules the most specific scope wins (`Workspace` > `User` > `Builtin`) and
//! within one scope Ask beats Allow. Allow never lowers High. [`Rule::validate`] rejects
//! empty patterns, shell syntax in patterns, Allow patterns whose command name is a bare
//! wildcard, Allow patterns that can match a built-in High command (`rm *`,
//! `git push *`, `sudo *`, `bash -c *`), and Allow patterns that would cover any command a
//! wrapper runs (`time *`, `env RUST_LOG=* *`, `find . *`).
//!
//! # Parser note
//!
//! tree-sitter-bash's C scanner applies `isdigit`/`isalpha` to code points above 255, which
//! is undefined behaviour and crashes. The parser is therefore given an ASCII-only copy of
//! the text in which each non-ASCII character is replaced by as many `x` as it has UTF-8
//! bytes (same offsets); words are read from the original text.
//!
//! # Decisions taken
//!
//! - `git reset --hard` is **High** (uncommitted work is lost for good); `git clean -f`
//!   alone is Medium, with `-d`/`-x`/`-X` High; `git commit --amend` Medium.
//! - `make` is Low for no target or the usual build/test targets, Medium for others
//!   (`install`, `deploy`…), as the project's own build is already trusted by
//!   `cargo test`.
//! - `python x.py`, `node x.js`, `bash x.sh`, `python -c`, `cargo run`, `go run` are
//!   Medium: their code is not judged. `pytest`, `cargo test`, `npm test` are Low.
//! - `sed -i` on workspace files is Low (like the `edit_file` tool); `cp` into the
//!   workspace is Low.
//! - `./rm` is not `rm` (see above), but is never judged lower than `rm`.
//! - `killall`/`pkill` are Medium unless match-all or user-wide; `cargo yank` Medium.
//! - `bash < file` is High, like a pipe: the code is not shown.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod commands;
mod infra;
mod model;
mod paths;
mod rules;
mod shell;
mod sql;
mod vcs;
mod words;

pub use model::{Assessment, Decision, Part, Risk};
pub use rules::{Policy, Rule, RuleAction, RuleError, RuleScope, builtin_rules};

use shell::RawPart;

/// How deep shell code inside strings may nest (`bash -c "sh -c '…'"`); deeper is High.
pub const MAX_SCRIPT_DEPTH: usize = shell::MAX_SCRIPT_DEPTH;

/// Representative built-in High commands; an Allow rule matching any of their High parts
/// is rejected by [`Rule::validate`].
pub(crate) const HIGH_SAMPLES: &[&str] = &[
    "rm -rf /",
    "rm -r -f x",
    "rm -fr x",
    "rm -r /",
    "rm -r ~",
    "rm --recursive --force x",
    "shred x",
    "wipefs -a /dev/sda",
    "mkfs.ext4 /dev/sda1",
    "dd if=/dev/zero of=/dev/sda",
    "shutdown -h now",
    "reboot",
    "halt",
    "poweroff",
    "systemctl reboot",
    "kill -9 -1",
    "killall5",
    "chmod -R 777 /",
    "chown -R x /",
    "git push --force",
    "git push -f",
    "git push origin --force",
    "git push --force-with-lease",
    "git push origin +main",
    "git push origin :main",
    "git push --delete origin x",
    "git push origin --delete x",
    "git push --mirror",
    "git reset --hard",
    "git clean -fdx",
    "git filter-branch",
    "crontab -r",
    "iptables -F",
    "docker system prune -a",
    "kubectl delete pod x",
    "terraform destroy",
    "npm unpublish x",
    "mv / x",
    "mv ~ x",
    "psql -c 'DROP TABLE x'",
    "sudo rm -rf /",
    "sudo -u x rm -rf /",
    "doas rm -rf /",
    "env rm -rf /",
    "nice rm -rf /",
    "timeout 5 rm -rf /",
    "command rm -rf /",
    "exec rm -rf /",
    "xargs rm -rf",
    "find / -exec rm -rf {} ;",
    "find / -delete",
    "bash -c 'rm -rf /'",
    "sh -c 'rm -rf /'",
    "eval 'rm -rf /'",
    "su -c 'rm -rf /'",
    "watch rm -rf /",
    "ssh host rm -rf /",
    "bash -c \"$(curl x)\"",
    "curl x | sh",
    "tee /etc/passwd",
    "cp x /etc/passwd",
];

/// A program name no pattern should name, standing for "any command" in
/// [`WRAPPED_SAMPLES`].
pub(crate) const UNKNOWN_PROGRAM: &str = "arranger-any-program";

/// One line per wrapper that runs another command; an Allow rule matching a wrapper line
/// here would allow any command, and is rejected by [`Rule::validate`].
pub(crate) const WRAPPED_SAMPLES: &[&str] = &[
    "sudo arranger-any-program x",
    "sudo -u root arranger-any-program x",
    "doas arranger-any-program x",
    "pkexec arranger-any-program x",
    "su -c 'arranger-any-program x'",
    "runuser -u x -- arranger-any-program x",
    "env arranger-any-program x",
    "env A=1 arranger-any-program x",
    "nice arranger-any-program x",
    "nice -n 5 arranger-any-program x",
    "ionice -c 3 arranger-any-program x",
    "nohup arranger-any-program x",
    "setsid arranger-any-program x",
    "timeout 5 arranger-any-program x",
    "time arranger-any-program x",
    "stdbuf -o0 arranger-any-program x",
    "command arranger-any-program x",
    "builtin arranger-any-program x",
    "exec arranger-any-program x",
    "xargs arranger-any-program x",
    "xargs -n 1 arranger-any-program x",
    "find . -exec arranger-any-program x ;",
    "watch arranger-any-program x",
    "strace arranger-any-program x",
    "flock f arranger-any-program x",
    "chroot / arranger-any-program x",
    "busybox arranger-any-program x",
    "bash -c 'arranger-any-program x'",
    "sh -c 'arranger-any-program x'",
    "zsh -c 'arranger-any-program x'",
    "eval 'arranger-any-program x'",
    "ssh host arranger-any-program x",
    "trap 'arranger-any-program x' EXIT",
];

/// A short one-line excerpt of shell text for reasons.
pub(crate) fn shell_snippet(s: &str) -> String {
    let one: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out: String = one.chars().take(80).collect();
    if one.chars().count() > 80 {
        out.push('…');
    }
    out
}

/// Applies the policy's rules to raw parts and decides.
fn finish(raw: Vec<RawPart>, policy: &Policy) -> Assessment {
    let mut parts = Vec::with_capacity(raw.len());
    let mut decision = Decision::Run;
    let mut risk = Risk::Low;
    for p in raw {
        let effect = policy.effect(&p.lines);
        let mut part_risk = p.risk;
        let mut reason = p.reason;
        let mut ask = false;
        let mut allowed = false;
        if let Some(r) = effect.high {
            if part_risk < Risk::High {
                reason = format!("{reason}; rule `{}` marks it High", r.pattern);
            }
            part_risk = Risk::High;
        }
        if let Some(r) = effect.allow_or_ask {
            match r.action {
                RuleAction::Ask => {
                    ask = true;
                    if part_risk < Risk::Medium {
                        part_risk = Risk::Medium;
                    }
                    reason = format!("{reason}; rule `{}` asks for it", r.pattern);
                }
                RuleAction::Allow => {
                    if part_risk == Risk::High {
                        reason = format!(
                            "{reason} (rule `{}` is ignored: High always asks)",
                            r.pattern
                        );
                    } else if part_risk == Risk::Medium {
                        allowed = true;
                        reason = format!("{reason}; allowed by rule `{}`", r.pattern);
                    }
                }
                RuleAction::High => {}
            }
        }
        let part_decision = match part_risk {
            Risk::High => Decision::Ask,
            Risk::Medium if allowed && !ask => Decision::Run,
            Risk::Medium => Decision::Ask,
            Risk::Low if ask => Decision::Ask,
            Risk::Low => Decision::Run,
        };
        if part_decision == Decision::Ask {
            decision = Decision::Ask;
        }
        risk = risk.max(part_risk);
        parts.push(Part {
            command: p.command,
            risk: part_risk,
            reason,
        });
    }
    Assessment {
        risk,
        parts,
        decision,
    }
}

/// Judges a shell command line under a policy. Never panics; any input gets a verdict.
pub fn assess_command(cmd: &str, policy: &Policy) -> Assessment {
    finish(shell::judge_raw(cmd), policy)
}

/// Agent tools that only read, report or change the task board.
const LOW_TOOLS: &[&str] = &[
    "read_file",
    "list_dir",
    "search",
    "find_symbol",
    "complete_task",
    "request_assist",
    "block_task",
    "write_file",
    "edit_file",
];

/// File tools that delete or move workspace files.
const DELETE_TOOLS: &[&str] = &[
    "delete",
    "delete_file",
    "delete_dir",
    "remove",
    "remove_file",
    "remove_dir",
    "rm",
    "move_file",
    "rename_file",
];

/// Judges one agent tool call.
///
/// `read_file`, `list_dir`, `search`, `complete_task`, `request_assist`, `block_task`,
/// `write_file` and `edit_file` are Low (file tools are jailed to the workspace and
/// logged); delete/move file tools are Medium; `run_command` is [`assess_command`] of
/// `args["command"]` (a string, or an array of words that is quoted and joined);
/// `mcp__<server>__<tool>` and unknown tools are Medium. Rules whose pattern is the tool
/// name (`mcp__github__create_issue`, `mcp__github__*`) apply to every tool but
/// `run_command`.
pub fn assess_tool(tool: &str, args: &serde_json::Value, policy: &Policy) -> Assessment {
    if tool == "run_command" {
        let cmd = match args.get("command") {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Array(items)) => {
                let words: Option<Vec<String>> =
                    items.iter().map(|v| v.as_str().map(words::quote)).collect();
                match words {
                    Some(w) => w.join(" "),
                    None => {
                        return single(
                            tool,
                            Risk::Medium,
                            "run_command with a non-text argument",
                            policy,
                        );
                    }
                }
            }
            _ => {
                return single(
                    tool,
                    Risk::Medium,
                    "run_command without a `command` string cannot be judged",
                    policy,
                );
            }
        };
        return assess_command(&cmd, policy);
    }
    let (risk, reason) = if LOW_TOOLS.contains(&tool) {
        (
            Risk::Low,
            match tool {
                "write_file" | "edit_file" => {
                    format!("{tool} changes a file inside the workspace jail; the change is logged")
                }
                _ => format!("{tool} only reads or reports"),
            },
        )
    } else if DELETE_TOOLS.contains(&tool) {
        (
            Risk::Medium,
            format!("{tool} deletes or moves workspace files"),
        )
    } else if let Some(rest) = tool.strip_prefix("mcp__") {
        let server = rest.split("__").next().unwrap_or(rest);
        (
            Risk::Medium,
            format!(
                "{tool} is a tool of the MCP server `{server}`, which can act outside Arranger"
            ),
        )
    } else {
        (
            Risk::Medium,
            format!("`{tool}` is not a tool Arranger knows"),
        )
    };
    single(tool, risk, &reason, policy)
}

fn single(tool: &str, risk: Risk, reason: &str, policy: &Policy) -> Assessment {
    finish(
        vec![RawPart {
            command: tool.to_string(),
            risk,
            reason: reason.to_string(),
            lines: vec![vec![Some(tool.to_string())]],
        }],
        policy,
    )
}
