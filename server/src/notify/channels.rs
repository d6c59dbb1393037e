//! What is sent to each kind of outside channel: the request (URL, headers, JSON body) for one
//! message, in the format each service documents. Pure functions of the message, the channel
//! and the instant (signatures are time-stamped), so tests check them byte for byte.
//!
//! - 企业微信 group robot: `{"msgtype":"markdown","markdown":{"content":...}}` to the robot's
//!   URL (its `key` is in the URL).
//! - 钉钉 custom robot: `{"msgtype":"markdown","markdown":{"title","text"}}`; with a secret
//!   ("加签"), `&timestamp=<ms>&sign=<urlencode(base64(HmacSHA256(secret, "<ms>\n<secret>")))>`
//!   is added to the URL.
//! - 飞书 custom robot: `{"msg_type":"text","content":{"text":...}}`; with a secret ("签名校验"),
//!   `timestamp` (seconds) and `sign` = base64(HmacSHA256(key = "<s>\n<secret>", message = ""))
//!   are added to the body.
//! - webhook (SMS gateways, OA systems): the message as JSON; with a secret,
//!   `X-Duyan-Signature: sha256=<hex HmacSHA256(secret, "<timestamp>.<body>")>` and
//!   `X-Duyan-Timestamp` (seconds), so a receiver can check both origin and freshness.
//!
//! Every request carries `Idempotency-Key`: the same for every attempt at one message, so a
//! receiver that saw a message whose acknowledgement was lost can drop the repeat.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The kinds of channel.
pub const KINDS: &[&str] = &["wecom", "dingtalk", "feishu", "webhook"];

/// One message, as every channel renders it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Message {
    /// The idempotency key.
    pub id: String,
    /// `EventKind` string, or `digest`.
    pub kind: String,
    /// The kind in Chinese (催办, 今日到期, 每日汇总).
    pub label: String,
    pub record_id: Option<String>,
    pub title: String,
    pub doc_no: Option<String>,
    /// The deadline in Asia/Shanghai, `YYYY-MM-DD HH:MM`.
    pub deadline: Option<String>,
    pub text: String,
    /// Link to the record (or the app) at the public URL.
    pub link: String,
    /// When it happened, ms since the epoch.
    pub at: i64,
}

/// An HTTP request to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// The request delivering `message` to a channel of `kind` at `url`, signed with `secret` if
/// given, at `now_ms`.
pub fn render(
    kind: &str,
    url: &str,
    secret: Option<&str>,
    message: &Message,
    now_ms: i64,
) -> Request {
    let secret = secret.filter(|s| !s.is_empty());
    let mut headers = vec![
        ("content-type".to_owned(), "application/json".to_owned()),
        ("idempotency-key".to_owned(), message.id.clone()),
    ];
    let (url, body) = match kind {
        "wecom" => (
            url.to_owned(),
            serde_json::json!({
                "msgtype": "markdown",
                "markdown": { "content": markdown(message) },
            }),
        ),
        "dingtalk" => {
            let url = match secret {
                Some(secret) => {
                    let sign = dingtalk_sign(secret, now_ms);
                    let sep = if url.contains('?') { '&' } else { '?' };
                    format!("{url}{sep}timestamp={now_ms}&sign={sign}")
                }
                None => url.to_owned(),
            };
            (
                url,
                serde_json::json!({
                    "msgtype": "markdown",
                    "markdown": {
                        "title": format!("【{}】{}", message.label, message.title),
                        "text": markdown(message),
                    },
                }),
            )
        }
        "feishu" => {
            let mut body = serde_json::json!({
                "msg_type": "text",
                "content": { "text": plain(message) },
            });
            if let Some(secret) = secret {
                let seconds = now_ms.div_euclid(1000);
                body["timestamp"] = serde_json::Value::String(seconds.to_string());
                body["sign"] = serde_json::Value::String(feishu_sign(secret, seconds));
            }
            (url.to_owned(), body)
        }
        _ => (
            url.to_owned(),
            serde_json::to_value(message).unwrap_or_default(),
        ),
    };
    let body = serde_json::to_vec(&body).unwrap_or_default();
    if kind == "webhook"
        && let Some(secret) = secret
    {
        let seconds = now_ms.div_euclid(1000);
        headers.push(("x-duyan-timestamp".to_owned(), seconds.to_string()));
        headers.push((
            "x-duyan-signature".to_owned(),
            format!("sha256={}", webhook_sign(secret, seconds, &body)),
        ));
    }
    Request { url, headers, body }
}

