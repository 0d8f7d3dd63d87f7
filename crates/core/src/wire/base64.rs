//! Base64 (RFC 4648, standard alphabet, padded), as GitHub's blobs and contents API carry file
//! bytes and as the sim's Backstage cursors are written. One implementation for both sides.

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(B64[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes standard or URL-safe base64; whitespace (GitHub wraps contents at 60 columns) and
/// padding are skipped. `None` on any other character.
pub fn decode(s: &str) -> Option<Vec<u8>> {
    let mut bits = 0u32;
    let mut n = 0;
    let mut bytes = Vec::with_capacity(s.len() * 3 / 4);
    for c in s.bytes().filter(|c| *c != b'=' && !c.is_ascii_whitespace()) {
        let c = match c {
            b'-' => b'+',
            b'_' => b'/',
            c => c,
        };
        let v = B64.iter().position(|x| *x == c)? as u32;
        bits = (bits << 6) | v;
        n += 6;
        if n >= 8 {
            n -= 8;
            bytes.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_auth_credentials_encode_as_rfc_4648() {
        assert_eq!(
            encode(b"jdoe@acme.example:tok"),
            "amRvZUBhY21lLmV4YW1wbGU6dG9r"
        );
        assert_eq!(encode(b"ab"), "YWI=");
    }

    #[test]
    fn round_trips_every_length() {
        for text in ["", "f", "fo", "foo", "foob", "fooba", "foobar"] {
            let e = encode(text.as_bytes());
            assert_eq!(decode(&e).as_deref(), Some(text.as_bytes()), "{e}");
        }
        assert_eq!(encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(decode("Zm9v\nYmFy\n").as_deref(), Some(&b"foobar"[..]));
        assert_eq!(decode("not*base64"), None);
    }
}
