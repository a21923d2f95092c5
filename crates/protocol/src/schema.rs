//! The protocol as one JSON Schema document, generated from the Rust types.

use crate::{codes, methods, notifications};
use serde_json::{Map, Value, json};

/// The whole protocol: methods (params and result schemas), notifications, error codes
/// and the shared definitions, as written to `docs/protocol.schema.json`.
pub fn document() -> Value {
    let mut g = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    let mut ms = Map::new();
    for m in methods::all(&mut g) {
        ms.insert(
            m.name.to_owned(),
            json!({ "description": m.doc.trim(), "params": m.params, "result": m.result }),
        );
    }
    let mut ns = Map::new();
    for (name, schema, doc) in notifications::all(&mut g) {
        ns.insert(
            name.to_owned(),
            json!({ "description": doc, "params": schema }),
        );
    }
    let errors: Vec<Value> = codes::ALL
        .iter()
        .map(|(code, name, doc)| {
            let mut e = json!({ "code": code, "name": name, "description": doc });
            // The errors whose `data` has a fixed shape say so (and the shape becomes a
            // generated type).
            if *code == codes::QUOTA_EXCEEDED {
                e["data"] =
                    serde_json::to_value(g.subschema_for::<arranger_domain::QuotaExceeded>())
                        .unwrap_or(Value::Null);
            }
            e
        })
        .collect();
    let defs: Map<String, Value> = g.take_definitions(true).into_iter().collect();
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Arranger JSON-RPC protocol",
        "x-transport": "JSON-RPC 2.0 over WebSocket at /api/v1/ws",
        "methods": ms,
        "notifications": ns,
        "errors": errors,
        "$defs": defs,
    })
}

/// A short type expression for a schema: `string`, `FileStat`, `Session[]`, `u64 | null`.
fn type_of(schema: &Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return r.rsplit('/').next().unwrap_or(r).to_owned();
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(alts) = schema.get(key).and_then(Value::as_array) {
            return alts.iter().map(type_of).collect::<Vec<_>>().join(" \\| ");
        }
    }
    let array_or = |t: &str| {
        if t == "array" {
            format!(
                "{}[]",
                schema
                    .get("items")
                    .map(type_of)
                    .unwrap_or_else(|| "any".into())
            )
        } else {
            t.to_owned()
        }
    };
    match schema.get("type") {
        Some(Value::String(t)) => array_or(t),
        Some(Value::Array(ts)) => ts
            .iter()
            .map(|t| array_or(t.as_str().unwrap_or("any")))
            .collect::<Vec<_>>()
            .join(" \\| "),
        _ => "any".into(),
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

/// One variant of a tagged enum: `kind: "agent"` with `name: string`.
fn variant(props: &Value) -> String {
    let Some(props) = props.as_object() else {
        return String::new();
    };
    let mut tag = Vec::new();
    let mut rest = Vec::new();
    for (name, p) in props {
        match p.get("const") {
            Some(c) => tag.push(format!("`{name}: {c}`")),
            None => rest.push(format!("`{name}: {}`", type_of(p))),
        }
    }
    let mut out = tag.join(", ");
    if !rest.is_empty() {
        out.push_str(" with ");
        out.push_str(&rest.join(", "));
    }
    out
}

/// A Markdown table of an object schema's fields (resolving one `$ref`).
fn fields(schema: &Value, defs: &Value) -> String {
    let resolved = match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => defs
            .get(r.rsplit('/').next().unwrap_or(r))
            .unwrap_or(schema),
        None => schema,
    };
    let Some(props) = resolved.get("properties").and_then(Value::as_object) else {
        return format!("`{}`\n", type_of(schema));
    };
    if props.is_empty() {
        return "none\n".into();
    }
    let required: Vec<&str> = resolved
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut out = String::from("| field | type | required | description |\n|---|---|---|---|\n");
    for (name, p) in props {
        let desc = p.get("description").and_then(Value::as_str).unwrap_or("");
        out.push_str(&format!(
            "| `{name}` | `{}` | {} | {} |\n",
            type_of(p),
            if required.contains(&name.as_str()) {
                "yes"
            } else {
                "no"
            },
            one_line(desc)
        ));
    }
    out
}

