//! SQL given to database clients (`psql -c`, `mysql -e`, `sqlite3 db "…"`, heredocs).

use crate::commands::{Nested, Verdict};
use crate::shell::Input;
use crate::words::Word;

/// Splits SQL into statements of upper-cased keywords, skipping strings and comments.
/// psql meta-commands (`\d`, `\!`) and sqlite dot-commands (`.tables`) are returned as
/// their own statements, with their text.
fn statements(text: &str) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = Vec::new();
    let mut cur: Vec<String> = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let mut line_start = true;
    while i < chars.len() {
        let c = chars[i];
        if line_start && (c == '.' || c == '\\') && cur.is_empty() {
            // A dot-command or meta-command runs to the end of the line.
            let end = chars[i..]
                .iter()
                .position(|&c| c == '\n')
                .map_or(chars.len(), |p| i + p);
            let line: String = chars[i..end].iter().collect();
            out.push(vec![format!("META {}", line.trim())]);
            i = end;
            continue;
        }
        if c == '\n' {
            line_start = true;
            i += 1;
            continue;
        }
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        line_start = false;
        match c {
            '\'' | '"' | '`' => {
                i += 1;
                while i < chars.len() {
                    if chars[i] == c {
                        if chars.get(i + 1) == Some(&c) {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    if chars[i] == '\\' && c == '\'' {
                        i += 1;
                    }
                    i += 1;
                }
                cur.push("LITERAL".into());
                i += 1;
            }
            '-' if chars.get(i + 1) == Some(&'-') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if chars.get(i + 1) == Some(&'*') => {
                i += 2;
                while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                    i += 1;
                }
                i += 2;
            }
            '$' if chars.get(i + 1) == Some(&'$') => {
                i += 2;
                while i + 1 < chars.len() && !(chars[i] == '$' && chars[i + 1] == '$') {
                    i += 1;
                }
                i += 2;
                cur.push("LITERAL".into());
            }
            ';' => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                line_start = false;
                i += 1;
            }
            c if c.is_alphanumeric() || c == '_' => {
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                cur.push(chars[start..i].iter().collect::<String>().to_uppercase());
            }
            _ => i += 1,
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn statement_verdict(st: &[String], nested: &mut Vec<Nested>) -> Verdict {
    let Some(first) = st.first() else {
        return Verdict::low("empty statement");
    };
    if let Some(meta) = first.strip_prefix("META ") {
        let cmd = meta.split_whitespace().next().unwrap_or("");
        return match cmd {
            "\\!" | ".shell" | ".system" => {
                let rest = meta.get(cmd.len()..).unwrap_or("").trim().to_string();
                nested.push(Nested::Script(rest, Input::Tty));
                Verdict::medium(format!(
                    "`{cmd}` runs a shell command from the database client"
                ))
            }
            "\\i" | "\\ir" | "\\include" | ".read" | ".import" | ".restore" | "\\copy"
            | ".load" => Verdict::medium(format!("`{cmd}` runs or loads SQL from a file")),
            _ => Verdict::low(format!(
                "`{cmd}` is a client command that shows information"
            )),
        };
    }
    let has = |k: &str| st.iter().any(|w| w == k);
    let second = st.get(1).map(String::as_str).unwrap_or("");
    match first.as_str() {
        "DROP" => {
            let what = st
                .iter()
                .skip(1)
                .find(|w| !matches!(w.as_str(), "TEMPORARY" | "TEMP" | "IF" | "EXISTS"))
                .map(String::as_str)
                .unwrap_or("");
            if matches!(
                what,
                "TABLE"
                    | "DATABASE"
                    | "SCHEMA"
                    | "USER"
                    | "ROLE"
                    | "OWNED"
                    | "TABLESPACE"
                    | "COLLECTION"
                    | "KEYSPACE"
            ) {
                Verdict::high(format!("SQL DROP {what} deletes it with all its data"))
            } else {
                Verdict::medium(format!("SQL DROP {what} removes a database object"))
            }
        }
        "TRUNCATE" => Verdict::high("SQL TRUNCATE deletes every row of a table"),
        "DELETE" => {
            if has("WHERE") {
                Verdict::medium("SQL DELETE removes rows")
            } else {
                Verdict::high("SQL DELETE without WHERE deletes every row of a table")
            }
        }
        "UPDATE" => {
            if has("WHERE") {
                Verdict::medium("SQL UPDATE changes rows")
            } else {
                Verdict::high("SQL UPDATE without WHERE changes every row of a table")
            }
        }
        "ALTER" => {
            if has("DROP") {
                Verdict::high("SQL ALTER … DROP removes columns or constraints with their data")
            } else {
                Verdict::medium("SQL ALTER changes the schema")
            }
        }
        "EXPLAIN" if second == "ANALYZE" || second == "ANALYSE" => {
            // EXPLAIN ANALYZE executes the statement.
            let inner: Vec<String> = st
                .iter()
                .skip(2)
                .filter(|w| !matches!(w.as_str(), "VERBOSE"))
                .cloned()
                .collect();
            statement_verdict(&inner, nested)
        }
        "WITH" => {
            if has("DELETE") || has("UPDATE") || has("INSERT") || has("MERGE") {
                if (has("DELETE") || has("UPDATE")) && !has("WHERE") {
                    Verdict::high("SQL DELETE/UPDATE without WHERE changes every row")
                } else {
                    Verdict::medium("SQL WITH … modifies rows")
                }
            } else {
                Verdict::low("SQL query only reads")
            }
        }
        "SELECT" | "EXPLAIN" | "SHOW" | "DESCRIBE" | "DESC" | "VALUES" | "TABLE" | "BEGIN"
        | "START" | "COMMIT" | "END" | "ROLLBACK" | "SAVEPOINT" | "RELEASE" | "SET" | "USE"
        | "PRAGMA" | "LISTEN" | "FETCH" | "DECLARE" | "CLOSE" | "PREPARE" | "DEALLOCATE" => {
            if first == "SELECT" && has("INTO") {
                Verdict::medium("SQL SELECT … INTO creates a table")
            } else if first == "PRAGMA" && st.len() > 2 {
                Verdict::medium("SQL PRAGMA changes a database setting")
            } else {
                Verdict::low("SQL query only reads")
            }
        }
        "LITERAL" => Verdict::medium("SQL that could not be understood"),
        _ => Verdict::medium(format!("SQL {first} changes the database")),
    }
}

/// The verdict on SQL text: the highest of its statements.
pub(crate) fn sql_verdict(text: &str, nested: &mut Vec<Nested>) -> Verdict {
    statements(text)
        .iter()
        .map(|s| statement_verdict(s, nested))
        .fold(Verdict::low("the SQL only reads"), Verdict::max)
}

fn word_sql(w: &Word, nested: &mut Vec<Nested>) -> Verdict {
    match w.as_lit() {
        Some(t) => sql_verdict(t, nested),
        None => Verdict::medium(format!(
            "the SQL `{}` is computed at run time",
            crate::shell_snippet(&w.shell)
        )),
    }
}

fn input_sql(name: &str, input: &Input, nested: &mut Vec<Nested>) -> Verdict {
    match input {
        Input::Text(t) => sql_verdict(t, nested),
        Input::Unknown(what) => {
            Verdict::medium(format!("{name} runs SQL read from {what}, not shown"))
        }
        Input::Tty => Verdict::medium(format!("{name} opens an interactive database session")),
    }
}

/// `psql`, `mysql`, `mariadb`, `sqlite3` and similar clients.
pub(crate) fn client(
    name: &str,
    args: &[Word],
    input: &Input,
    nested: &mut Vec<Nested>,
) -> Verdict {
    let mut sql: Vec<&Word> = Vec::new();
    let mut files = false;
    let mut pos: Vec<&Word> = Vec::new();
    let mut list_only = false;
    let sqlite = name.starts_with("sqlite") || name == "duckdb";
    let mut i = 0;
    while let Some(w) = args.get(i) {
        let a = w.as_lit().unwrap_or("");
        let next = args.get(i + 1);
        let is_sql = match a {
            "-c" | "--command" => name == "psql",
            "-e" | "--execute" => name != "psql" && !sqlite,
            "-q" | "--query" | "--multiquery" => name == "clickhouse-client",
            "-cmd" => sqlite,
            _ => false,
        };
        if is_sql {
            sql.extend(next);
            i += 2;
            continue;
        }
        match a {
            "-f" | "--file" | "-init" | "--init-file" => {
                files = true;
                i += 1;
            }
            "-l" | "--list" if name == "psql" => list_only = true,
            "-h" | "--host" | "-p" | "--port" | "-U" | "--username" | "-d" | "--dbname" | "-u"
            | "--user" | "-D" | "--database" | "-P" | "-S" | "--socket" | "-v" | "--set"
            | "--variable" | "-o" | "--output" | "-F" | "-R" | "-T" | "-L" | "--log-file"
            | "-separator" | "-newline" | "-nullvalue" | "-vfs" | "-mmap" | "-maxsize"
            | "-heap" | "-lookaside" | "-pagecache" => {
                i += 1;
            }
            _ if a.starts_with("--command=")
                || a.starts_with("--execute=")
                || a.starts_with("--query=") =>
            {
                sql.push(w);
            }
            _ if a.starts_with('-') && w.lit.is_some() => {}
            _ => pos.push(w),
        }
        i += 1;
    }
    // sqlite3 DB SQL…: every operand after the database is SQL.
    if sqlite {
        sql.extend(pos.iter().skip(1));
    }
    let mut v = Verdict::low(format!("{name} only reads"));
    let mut any_sql = false;
    for w in &sql {
        any_sql = true;
        let owned;
        let w = match w
            .as_lit()
            .and_then(|a| a.split_once('='))
            .filter(|(k, _)| k.starts_with("--"))
        {
            Some((_, val)) => {
                owned = Word::lit(val);
                &owned
            }
            None => *w,
        };
        v = v.max(word_sql(w, nested));
    }
    if files {
        v = v.max(Verdict::medium(format!(
            "{name} runs SQL from a file that is not shown"
        )));
        any_sql = true;
    }
    if !any_sql && !list_only {
        v = v.max(input_sql(name, input, nested));
    }
    v
}

/// `redis-cli`.
pub(crate) fn redis(name: &str, args: &[Word], input: &Input) -> Verdict {
    let mut i = 0;
    while let Some(w) = args.get(i) {
        match w.as_lit() {
            Some(
                "-h" | "-p" | "-a" | "-n" | "-u" | "--user" | "--pass" | "-s" | "-r" | "-i" | "-d",
            ) => i += 2,
            Some(a) if a.starts_with('-') => i += 1,
            _ => break,
        }
    }
    let Some(cmd) = args.get(i) else {
        return match input {
            Input::Text(t) => t
                .lines()
                .filter_map(|l| l.split_whitespace().next())
                .map(|c| redis_cmd(name, c))
                .fold(Verdict::low(format!("{name} only reads")), Verdict::max),
            Input::Unknown(what) => {
                Verdict::medium(format!("{name} runs commands read from {what}"))
            }
            Input::Tty => Verdict::medium(format!("{name} opens an interactive session")),
        };
    };
    match cmd.as_lit() {
        Some(c) => redis_cmd(name, c),
        None => Verdict::medium(format!("the {name} command is computed at run time")),
    }
}

fn redis_cmd(name: &str, c: &str) -> Verdict {
    match c.to_ascii_uppercase().as_str() {
        "FLUSHALL" | "FLUSHDB" | "SHUTDOWN" | "DEBUG" => {
            Verdict::high(format!("{name} {c} deletes every key or stops the server"))
        }
        "GET" | "MGET" | "KEYS" | "SCAN" | "PING" | "INFO" | "TTL" | "PTTL" | "TYPE" | "EXISTS"
        | "HGET" | "HGETALL" | "HKEYS" | "LRANGE" | "LLEN" | "SMEMBERS" | "SCARD" | "ZRANGE"
        | "ZCARD" | "DBSIZE" | "STRLEN" | "MONITOR" | "CLIENT" | "MEMORY" | "SLOWLOG"
        | "XRANGE" | "XLEN" | "HLEN" | "SISMEMBER" => {
            Verdict::low(format!("{name} {c} only reads"))
        }
        _ => Verdict::medium(format!("{name} {c} changes data")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Risk;

    fn r(sql: &str) -> Risk {
        sql_verdict(sql, &mut Vec::new()).risk
    }

    #[test]
    fn sql_levels() {
        assert_eq!(r("select * from t"), Risk::Low);
        assert_eq!(r("DROP TABLE users"), Risk::High);
        assert_eq!(r("drop table if exists users;"), Risk::High);
        assert_eq!(r("delete from t"), Risk::High);
        assert_eq!(r("delete from t where id = 1"), Risk::Medium);
        assert_eq!(r("select 'drop table x'"), Risk::Low);
        assert_eq!(r("-- drop table x\nselect 1"), Risk::Low);
        assert_eq!(r("truncate table t"), Risk::High);
        assert_eq!(r("insert into t values (1)"), Risk::Medium);
        assert_eq!(r("select 1; drop database d"), Risk::High);
        assert_eq!(r(".tables\n.schema t"), Risk::Low);
    }
}
