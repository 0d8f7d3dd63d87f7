//! Just enough of Kubernetes' protobuf encoding to read a SelfSubjectAccessReview, which
//! kubectl (`auth can-i`) sends as protobuf while accepting a JSON answer.

/// Fields of one protobuf message: (field number, length-delimited bytes); varints and fixed
/// values are skipped, as nothing read here uses them.
fn fields(mut buf: &[u8]) -> Option<Vec<(u64, &[u8])>> {
    fn varint(buf: &mut &[u8]) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let (&b, rest) = buf.split_first()?;
            *buf = rest;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }
    let mut out = Vec::new();
    while !buf.is_empty() {
        let key = varint(&mut buf)?;
        match key & 7 {
            0 => {
                varint(&mut buf)?;
            }
            1 => buf = buf.get(8..)?,
            2 => {
                let len = usize::try_from(varint(&mut buf)?).ok()?;
                let (value, rest) = (buf.get(..len)?, buf.get(len..)?);
                out.push((key >> 3, value));
                buf = rest;
            }
            5 => buf = buf.get(4..)?,
            _ => return None,
        }
    }
    Some(out)
}

fn field(buf: &[u8], number: u64) -> Option<&[u8]> {
    fields(buf)?
        .into_iter()
        .find(|(n, _)| *n == number)
        .map(|(_, v)| v)
}

/// The resource attributes of a protobuf SelfSubjectAccessReview, as JSON.
pub fn access_review_attributes(body: &[u8]) -> Option<serde_json::Value> {
    let unknown = body.strip_prefix(b"k8s\0")?;
    let raw = field(unknown, 2)?;
    let spec = field(raw, 2)?;
    let attrs = field(spec, 1)?;
    let names = [
        "namespace",
        "verb",
        "group",
        "version",
        "resource",
        "subresource",
        "name",
    ];
    let mut out = serde_json::Map::new();
    for (n, value) in fields(attrs)? {
        let Some(name) = usize::try_from(n)
            .ok()
            .and_then(|n| names.get(n.checked_sub(1)?))
        else {
            continue;
        };
        out.insert(
            (*name).to_string(),
            String::from_utf8_lossy(value).into_owned().into(),
        );
    }
    Some(serde_json::Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(fields: &[(u8, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        for (n, v) in fields {
            out.push((n << 3) | 2);
            out.push(v.len() as u8);
            out.extend_from_slice(v);
        }
        out
    }

    #[test]
    fn reads_the_attributes_kubectl_sends() {
        let attrs = message(&[(1, b"monitoring"), (2, b"delete"), (5, b"pods")]);
        let spec = message(&[(1, &attrs)]);
        let raw = message(&[(1, b""), (2, &spec)]);
        let type_meta = message(&[
            (1, b"authorization.k8s.io/v1"),
            (2, b"SelfSubjectAccessReview"),
        ]);
        let mut body = b"k8s\0".to_vec();
        body.extend(message(&[(1, &type_meta), (2, &raw)]));
        let got = access_review_attributes(&body).expect("decodes");
        assert_eq!(got["namespace"], "monitoring");
        assert_eq!(got["verb"], "delete");
        assert_eq!(got["resource"], "pods");
        assert_eq!(access_review_attributes(b"{}"), None);
    }
}
