//! git: the subcommands and the flags that make them destructive.

use crate::commands::Verdict;
use crate::words::Word;

fn has_flag(args: &[Word], short: char, long: &[&str]) -> bool {
    args.iter().filter_map(Word::as_lit).any(|a| {
        if let Some(l) = a.strip_prefix("--") {
            let name = l.split('=').next().unwrap_or(l);
            long.iter()
                .any(|full| *full == name || (name.len() >= 3 && full.starts_with(name)))
        } else if let Some(s) = a.strip_prefix('-') {
            s.contains(short) && !s.is_empty()
        } else {
            false
        }
    })
}

fn operands(args: &[Word]) -> Vec<&Word> {
    let mut out = Vec::new();
    let mut dashdash = false;
    for w in args {
        match w.as_lit() {
            Some("--") if !dashdash => dashdash = true,
            Some(a) if !dashdash && a.starts_with('-') && a.len() > 1 => {}
            _ => out.push(w),
        }
    }
    out
}

/// Judges `git ARGS`.
pub(crate) fn git(args: &[Word]) -> Verdict {
    let mut i = 0;
    let mut config_override = false;
    while let Some(w) = args.get(i) {
        let Some(a) = w.as_lit() else { break };
        match a {
            "-C" | "--git-dir" | "--work-tree" | "--namespace" | "--exec-path"
            | "--super-prefix" | "--config-env" => i += 2,
            "-c" => {
                config_override = true;
                i += 2;
            }
            _ if a.starts_with("--config-env=") || a.starts_with("-c") && a.len() > 2 => {
                config_override = true;
                i += 1;
            }
            _ if a.starts_with('-') => i += 1,
            _ => break,
        }
    }
    let Some(subw) = args.get(i) else {
        return Verdict::low("git without a subcommand prints help");
    };
    let rest = args.get(i + 1..).unwrap_or(&[]);
    let v = match subw.as_lit() {
        None => Verdict::medium("the git subcommand is computed at run time"),
        Some(sub) => subcommand(sub, rest),
    };
    if config_override {
        v.max(Verdict::medium(
            "git -c can make git run arbitrary programs (aliases, pagers, hooks)",
        ))
    } else {
        v
    }
}

