//! Inline commands: the line a person types into `nc` or telnet (`SET k "a b"`), split
//! into arguments the way Redis' `sdssplitargs` does.

use super::request::ProtocolError;

/// Splits an inline command line into arguments: blanks separate them, and `"..."` or
/// `'...'` group them (`\"`, `\\`, `\n`, `\r`, `\t` escapes inside double quotes, `\'`
/// inside single quotes).
pub(crate) fn split_inline(line: &[u8]) -> Result<Vec<Vec<u8>>, ProtocolError> {
    let unbalanced = || ProtocolError::new("unbalanced quotes in request");
    let mut args = Vec::new();
    let mut i = 0;
    loop {
        while line.get(i).is_some_and(|b| b" \t".contains(b)) {
            i += 1;
        }
        let Some(&first) = line.get(i) else {
            return Ok(args);
        };
        let mut arg = Vec::new();
        if first == b'"' || first == b'\'' {
            i += 1;
            loop {
                let &b = line.get(i).ok_or_else(unbalanced)?;
                i += 1;
                if b == first {
                    break;
                }
                if b == b'\\' && i < line.len() {
                    let e = line[i];
                    i += 1;
                    match (first, e) {
                        (b'"', b'n') => arg.push(b'\n'),
                        (b'"', b'r') => arg.push(b'\r'),
                        (b'"', b't') => arg.push(b'\t'),
                        (b'"', b'"' | b'\\') | (b'\'', b'\'') => arg.push(e),
                        // Not an escape: keep the backslash.
                        _ => arg.extend_from_slice(&[b'\\', e]),
                    }
                } else {
                    arg.push(b);
                }
            }
            // A closing quote must end the argument.
            if line.get(i).is_some_and(|b| !b" \t".contains(b)) {
                return Err(unbalanced());
            }
        } else {
            while let Some(&b) = line.get(i).filter(|b| !b" \t".contains(b)) {
                arg.push(b);
                i += 1;
            }
        }
        args.push(arg);
    }
}
