//! The protocol as TypeScript declarations for the web UI (`web/src/protocol.gen.ts`),
//! generated from the same JSON Schema as `docs/protocol.schema.json`.
//!
//! Every `$defs` entry becomes an exported type; `Methods` maps each method name to its
//! `params` and `result` types, `Notifications` each notification to its `params`, and
//! `ErrorCode` names every error code. Nothing in the UI retypes the wire format.

use crate::schema::document;
use serde_json::{Map, Value};
use std::fmt::Write;

/// The whole TypeScript module, as committed to `web/src/protocol.gen.ts`.
pub fn module() -> String {
    let doc = document();
    let mut out = String::from(
        "// Generated from the Rust protocol types by `make schema` (arranger schema --typescript).\n\
         // Do not edit: change crates/protocol and regenerate.\n\n",
    );
    if let Some(defs) = doc.get("$defs").and_then(Value::as_object) {
        for (name, schema) in defs {
            comment(&mut out, schema, "");
            let _ = writeln!(out, "export type {name} = {};\n", ts(schema, ""));
        }
    }
    out.push_str(
        "/** Every method: its parameters and its result. */\nexport interface Methods {\n",
    );
    if let Some(methods) = doc.get("methods").and_then(Value::as_object) {
        for (name, m) in methods {
            comment(&mut out, m, "  ");
            let _ = writeln!(
                out,
                "  {name:?}: {{ params: {}; result: {} }};",
                ts(&m["params"], "  "),
                ts(&m["result"], "  ")
            );
        }
    }
    out.push_str("}\n\n/** Every notification the server sends: its parameters. */\nexport interface Notifications {\n");
    if let Some(ns) = doc.get("notifications").and_then(Value::as_object) {
        for (name, n) in ns {
            comment(&mut out, n, "  ");
            let _ = writeln!(out, "  {name:?}: {};", ts(&n["params"], "  "));
        }
    }
    out.push_str("}\n\n/** JSON-RPC error codes by name. */\nexport const ErrorCode = {\n");
    if let Some(errors) = doc.get("errors").and_then(Value::as_array) {
        for e in errors {
            let _ = writeln!(
                out,
                "  {}: {},",
                e["name"].as_str().unwrap_or("unknown"),
                e["code"]
            );
        }
    }
    out.push_str("} as const;\n");
    out
}

fn comment(out: &mut String, schema: &Value, indent: &str) {
    if let Some(d) = schema.get("description").and_then(Value::as_str) {
        let d = d.trim().replace("*/", "* /");
        let _ = writeln!(
            out,
            "{indent}/** {} */",
            d.replace('\n', &format!("\n{indent} * "))
        );
    }
}

/// The TypeScript type of one schema.
fn ts(schema: &Value, indent: &str) -> String {
    let Some(obj) = schema.as_object() else {
        return "unknown".into();
    };
    if let Some(r) = obj.get("$ref").and_then(Value::as_str) {
        return r.rsplit('/').next().unwrap_or(r).to_owned();
    }
    if let Some(c) = obj.get("const") {
        return c.to_string();
    }
    if let Some(values) = obj.get("enum").and_then(Value::as_array) {
        return values
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join(" | ");
    }
    let alternatives = obj
        .get("oneOf")
        .or_else(|| obj.get("anyOf"))
        .and_then(Value::as_array);
    let base = if obj.contains_key("properties") {
        Some(object(obj, indent))
    } else {
        None
    };
    if let Some(alts) = alternatives {
        let union = alts
            .iter()
            .map(|a| ts(a, indent))
            .collect::<Vec<_>>()
            .join(" | ");
        return match base {
            Some(b) => format!("{b} & ({union})"),
            None if alts.len() > 1 => format!("({union})"),
            None => union,
        };
    }
    if let Some(b) = base {
        return b;
    }
    match obj.get("type") {
        Some(Value::String(t)) => simple(t, obj, indent),
        Some(Value::Array(ts_)) => ts_
            .iter()
            .map(|t| simple(t.as_str().unwrap_or(""), obj, indent))
            .collect::<Vec<_>>()
            .join(" | "),
        _ => "unknown".into(),
    }
}

fn simple(t: &str, obj: &Map<String, Value>, indent: &str) -> String {
    match t {
        "string" => "string".into(),
        "integer" | "number" => "number".into(),
        "boolean" => "boolean".into(),
        "null" => "null".into(),
        "array" => {
            let item = obj
                .get("items")
                .map(|i| ts(i, indent))
                .unwrap_or_else(|| "unknown".into());
            if item.contains(' ') {
                format!("({item})[]")
            } else {
                format!("{item}[]")
            }
        }
        "object" => match obj.get("additionalProperties") {
            Some(v @ Value::Object(_)) => format!("Record<string, {}>", ts(v, indent)),
            Some(Value::Bool(false)) => "Record<string, never>".into(),
            _ => "Record<string, unknown>".into(),
        },
        _ => "unknown".into(),
    }
}

fn object(obj: &Map<String, Value>, indent: &str) -> String {
    let required: Vec<&str> = obj
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let inner = format!("{indent}  ");
    let mut out = String::from("{\n");
    if let Some(props) = obj.get("properties").and_then(Value::as_object) {
        for (name, p) in props {
            comment(&mut out, p, &inner);
            let opt = if required.contains(&name.as_str()) {
                ""
            } else {
                "?"
            };
            let _ = writeln!(out, "{inner}{name}{opt}: {};", ts(p, &inner));
        }
    }
    out.push_str(indent);
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    /// `web/src/protocol.gen.ts` is generated from the Rust types; this fails when it
    /// drifts. Regenerate with `make schema`.
    #[test]
    fn committed_typescript_matches_the_types() {
        assert!(
            include_str!("../../../web/src/protocol.gen.ts") == super::module(),
            "web/src/protocol.gen.ts is stale: run `make schema`"
        );
    }

    #[test]
    fn every_method_and_tagged_union_is_typed() {
        let m = super::module();
        for name in crate::methods::NAMES {
            assert!(m.contains(&format!("  {name:?}: {{ params: ")), "{name}");
        }
        assert!(m.contains("export type Event = {"), "Event");
        assert!(m.contains("\"task_updated\""));
        assert!(m.contains("export type TaskStatus = ("));
        assert!(m.contains("not_found: -32001,"));
    }
}