fn subcommand(sub: &str, rest: &[Word]) -> Verdict {
    let ops = operands(rest);
    let first_op = ops.first().and_then(|w| w.as_lit());
    match sub {
        "status" | "diff" | "log" | "show" | "blame" | "grep" | "ls-files" | "ls-tree"
        | "ls-remote" | "rev-parse" | "rev-list" | "describe" | "shortlog" | "cat-file"
        | "show-ref" | "for-each-ref" | "whatchanged" | "version" | "help" | "fetch" | "add"
        | "init" | "clone" | "apply" | "am" | "cherry-pick" | "revert" | "merge" | "bisect"
        | "format-patch" | "archive" | "notes" | "mv" | "switch" | "submodule" | "pull"
        | "range-diff" | "merge-base" | "name-rev" | "count-objects" | "fsck" | "var"
        | "check-ignore" | "check-attr" | "show-branch" | "difftool" | "mergetool" | "stage"
        | "sparse-checkout" | "maintenance" | "lfs" | "shortstat" | "annotate" | "citool"
        | "gui" | "instaweb-status" | "request-pull" | "bundle" | "verify-commit"
        | "verify-tag" | "hash-object" | "write-tree" | "commit-tree" | "symbolic-ref"
        | "cherry" | "mktag" | "interpret-trailers" | "column" => {
            if sub == "pull" && has_flag(rest, 'f', &["force"]) {
                Verdict::medium("git pull --force overwrites local refs")
            } else if sub == "switch" && has_flag(rest, 'f', &["force", "discard-changes"]) {
                Verdict::medium("git switch --force discards local changes")
            } else {
                Verdict::low(format!("git {sub} reads or makes an ordinary local change"))
            }
        }
        "commit" | "ci" => {
            if has_flag(rest, '\0', &["amend"]) {
                Verdict::medium("git commit --amend rewrites the last commit")
            } else {
                Verdict::low("git commit records a commit")
            }
        }
        "checkout" | "co" => {
            if has_flag(rest, 'f', &["force"])
                || rest.iter().any(|w| w.as_lit() == Some("--"))
                || ops.iter().any(|w| w.as_lit() == Some("."))
            {
                Verdict::medium("git checkout of paths (or --force) discards uncommitted changes")
            } else {
                Verdict::low("git checkout switches branches")
            }
        }
        "restore" => {
            let staged_only =
                has_flag(rest, 'S', &["staged"]) && !has_flag(rest, 'W', &["worktree"]);
            if staged_only {
                Verdict::low("git restore --staged unstages changes")
            } else {
                Verdict::medium("git restore discards uncommitted changes to files")
            }
        }
        "rm" => {
            if has_flag(rest, '\0', &["cached"]) {
                Verdict::low("git rm --cached untracks files")
            } else {
                Verdict::medium("git rm deletes files from the work tree")
            }
        }
        "stash" => match first_op {
            Some("drop" | "clear") => Verdict::medium("git stash drop/clear deletes stashed work"),
            _ => Verdict::low("git stash sets work aside"),
        },
        "branch" => {
            if has_flag(rest, 'D', &[])
                || (has_flag(rest, 'd', &["delete"]) && has_flag(rest, 'f', &["force"]))
            {
                Verdict::medium("git branch -D deletes a branch even if it is not merged")
            } else if has_flag(rest, 'd', &["delete"]) {
                Verdict::medium("git branch -d deletes a branch")
            } else {
                Verdict::low("git branch lists or creates branches")
            }
        }
        "tag" => {
            if has_flag(rest, 'd', &["delete"]) {
                Verdict::medium("git tag -d deletes a tag")
            } else {
                Verdict::low("git tag lists or creates tags")
            }
        }
        "remote" => match first_op {
            Some("add" | "remove" | "rm" | "set-url" | "rename" | "prune" | "set-head") => {
                Verdict::medium("git remote changes where the repository pushes and fetches")
            }
            _ => Verdict::low("git remote lists remotes"),
        },
        "config" => {
            let read = has_flag(
                rest,
                'l',
                &["get", "get-all", "get-regexp", "list", "show-origin"],
            ) || ops.len() <= 1
                || first_op.is_some_and(|o| matches!(o, "get" | "list"));
            if read {
                Verdict::low("git config reads settings")
            } else {
                Verdict::medium("git config changes settings (which can make git run programs)")
            }
        }
        "worktree" => match first_op {
            Some("remove" | "prune") => Verdict::medium("git worktree remove deletes a work tree"),
            _ => Verdict::low("git worktree manages work trees"),
        },
        "gc" => {
            if rest
                .iter()
                .filter_map(Word::as_lit)
                .any(|a| a.starts_with("--prune"))
            {
                Verdict::medium("git gc --prune deletes unreachable objects for good")
            } else {
                Verdict::low("git gc packs the repository")
            }
        }
        "prune" | "update-ref" | "replace" | "send-email" | "daemon" | "instaweb"
        | "credential" | "credential-store" | "credential-cache" | "p4" | "svn" => Verdict::medium(
            format!("git {sub} changes refs, credentials or talks to other systems"),
        ),
        "reflog" => match first_op {
            Some("expire" | "delete") => Verdict::high(
                "git reflog expire/delete destroys the history needed to recover lost work",
            ),
            _ => Verdict::low("git reflog shows the reflog"),
        },
        "rebase" => {
            if has_flag(
                rest,
                '\0',
                &[
                    "abort",
                    "continue",
                    "skip",
                    "quit",
                    "show-current-patch",
                    "edit-todo",
                ],
            ) {
                Verdict::low("git rebase continues or stops a rebase")
            } else {
                Verdict::medium("git rebase rewrites commits")
            }
        }
        "reset" => {
            if has_flag(rest, '\0', &["hard"]) {
                Verdict::high(
                    "git reset --hard throws away uncommitted changes, which cannot be recovered",
                )
            } else if has_flag(rest, '\0', &["merge"]) {
                Verdict::medium("git reset --merge can discard changes")
            } else {
                Verdict::low("git reset moves HEAD or unstages, keeping the work tree")
            }
        }
        "clean" => {
            if has_flag(rest, 'n', &["dry-run"]) {
                Verdict::low("git clean -n only lists what it would delete")
            } else if has_flag(rest, 'f', &["force"])
                && (has_flag(rest, 'd', &[])
                    || has_flag(rest, 'x', &[])
                    || has_flag(rest, 'X', &[]))
            {
                Verdict::high(
                    "git clean -f with -d or -x deletes untracked files and directories (including ignored ones), which cannot be recovered",
                )
            } else {
                Verdict::medium("git clean deletes untracked files")
            }
        }
        "filter-branch" | "filter-repo" => Verdict::high(format!(
            "git {sub} rewrites the whole history of the repository"
        )),
        "push" => push(rest),
        _ => Verdict::medium(format!(
            "git {sub} is an alias or unknown subcommand, so what it does cannot be known"
        )),
    }
}

fn push(rest: &[Word]) -> Verdict {
    if has_flag(
        rest,
        'f',
        &["force", "force-with-lease", "force-if-includes"],
    ) {
        return Verdict::high(
            "git push --force overwrites the remote branch, discarding others' commits",
        );
    }
    if has_flag(rest, 'd', &["delete"]) {
        return Verdict::high("git push --delete deletes a branch or tag on the remote");
    }
    if has_flag(rest, '\0', &["mirror"]) {
        return Verdict::high("git push --mirror overwrites and deletes every remote ref");
    }
    if has_flag(rest, '\0', &["prune"]) {
        return Verdict::high(
            "git push --prune deletes remote branches that have no local counterpart",
        );
    }
    // Operands: remote, then refspecs. Skip the values of options that take one.
    let mut ops = Vec::new();
    let mut skip = false;
    for w in rest {
        if skip {
            skip = false;
            continue;
        }
        match w.as_lit() {
            Some("-o" | "--push-option" | "--repo" | "--receive-pack" | "--exec") => skip = true,
            Some(a) if a.starts_with('-') => {}
            _ => ops.push(w),
        }
    }
    for r in ops.iter().skip(1) {
        match r.as_lit() {
            Some(s) if s.starts_with('+') => {
                return Verdict::high(format!(
                    "git push of `{s}` (a + refspec) force-pushes, discarding others' commits"
                ));
            }
            Some(s) if s.starts_with(':') && s.len() > 1 => {
                return Verdict::high(format!("git push of `{s}` deletes the remote branch"));
            }
            None => {
                return Verdict::medium(
                    "git push with a refspec computed at run time (it may force or delete)",
                );
            }
            _ => {}
        }
    }
    if has_flag(rest, '\0', &["receive-pack", "exec"]) {
        return Verdict::medium("git push --receive-pack runs a program on the remote");
    }
    Verdict::medium("git push publishes commits to a shared remote")
}
