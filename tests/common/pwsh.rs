//! PowerShell read with the tree-sitter PowerShell grammar, as the snippet tests and the
//! Windows suite need it: a snippet's statements decoded by PowerShell's own rules, and the
//! syntax Windows PowerShell 5.1 cannot run.

use std::collections::BTreeMap;

use tree_sitter::{Node, Parser, Tree};

/// The characters that end a PowerShell single-quoted string; only the first is ASCII, so
/// the others never appear inside one of awsenv's literals.
pub const QUOTES: [char; 5] = ['\'', '\u{2018}', '\u{2019}', '\u{201A}', '\u{201B}'];

/// One statement of a snippet, as PowerShell would run it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Statement {
    Set(String, String),
    Remove(String),
}

pub fn parse(code: &str) -> Tree {
    let mut parser = Parser::new();
    parser
        .set_language(&tree_sitter_powershell::LANGUAGE.into())
        .expect("the PowerShell grammar loads");
    parser.parse(code, None).expect("a parse tree")
}

/// Every node of `tree`, depth first.
pub fn nodes(tree: &Tree) -> Vec<Node<'_>> {
    let mut out = Vec::new();
    let mut cursor = tree.walk();
    'walk: loop {
        out.push(cursor.node());
        if cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                break 'walk;
            }
        }
    }
    out
}

pub fn first_of_kind<'t>(node: Node<'t>, kind: &str) -> Option<Node<'t>> {
    if node.kind() == kind {
        return Some(node);
    }
    let mut cursor = node.walk();
    node.children(&mut cursor)
        .find_map(|child| first_of_kind(child, kind))
}

/// The body of a single-quoted literal, read as PowerShell reads it: printable ASCII only
/// (anything else is written `[char]0xNNNN`), and `'` stands for itself only when doubled.
pub fn decode_verbatim(literal: &str) -> Result<String, String> {
    let body = literal
        .strip_prefix('\'')
        .and_then(|rest| rest.strip_suffix('\''))
        .ok_or_else(|| format!("not an ASCII-quoted literal: {literal:?}"))?;
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if !(c == ' ' || c.is_ascii_graphic()) {
            return Err(format!("{c:?} inside a literal is not printable ASCII"));
        }
        if QUOTES.contains(&c) && chars.next() != Some(c) {
            return Err(format!("a lone {c:?} ends the string early"));
        }
        out.push(c);
    }
    Ok(out)
}

/// The node kinds a value expression may hold: string literals and `[char]` casts joined by `+`.
pub const VALUE_KINDS: [&str; 23] = [
    "pipeline",
    "pipeline_chain",
    "logical_expression",
    "bitwise_expression",
    "comparison_expression",
    "additive_expression",
    "multiplicative_expression",
    "format_expression",
    "range_expression",
    "array_literal_expression",
    "unary_expression",
    "expression_with_unary_operator",
    "string_literal",
    "verbatim_string_characters",
    "cast_expression",
    "type_literal",
    "type_spec",
    "type_name",
    "type_identifier",
    "integer_literal",
    "hexadecimal_integer_literal",
    "+",
    "[",
];

/// The value of `'a' + [char]0x2019 + 'b'`, as PowerShell computes it: the terms in order,
/// strings and UTF-16 code units, starting with a string so that `+` concatenates.
pub fn decode_value(value: Node<'_>, code: &str) -> Result<String, String> {
    let mut units: Vec<u16> = Vec::new();
    let mut first = None;
    let mut stack = vec![value];
    while let Some(node) = stack.pop() {
        if !VALUE_KINDS.contains(&node.kind()) && node.kind() != "]" {
            return Err(format!("{} in a value: {}", node.kind(), text(value, code)));
        }
        match node.kind() {
            "string_literal" => {
                first.get_or_insert("string");
                units.extend(decode_verbatim(text(node, code))?.encode_utf16());
            }
            "cast_expression" => {
                first.get_or_insert("char");
                let cast = text(node, code);
                let hex = cast
                    .strip_prefix("[char]0x")
                    .filter(|h| h.len() == 4)
                    .ok_or_else(|| format!("not a [char]0xNNNN term: {cast}"))?;
                units.push(u16::from_str_radix(hex, 16).map_err(|e| format!("{cast}: {e}"))?);
            }
            _ => {
                let mut cursor = node.walk();
                let children: Vec<Node<'_>> = node.children(&mut cursor).collect();
                stack.extend(children.into_iter().rev());
            }
        }
    }
    if first != Some("string") {
        return Err(format!(
            "does not start with a string: {}",
            text(value, code)
        ));
    }
    String::from_utf16(&units).map_err(|e| format!("{e}: {}", text(value, code)))
}