/// 钉钉's `sign`: url-encoded base64 of HmacSHA256 keyed by the secret over "<ms>\n<secret>".
pub fn dingtalk_sign(secret: &str, timestamp_ms: i64) -> String {
    let mac = hmac(
        secret.as_bytes(),
        format!("{timestamp_ms}\n{secret}").as_bytes(),
    );
    percent_encoding::utf8_percent_encode(&STANDARD.encode(mac), percent_encoding::NON_ALPHANUMERIC)
        .to_string()
}

/// 飞书's `sign`: base64 of HmacSHA256 keyed by "<seconds>\n<secret>" over nothing.
pub fn feishu_sign(secret: &str, timestamp_s: i64) -> String {
    STANDARD.encode(hmac(format!("{timestamp_s}\n{secret}").as_bytes(), b""))
}

/// The webhook's signature: hex HmacSHA256 keyed by the secret over "<seconds>.<body>".
pub fn webhook_sign(secret: &str, timestamp_s: i64, body: &[u8]) -> String {
    let mut signed = format!("{timestamp_s}.").into_bytes();
    signed.extend_from_slice(body);
    hmac(secret.as_bytes(), &signed)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn hmac(key: &[u8], message: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// The message as markdown (企业微信, 钉钉).
fn markdown(m: &Message) -> String {
    let mut out = format!("### 【{}】{}\n", m.label, escape(&m.title));
    if let Some(doc_no) = &m.doc_no {
        out.push_str(&format!("> 文号：{}\n", escape(doc_no)));
    }
    if let Some(deadline) = &m.deadline {
        out.push_str(&format!("> 期限：{deadline}\n"));
    }
    out.push_str(&format!(
        "\n{}\n\n[在督研中查看]({})",
        escape(&m.text),
        m.link
    ));
    out
}

/// The message as plain text (飞书 `text`).
fn plain(m: &Message) -> String {
    let mut out = format!("【{}】{}\n", m.label, m.title);
    if let Some(doc_no) = &m.doc_no {
        out.push_str(&format!("文号：{doc_no}\n"));
    }
    if let Some(deadline) = &m.deadline {
        out.push_str(&format!("期限：{deadline}\n"));
    }
    out.push_str(&format!("{}\n查看：{}", m.text, m.link));
    out
}

/// Keeps text written by users from being read as markdown links or markup.
fn escape(text: &str) -> String {
    text.replace(['[', ']'], "")
        .replace('<', "＜")
        .replace('>', "＞")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dingtalk_sign_matches_the_documented_algorithm() {
        // Python from 钉钉's documentation: quote_plus(b64encode(hmac(secret, f"{ts}\n{secret}"))).
        let sign = dingtalk_sign("this is secret", 1_600_000_000_000);
        let decoded = percent_encoding::percent_decode_str(&sign)
            .decode_utf8()
            .unwrap();
        let raw = STANDARD.decode(decoded.as_bytes()).unwrap();
        assert_eq!(
            raw,
            hmac(b"this is secret", b"1600000000000\nthis is secret")
        );
        assert!(!sign.contains('+') && !sign.contains('/') && !sign.contains('='));
    }

    #[test]
    fn feishu_sign_keys_by_timestamp_and_secret() {
        let sign = feishu_sign("s", 1_599_360_473);
        assert_eq!(STANDARD.decode(sign).unwrap(), hmac(b"1599360473\ns", b""));
    }
}
