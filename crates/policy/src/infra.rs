//! Containers, clusters and clouds.

use crate::commands::Verdict;
use crate::words::Word;

fn words(args: &[Word]) -> Vec<&str> {
    args.iter().filter_map(Word::as_lit).collect()
}

/// The first non-option word after skipping global options that take a value.
fn sub_after<'a>(args: &'a [Word], valued: &[&str]) -> (Option<&'a str>, &'a [Word]) {
    let mut i = 0;
    while let Some(w) = args.get(i) {
        match w.as_lit() {
            Some(a) if valued.contains(&a) => i += 2,
            Some(a) if a.starts_with('-') => i += 1,
            Some(a) => return (Some(a), args.get(i + 1..).unwrap_or(&[])),
            None => return (None, args.get(i + 1..).unwrap_or(&[])),
        }
    }
    (None, &[])
}

fn host_escape(rest: &[Word]) -> bool {
    let w = words(rest);
    w.iter().enumerate().any(|(i, a)| {
        let next = w.get(i + 1).copied().unwrap_or("");
        *a == "--privileged"
            || a.starts_with("--pid=host")
            || (*a == "--pid" && next == "host")
            || a.starts_with("--cap-add=ALL")
            || a.starts_with("--cap-add=SYS_ADMIN")
            || ((*a == "-v" || *a == "--volume")
                && (next.starts_with("/:") || next.starts_with("/var/run/docker.sock")))
            || a.starts_with("--volume=/:")
            || a.starts_with("-v/:")
            || (a.starts_with("--mount") && (a.contains("source=/,") || a.ends_with("source=/")))
    })
}

/// `docker`, `podman`, `nerdctl`.
pub(crate) fn docker(name: &str, args: &[Word]) -> Verdict {
    let (sub, rest) = sub_after(
        args,
        &[
            "-H",
            "--host",
            "--context",
            "-c",
            "--config",
            "-l",
            "--log-level",
        ],
    );
    let w = words(rest);
    match sub {
        Some(
            "ps" | "images" | "logs" | "inspect" | "version" | "info" | "stats" | "top" | "events"
            | "history" | "search" | "port" | "diff" | "help",
        ) => Verdict::low(format!("{name} {} shows information", sub.unwrap_or(""))),
        Some("system") => match w.first() {
            Some(&"prune") => {
                if w.iter().any(|a| {
                    matches!(*a, "-a" | "--all" | "--volumes")
                        || (a.starts_with('-') && !a.starts_with("--") && a.contains('a'))
                }) {
                    Verdict::high(format!(
                        "{name} system prune -a deletes every unused image, container and network (and volumes)"
                    ))
                } else {
                    Verdict::medium(format!(
                        "{name} system prune deletes stopped containers and dangling images"
                    ))
                }
            }
            _ => Verdict::low(format!("{name} system shows information")),
        },
        Some("volume") => match w.first() {
            Some(&"prune") => Verdict::high(format!(
                "{name} volume prune deletes the data of every unused volume"
            )),
            Some(&("rm" | "remove")) => {
                Verdict::medium(format!("{name} volume rm deletes a volume's data"))
            }
            _ => Verdict::low(format!("{name} volume lists or creates volumes")),
        },
        Some("image" | "container" | "network" | "builder" | "buildx") => match w.first() {
            Some(&("ls" | "list" | "inspect" | "history")) => {
                Verdict::low(format!("{name} lists objects"))
            }
            _ => Verdict::medium(format!("{name} changes images, containers or networks")),
        },
        Some("run" | "create" | "exec") => {
            if host_escape(rest) {
                Verdict::high(format!(
                    "{name} {} gives the container control of the host (privileged, host PID or / mounted)",
                    sub.unwrap_or("")
                ))
            } else {
                Verdict::medium(format!("{name} {} runs a container", sub.unwrap_or("")))
            }
        }
        Some("compose") => compose(name, rest),
        _ => Verdict::medium(format!(
            "{name} {} builds, pulls, pushes, stops or removes containers or images",
            sub.unwrap_or("")
        )),
    }
}

/// `docker compose` / `docker-compose`.
pub(crate) fn compose(name: &str, args: &[Word]) -> Verdict {
    let (sub, _) = sub_after(
        args,
        &[
            "-f",
            "--file",
            "-p",
            "--project-name",
            "--profile",
            "--env-file",
        ],
    );
    match sub {
        Some("ps" | "logs" | "config" | "ls" | "images" | "top" | "version" | "port") => {
            Verdict::low(format!("{name} shows information"))
        }
        _ => Verdict::medium(format!("{name} starts, stops or changes services")),
    }
}