/// What a snippet does: no error or missing node anywhere, and each statement either
/// `$env:NAME = '…'` or `Remove-Item -LiteralPath Env:NAME -ErrorAction Ignore`.
pub fn statements(code: &str) -> Result<Vec<Statement>, String> {
    let tree = parse(code);
    if let Some(bad) = nodes(&tree)
        .into_iter()
        .find(|n| n.is_error() || n.is_missing())
    {
        return Err(format!("{} at {:?}", bad.kind(), bad.start_position()));
    }
    let root = tree.root_node();
    let Some(list) = first_of_kind(root, "statement_list") else {
        return Ok(Vec::new());
    };
    let mut cursor = list.walk();
    list.named_children(&mut cursor)
        .map(|statement| statement_of(statement, code))
        .collect()
}

pub fn text<'c>(node: Node<'_>, code: &'c str) -> &'c str {
    &code[node.byte_range()]
}

pub fn statement_of(node: Node<'_>, code: &str) -> Result<Statement, String> {
    if let Some(assignment) = first_of_kind(node, "assignment_expression") {
        let left = first_of_kind(assignment, "left_assignment_expression").ok_or("no left side")?;
        let value = assignment.child_by_field_name("value").ok_or("no value")?;
        let name = text(left, code)
            .strip_prefix("$env:")
            .ok_or_else(|| format!("not an environment variable: {}", text(left, code)))?;
        return Ok(Statement::Set(name.to_owned(), decode_value(value, code)?));
    }
    let words: Vec<&str> = text(node, code).split_whitespace().collect();
    match words.as_slice() {
        [
            "Remove-Item",
            "-LiteralPath",
            path,
            "-ErrorAction",
            "Ignore",
        ] => path
            .strip_prefix("Env:")
            .map(|name| Statement::Remove(name.to_owned()))
            .ok_or_else(|| format!("not an environment path: {path}")),
        _ => Err(format!("unexpected statement: {}", text(node, code))),
    }
}

/// The environment after running `statements` on an empty one.
pub fn apply(statements: &[Statement]) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    for statement in statements {
        match statement {
            Statement::Set(name, value) => {
                env.insert(name.clone(), value.clone());
            }
            Statement::Remove(name) => {
                env.remove(name);
            }
        }
    }
    env
}

/// What in `code` Windows PowerShell 5.1 cannot run: the grammar accepts `&&`, `||` and
/// `-Parallel`, so they are found by node type; `??`, `?.` and `? :` are no part of it and
/// show up as error nodes or stray tokens; a `clean` block reads as a command named `clean`.
pub fn seven_only(code: &str) -> Vec<String> {
    let tree = parse(code);
    let mut found = Vec::new();
    for node in nodes(&tree) {
        let inside_text = {
            let mut up = node.parent();
            let mut inside = false;
            while let Some(n) = up {
                inside |= matches!(n.kind(), "string_literal" | "comment");
                up = n.parent();
            }
            inside
        };
        if inside_text {
            continue;
        }
        let at = node.start_position();
        let token = text(node, code);
        let bad = match node.kind() {
            "pipeline_chain_tail" => true,
            "foreach_parameter" => true,
            "ERROR" => true,
            _ if node.is_missing() => true,
            "command_name" => token.eq_ignore_ascii_case("clean"),
            "command_parameter" => token.eq_ignore_ascii_case("-parallel"),
            _ if node.child_count() == 0 => matches!(token, "??" | "??=" | "?." | "?[" | "?"),
            _ => false,
        };
        if bad {
            found.push(format!("{} `{token}` at {at:?}", node.kind()));
        }
    }
    found
}
