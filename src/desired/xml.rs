//! Hadoop-style `*-site.xml` files built from property maps by one escaping writer.

use std::collections::BTreeMap;

use super::escape::xml_text;

/// A Hadoop configuration file's properties, sorted by name so output is deterministic.
pub type Properties = BTreeMap<String, String>;

/// Renders properties as a Hadoop configuration document.
pub fn site_xml(props: &Properties) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- Rendered by provision from the inventory; edit the inventory, not this file. -->\n<configuration>\n",
    );
    for (name, value) in props {
        out.push_str(&format!(
            "  <property>\n    <name>{}</name>\n    <value>{}</value>\n  </property>\n",
            xml_text(name),
            xml_text(value)
        ));
    }
    out.push_str("</configuration>\n");
    out
}

/// Builds a [`Properties`] from pairs.
pub fn props<K: Into<String>, V: Into<String>>(pairs: impl IntoIterator<Item = (K, V)>) -> Properties {
    pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_in_values() {
        let xml = site_xml(&props([("a", "x&y<z>\"'")]));
        assert!(xml.contains("<value>x&amp;y&lt;z&gt;&quot;&apos;</value>"), "{xml}");
    }

    #[test]
    fn sorts_properties_by_name() {
        let xml = site_xml(&props([("b", "2"), ("a", "1")]));
        assert!(xml.find("<name>a</name>").unwrap() < xml.find("<name>b</name>").unwrap());
    }
}