/// The reference part of `docs/protocol.md`, generated from [`document`]: every method
/// with its parameters and result, every notification, every error code.
pub fn reference_markdown() -> String {
    let doc = document();
    let defs = &doc["$defs"];
    let mut out = String::from("## Methods\n\n");
    if let Some(ms) = doc["methods"].as_object() {
        for (name, m) in ms {
            out.push_str(&format!(
                "### `{name}`\n\n{}\n\n",
                one_line(m["description"].as_str().unwrap_or(""))
            ));
            out.push_str("Parameters:\n\n");
            out.push_str(&fields(&m["params"], defs));
            out.push_str(&format!("\nResult: `{}`\n\n", type_of(&m["result"])));
        }
    }
    out.push_str("## Notifications\n\n");
    if let Some(ns) = doc["notifications"].as_object() {
        for (name, n) in ns {
            out.push_str(&format!(
                "### `{name}`\n\n{}\n\n",
                one_line(n["description"].as_str().unwrap_or(""))
            ));
            out.push_str(&fields(&n["params"], defs));
            out.push('\n');
        }
    }
    out.push_str("## Error codes\n\n| code | name | meaning |\n|---|---|---|\n");
    for (code, name, doc) in codes::ALL {
        out.push_str(&format!("| {code} | `{name}` | {doc} |\n"));
    }
    out.push_str("\n## Types\n\n");
    if let Some(ds) = defs.as_object() {
        for (name, d) in ds {
            out.push_str(&format!("### `{name}`\n\n"));
            if let Some(desc) = d.get("description").and_then(Value::as_str) {
                out.push_str(&format!("{}\n\n", one_line(desc)));
            }
            let alternatives = d
                .get("oneOf")
                .or_else(|| d.get("anyOf"))
                .and_then(Value::as_array);
            if d.get("properties").is_some() {
                out.push_str(&fields(d, defs));
            }
            if let Some(alts) = alternatives {
                out.push_str(if d.get("properties").is_some() {
                    "\nand the fields of one of:\n\n"
                } else {
                    "One of:\n\n"
                });
                for a in alts {
                    let what = match (a.get("const"), a.get("properties")) {
                        (Some(c), _) => format!("`{c}`"),
                        (None, Some(props)) => variant(props),
                        _ => format!("`{}`", type_of(a)),
                    };
                    let desc = a
                        .get("description")
                        .and_then(Value::as_str)
                        .map(one_line)
                        .unwrap_or_default();
                    out.push_str(&format!("- {what} {desc}\n"));
                }
            } else if d.get("properties").is_some() {
            } else if let Some(values) = d.get("enum").and_then(Value::as_array) {
                let vs: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
                out.push_str(&format!("One of {}.\n", vs.join(", ")));
            } else {
                out.push_str(&format!("`{}`\n", type_of(d)));
            }
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    /// `docs/protocol.schema.json` and the reference in `docs/protocol.md` are generated
    /// from the Rust types; this fails when they drift. Regenerate with `make schema`.
    #[test]
    fn committed_docs_match_the_types() {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../../docs/protocol.schema.json")).unwrap();
        assert!(
            schema == super::document(),
            "docs/protocol.schema.json is stale: run `make schema`"
        );
        let md = include_str!("../../../docs/protocol.md");
        assert!(
            md.contains(&super::reference_markdown()),
            "the reference in docs/protocol.md is stale: run `make schema`"
        );
    }

    #[test]
    fn document_names_every_method_and_resolves_refs() {
        let doc = super::document();
        let text = doc.to_string();
        for name in crate::methods::NAMES {
            assert!(doc["methods"].get(*name).is_some(), "{name}");
        }
        // Every $ref points at a definition that exists.
        for part in text.split("\"$ref\":\"#/$defs/").skip(1) {
            let name = &part[..part.find('"').unwrap()];
            assert!(doc["$defs"].get(name).is_some(), "dangling $ref {name}");
        }
    }
}