/// `kubectl` and friends.
pub(crate) fn kubectl(name: &str, args: &[Word]) -> Verdict {
    let (sub, rest) = sub_after(
        args,
        &[
            "-n",
            "--namespace",
            "--context",
            "--kubeconfig",
            "-s",
            "--server",
            "--cluster",
            "--user",
            "-l",
        ],
    );
    match sub {
        Some("delete") => Verdict::high(format!("{name} delete deletes cluster resources")),
        Some("drain") => Verdict::high(format!("{name} drain evicts every workload from a node")),
        Some(
            "get" | "describe" | "logs" | "top" | "explain" | "version" | "api-resources"
            | "api-versions" | "cluster-info" | "diff" | "events" | "wait",
        ) => Verdict::low(format!("{name} reads cluster state")),
        Some("config") => match rest.first().and_then(Word::as_lit) {
            Some("view" | "get-contexts" | "current-context" | "get-clusters") => {
                Verdict::low(format!("{name} config shows configuration"))
            }
            _ => Verdict::medium(format!("{name} config changes configuration")),
        },
        Some("auth") => Verdict::low(format!("{name} auth checks permissions")),
        _ => Verdict::medium(format!("{name} changes cluster state")),
    }
}

/// `helm`.
pub(crate) fn helm(args: &[Word]) -> Verdict {
    let (sub, _) = sub_after(
        args,
        &["-n", "--namespace", "--kube-context", "--kubeconfig"],
    );
    match sub {
        Some("uninstall" | "delete" | "del" | "un") => {
            Verdict::high("helm uninstall deletes a release and its resources")
        }
        Some(
            "list" | "ls" | "status" | "get" | "show" | "template" | "lint" | "search" | "version"
            | "history" | "env" | "help" | "verify",
        ) => Verdict::low("helm shows information"),
        Some("repo") => Verdict::low("helm repo manages chart repositories"),
        _ => Verdict::medium("helm installs or changes releases"),
    }
}

/// `terraform`, `tofu`, `terragrunt`.
pub(crate) fn terraform(name: &str, args: &[Word]) -> Verdict {
    let (sub, rest) = sub_after(args, &[]);
    let w = words(rest);
    let destroy_flag = w.iter().any(|a| *a == "-destroy" || *a == "--destroy");
    match sub {
        Some("destroy") => {
            Verdict::high(format!("{name} destroy deletes the managed infrastructure"))
        }
        Some("apply") if destroy_flag => Verdict::high(format!(
            "{name} apply -destroy deletes the managed infrastructure"
        )),
        Some("apply" | "import" | "taint" | "untaint" | "force-unlock" | "refresh") => {
            Verdict::medium(format!(
                "{name} {} changes real infrastructure or its state",
                sub.unwrap_or("")
            ))
        }
        Some("state") => match w.first() {
            Some(&("list" | "show" | "pull")) => {
                Verdict::low(format!("{name} state shows the state"))
            }
            _ => Verdict::medium(format!("{name} state changes the recorded state")),
        },
        Some("workspace") => match w.first() {
            Some(&"delete") => Verdict::medium(format!(
                "{name} workspace delete deletes a workspace's state"
            )),
            _ => Verdict::low(format!("{name} workspace manages workspaces")),
        },
        Some(
            "plan" | "validate" | "fmt" | "init" | "show" | "output" | "providers" | "version"
            | "graph" | "console" | "get" | "login-status" | "test" | "help" | "-version" | "-help",
        )
        | None => Verdict::low(format!("{name} plans, checks or shows")),
        _ => Verdict::medium(format!(
            "{name} {} is not known to be read-only",
            sub.unwrap_or("")
        )),
    }
}

/// `pulumi`.
pub(crate) fn pulumi(args: &[Word]) -> Verdict {
    let w = words(args);
    match w.first() {
        Some(&"destroy") => Verdict::high("pulumi destroy deletes the stack's infrastructure"),
        Some(&"stack") if w.get(1) == Some(&"rm") => {
            Verdict::high("pulumi stack rm deletes a stack")
        }
        Some(&("preview" | "whoami" | "version" | "about" | "logs")) => {
            Verdict::low("pulumi shows information")
        }
        Some(&"stack") if matches!(w.get(1), Some(&("ls" | "output" | "history")) | None) => {
            Verdict::low("pulumi stack shows stacks")
        }
        _ => Verdict::medium("pulumi changes infrastructure or configuration"),
    }
}

/// `aws`, `gcloud`, `az` and other cloud CLIs.
pub(crate) fn cloud(name: &str, args: &[Word]) -> Verdict {
    let w = words(args);
    let ops: Vec<&str> = w.iter().copied().filter(|a| !a.starts_with('-')).collect();
    let destructive = ops.iter().any(|a| {
        a.starts_with("delete")
            || a.starts_with("terminate")
            || a.starts_with("remove")
            || a.starts_with("deregister")
            || a.starts_with("destroy")
            || *a == "rb"
            || *a == "purge"
    }) || (ops.contains(&"rm") && w.contains(&"--recursive"));
    if destructive {
        return Verdict::high(format!("{name} deletes or terminates cloud resources"));
    }
    let read = ops.iter().any(|a| {
        a.starts_with("describe")
            || a.starts_with("list")
            || a.starts_with("get")
            || matches!(*a, "ls" | "show" | "whoami" | "version" | "info")
    }) || w.contains(&"--version");
    if read {
        Verdict::low(format!("{name} reads cloud state"))
    } else {
        Verdict::medium(format!("{name} changes cloud resources"))
    }
}
