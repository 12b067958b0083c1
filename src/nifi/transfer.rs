//! One flow file sent to a NiFi input port over site-to-site HTTP: a transaction opened on the
//! port, the flow file posted in NiFi's flow-file encoding, NiFi's CRC32 of what it read checked
//! against ours, then the transaction confirmed (or cancelled on a mismatch).

use std::collections::BTreeMap;
use std::time::Duration;

use super::NifiError;

/// The site-to-site protocol version spoken.
const PROTOCOL: (&str, &str) = ("x-nifi-site-to-site-protocol-version", "1");

/// NiFi's response codes for ending a transaction.
const CONFIRM: u32 = 12;
const BAD_CHECKSUM: u32 = 19;

/// One flow file as NiFi's codec writes it: the attribute count, each key and value with its
/// length (32-bit, big-endian, UTF-8 bytes), the content's length (64-bit), the content.
pub fn encode(attributes: &BTreeMap<String, String>, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 64);
    out.extend_from_slice(&(attributes.len() as u32).to_be_bytes());
    for (k, v) in attributes {
        for s in [k, v] {
            out.extend_from_slice(&(s.len() as u32).to_be_bytes());
            out.extend_from_slice(s.as_bytes());
        }
    }
    out.extend_from_slice(&(content.len() as u64).to_be_bytes());
    out.extend_from_slice(content);
    out
}

/// Sends one flow file with `attributes` and `content` to input port `port` of the NiFi at
/// `address` (`host:port`).
pub async fn send(
    address: &str,
    port: &str,
    attributes: &BTreeMap<String, String>,
    content: &[u8],
) -> Result<(), NifiError> {
    let client =
        reqwest::Client::builder().timeout(Duration::from_secs(120)).no_proxy().build().expect("a plain HTTP client");
    let http = |url: &str| {
        let url = url.to_string();
        move |source| NifiError::Http { url, source }
    };
    let open = format!("http://{address}/nifi-api/data-transfer/input-ports/{port}/transactions");
    let opened = client.post(&open).header(PROTOCOL.0, PROTOCOL.1).send().await.map_err(http(&open))?;
    let transaction = match (opened.status().as_u16(), opened.headers().get("location")) {
        (201, Some(location)) => location.to_str().unwrap_or_default().to_string(),
        (status, _) => {
            let body = opened.text().await.unwrap_or_default().chars().take(300).collect();
            return Err(NifiError::Status { url: open, status, body });
        }
    };
    let packet = encode(attributes, content);
    let sent = crc32fast::hash(&packet);
    let files = format!("{transaction}/flow-files");
    let posted = client
        .post(&files)
        .header(PROTOCOL.0, PROTOCOL.1)
        .header("content-type", "application/octet-stream")
        .header("accept", "text/plain")
        .body(packet)
        .send()
        .await
        .map_err(http(&files))?;
    let status = posted.status().as_u16();
    let received = posted.text().await.map_err(http(&files))?.trim().to_string();
    if status != 202 {
        return Err(NifiError::Status { url: files, status, body: received.chars().take(300).collect() });
    }
    let matches = received == sent.to_string();
    let code = if matches { CONFIRM } else { BAD_CHECKSUM };
    let end = format!("{transaction}?responseCode={code}&checksum={received}");
    let ended = client.delete(&end).header(PROTOCOL.0, PROTOCOL.1).send().await.map_err(http(&end))?;
    if !matches {
        return Err(NifiError::Checksum { sent, received });
    }
    let status = ended.status().as_u16();
    if status != 200 {
        let body = ended.text().await.unwrap_or_default().chars().take(300).collect();
        return Err(NifiError::Status { url: end, status, body });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flow_file_is_its_attributes_then_its_content_each_with_its_length() {
        let attributes = BTreeMap::from([("hour".to_string(), "2026-12-02T06".to_string())]);
        let bytes = encode(&attributes, "정말".as_bytes());
        let mut expected = vec![0, 0, 0, 1, 0, 0, 0, 4];
        expected.extend_from_slice(b"hour");
        expected.extend_from_slice(&[0, 0, 0, 13]);
        expected.extend_from_slice(b"2026-12-02T06");
        expected.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 6]);
        expected.extend_from_slice("정말".as_bytes());
        assert_eq!(bytes, expected);
        assert_eq!(encode(&BTreeMap::new(), b""), [0u8; 12]);
    }
}
