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
        .map(|(code, name, doc)| json!({ "code": code, "name": name, "description": doc }))
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

#[cfg(test)]
mod tests {
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
