//! Masking the values of a server's secrets in what it sends back.

/// Replaces the values of secrets with `[secret NAME]`. Values shorter than
/// [`Redactor::MIN_LEN`] are not masked (they would mask ordinary text).
#[derive(Default)]
pub(crate) struct Redactor {
    /// (value, name), longest value first.
    values: Vec<(String, String)>,
}

impl Redactor {
    /// Shortest value masked, in bytes.
    pub(crate) const MIN_LEN: usize = 4;

    /// A redactor for these secret values (name → value).
    pub(crate) fn new<'a>(secrets: impl IntoIterator<Item = (&'a String, &'a String)>) -> Self {
        let mut values: Vec<(String, String)> = secrets
            .into_iter()
            .filter(|(_, v)| v.len() >= Self::MIN_LEN)
            .map(|(n, v)| (v.clone(), n.clone()))
            .collect();
        values.sort_by_key(|v| std::cmp::Reverse(v.0.len()));
        Redactor { values }
    }

    /// `text` with every known secret value masked.
    pub(crate) fn apply(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for (value, name) in &self.values {
            if out.contains(value.as_str()) {
                out = out.replace(value.as_str(), &format!("[secret {name}]"));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn masks_long_values_longest_first() {
        let mut m = BTreeMap::new();
        m.insert("A".to_owned(), "abcdef".to_owned());
        m.insert("B".to_owned(), "abcdefgh".to_owned());
        m.insert("C".to_owned(), "ab".to_owned());
        let r = Redactor::new(&m);
        assert_eq!(
            r.apply("x abcdefgh y abcdef ab"),
            "x [secret B] y [secret A] ab"
        );
    }
}
