//! The same XML document always written the same way: attributes sorted,
//! and the children of elements whose order carries no meaning (style and
//! font declarations, manifest entries) sorted too. The spreadsheet writer
//! emits these from hash maps, in an order that changes from run to run;
//! an edition's bytes must not.

use quick_xml::Reader;
use quick_xml::events::Event;
use quick_xml::events::attributes::AttrError;

/// XML the spreadsheet writer wrote that does not read back.
#[derive(Debug, thiserror::Error)]
pub(crate) enum XmlError {
    #[error("XML at byte {at}: {source}")]
    Read { at: u64, source: quick_xml::Error },
    #[error(transparent)]
    Attribute(#[from] AttrError),
    #[error("an end tag with no start")]
    EndWithoutStart,
    #[error("an element that is not closed")]
    Unclosed,
}

/// Elements whose children may come in any order.
const UNORDERED: [&[u8]; 5] = [
    b"office:automatic-styles",
    b"office:styles",
    b"office:font-face-decls",
    b"office:master-styles",
    b"manifest:manifest",
];

enum Node {
    Element {
        name: Vec<u8>,
        /// `<name a="1" b="2"`, attributes sorted.
        open: Vec<u8>,
        children: Vec<Node>,
    },
    /// Text, declarations and comments, as they were written.
    Leaf(Vec<u8>),
}

pub(crate) fn canonical(xml: &[u8]) -> Result<Vec<u8>, XmlError> {
    let mut reader = Reader::from_reader(xml);
    // The document's top level, then each open element's children.
    let mut stack: Vec<(Vec<u8>, Vec<u8>, Vec<Node>)> = vec![(Vec::new(), Vec::new(), Vec::new())];
    let mut buffer = Vec::new();
    loop {
        let event = reader
            .read_event_into(&mut buffer)
            .map_err(|source| XmlError::Read {
                at: reader.buffer_position(),
                source,
            })?;
        let leaf = |before: &[u8], content: &[u8], after: &[u8]| {
            Node::Leaf([before, content, after].concat())
        };
        let node = match event {
            Event::Start(start) => {
                let name = start.name().as_ref().to_vec();
                stack.push((name, open_tag(&start)?, Vec::new()));
                None
            }
            Event::Empty(start) => Some(Node::Element {
                name: start.name().as_ref().to_vec(),
                open: open_tag(&start)?,
                children: Vec::new(),
            }),
            Event::End(_) => {
                // The document itself, at the bottom, is closed by no tag.
                let (name, open, children) = (stack.len() > 1)
                    .then(|| stack.pop())
                    .flatten()
                    .ok_or(XmlError::EndWithoutStart)?;
                Some(element(name, open, children))
            }
            Event::Text(text) => Some(leaf(b"", &text, b"")),
            Event::GeneralRef(reference) => Some(leaf(b"&", &reference, b";")),
            Event::CData(data) => Some(leaf(b"<![CDATA[", &data, b"]]>")),
            Event::Comment(comment) => Some(leaf(b"<!--", &comment, b"-->")),
            Event::Decl(decl) => Some(leaf(b"<?", &decl, b"?>")),
            Event::PI(pi) => Some(leaf(b"<?", &pi, b"?>")),
            Event::DocType(doctype) => Some(leaf(b"<!DOCTYPE ", &doctype, b">")),
            Event::Eof => break,
        };
        if let (Some(node), Some(parent)) = (node, stack.last_mut()) {
            parent.2.push(node);
        }
        buffer.clear();
    }
    let [(_, _, document)] = stack.as_slice() else {
        return Err(XmlError::Unclosed);
    };
    let mut out = Vec::with_capacity(xml.len());
    for node in document {
        write(node, &mut out);
    }
    Ok(out)
}

fn open_tag(start: &quick_xml::events::BytesStart) -> Result<Vec<u8>, AttrError> {
    let mut attributes = start
        .attributes()
        .map(|a| a.map(|a| (a.key.as_ref().to_vec(), a.value.to_vec())))
        .collect::<Result<Vec<_>, _>>()?;
    attributes.sort();
    let mut open = [b"<", start.name().as_ref()].concat();
    for (key, value) in attributes {
        open.extend([b" ".as_slice(), &key, b"=\"", &value, b"\""].concat());
    }
    Ok(open)
}

fn element(name: Vec<u8>, open: Vec<u8>, mut children: Vec<Node>) -> Node {
    if UNORDERED.contains(&name.as_slice()) {
        children.sort_by_cached_key(|child| {
            let mut bytes = Vec::new();
            write(child, &mut bytes);
            bytes
        });
    }
    Node::Element {
        name,
        open,
        children,
    }
}

fn write(node: &Node, out: &mut Vec<u8>) {
    match node {
        Node::Leaf(bytes) => out.extend_from_slice(bytes),
        Node::Element {
            name,
            open,
            children,
        } => {
            out.extend_from_slice(open);
            if children.is_empty() {
                out.extend_from_slice(b"/>");
                return;
            }
            out.push(b'>');
            for child in children {
                write(child, out);
            }
            out.extend([b"</", name.as_slice(), b">"].concat());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::canonical;

    #[test]
    fn attribute_and_style_order_do_not_matter() {
        let one = br#"<?xml version="1.0"?><office:document b="2" a="1"><office:styles><s n="y"/><s n="x"/></office:styles><t>1 &amp; 2<p/><q/></t></office:document>"#;
        let two = br#"<?xml version="1.0"?><office:document a="1" b="2"><office:styles><s n="x"/><s n="y"/></office:styles><t>1 &amp; 2<p/><q/></t></office:document>"#;
        let expected = br#"<?xml version="1.0"?><office:document a="1" b="2"><office:styles><s n="x"/><s n="y"/></office:styles><t>1 &amp; 2<p/><q/></t></office:document>"#;
        assert_eq!(canonical(one).unwrap(), expected);
        assert_eq!(canonical(two).unwrap(), expected);
    }

    #[test]
    fn the_order_of_content_is_kept() {
        let table = br#"<table><row><c>2</c></row><row><c>1</c></row></table>"#;
        assert_eq!(canonical(table).unwrap(), table);
    }
}
