//! Web Push's two pieces of cryptography, as pure functions:
//!
//! - RFC 8291 message encryption (`Content-Encoding: aes128gcm`, RFC 8188): an ephemeral P-256
//!   key agreed with the browser's `p256dh` key, mixed with its `auth` secret through HKDF, one
//!   AES-128-GCM record. Only the browser that subscribed can read the payload; the push
//!   service sees ciphertext.
//! - RFC 8292 VAPID: `Authorization: vapid t=<JWT>, k=<public key>`, an ES256 JWT for the push
//!   service's origin signed with the server's key, so the service knows which server sends
//!   (and browsers bind a subscription to that public key).
//!
//! Keys travel as base64url without padding, as browsers give and take them.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes128Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hkdf::Hkdf;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::{PublicKey, SecretKey};
use sha2::Sha256;

/// The record size announced in the header; one record holds the whole payload.
const RECORD_SIZE: u32 = 4096;

/// The largest payload one record carries (the record size less the delimiter and the tag).
pub const MAX_PAYLOAD: usize = RECORD_SIZE as usize - 17;

/// Why a subscription's keys or a payload cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Invalid {
    #[error("p256dh is not a P-256 public key")]
    PublicKey,
    #[error("auth is not a 16-byte secret")]
    Auth,
    #[error("the payload is too large")]
    TooLarge,
}

/// Decodes a browser's `p256dh` (base64url, 65-byte uncompressed point) and `auth` (16 bytes).
pub fn subscription_keys(p256dh: &str, auth: &str) -> Result<(PublicKey, [u8; 16]), Invalid> {
    let point = B64
        .decode(p256dh.trim_end_matches('='))
        .map_err(|_| Invalid::PublicKey)?;
    if point.len() != 65 {
        return Err(Invalid::PublicKey);
    }
    let key = PublicKey::from_sec1_bytes(&point).map_err(|_| Invalid::PublicKey)?;
    let auth: [u8; 16] = B64
        .decode(auth.trim_end_matches('='))
        .ok()
        .and_then(|a| a.try_into().ok())
        .ok_or(Invalid::Auth)?;
    Ok((key, auth))
}

/// Encrypts `payload` for a browser (RFC 8291) with a fresh key and salt.
pub fn encrypt(ua_public: &PublicKey, auth: &[u8; 16], payload: &[u8]) -> Result<Vec<u8>, Invalid> {
    // 32 random bytes are a valid scalar but for a chance of about 2^-32 (zero or past the
    // group order); draw again then.
    let secret = loop {
        if let Ok(secret) = SecretKey::from_slice(&rand::random::<[u8; 32]>()) {
            break secret;
        }
    };
    let salt: [u8; 16] = rand::random();
    encrypt_with(ua_public, auth, payload, &secret, salt)
}

/// [`encrypt`] with a given ephemeral key and salt (RFC 8291's test vector fixes both).
pub fn encrypt_with(
    ua_public: &PublicKey,
    auth: &[u8; 16],
    payload: &[u8],
    as_secret: &SecretKey,
    salt: [u8; 16],
) -> Result<Vec<u8>, Invalid> {
    if payload.len() > MAX_PAYLOAD {
        return Err(Invalid::TooLarge);
    }
    let ua_point = ua_public.to_encoded_point(false);
    let as_point = as_secret.public_key().to_encoded_point(false);
    let shared = p256::ecdh::diffie_hellman(as_secret.to_nonzero_scalar(), ua_public.as_affine());

    // IKM = HKDF(salt = auth, ikm = ECDH, info = "WebPush: info\0" || ua_public || as_public).
    let mut key_info = b"WebPush: info\0".to_vec();
    key_info.extend_from_slice(ua_point.as_bytes());
    key_info.extend_from_slice(as_point.as_bytes());
    let mut ikm = [0u8; 32];
    Hkdf::<Sha256>::new(Some(auth), shared.raw_secret_bytes())
        .expand(&key_info, &mut ikm)
        .map_err(|_| Invalid::PublicKey)?;
    let prk = Hkdf::<Sha256>::new(Some(&salt), &ikm);
    let mut cek = [0u8; 16];
    let mut nonce = [0u8; 12];
    prk.expand(b"Content-Encoding: aes128gcm\0", &mut cek)
        .and_then(|()| prk.expand(b"Content-Encoding: nonce\0", &mut nonce))
        .map_err(|_| Invalid::PublicKey)?;

    // One record: the payload, then the last-record delimiter 0x02, no padding.
    let mut record = payload.to_vec();
    record.push(2);
    let sealed = Aes128Gcm::new((&cek).into())
        .encrypt(&Nonce::from(nonce), record.as_slice())
        .map_err(|_| Invalid::TooLarge)?;

    // Header: salt, record size, key id length, key id (our public key).
    let mut out = Vec::with_capacity(16 + 4 + 1 + 65 + sealed.len());
    out.extend_from_slice(&salt);
    out.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    out.push(65);
    out.extend_from_slice(as_point.as_bytes());
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// The server's VAPID identity: `DUYAN_VAPID_PRIVATE_KEY` and `DUYAN_VAPID_SUBJECT`.
#[derive(Clone)]
pub struct Vapid {
    key: SigningKey,
    /// base64url of the uncompressed public point: the browser's `applicationServerKey`.
    public: String,
    subject: String,
}

impl std::fmt::Debug for Vapid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vapid")
            .field("public", &self.public)
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

impl Vapid {
    /// From the private key as `npx web-push generate-vapid-keys` prints it (base64url of the
    /// 32-byte scalar) and a contact (`mailto:` or `https:` URL) push services may use.
    pub fn from_base64(private: &str, subject: &str) -> anyhow::Result<Self> {
        let bytes = B64
            .decode(private.trim().trim_end_matches('='))
            .map_err(|_| anyhow::anyhow!("DUYAN_VAPID_PRIVATE_KEY is not base64url"))?;
        let secret = SecretKey::from_slice(&bytes)
            .map_err(|_| anyhow::anyhow!("DUYAN_VAPID_PRIVATE_KEY is not a P-256 private key"))?;
        anyhow::ensure!(
            subject.starts_with("mailto:") || subject.starts_with("https://"),
            "DUYAN_VAPID_SUBJECT must be a mailto: or https: URL"
        );
        let public = B64.encode(secret.public_key().to_encoded_point(false).as_bytes());
        Ok(Self {
            key: SigningKey::from(secret),
            public,
            subject: subject.to_owned(),
        })
    }

    /// The public key, base64url (the `applicationServerKey` and the `k=` of the header).
    pub fn public_key(&self) -> &str {
        &self.public
    }

    /// The `Authorization` header for a push to `endpoint`, valid until `expires` (seconds
    /// since the epoch; RFC 8292 allows at most 24 hours ahead).
    pub fn authorization(&self, endpoint: &url::Url, expires: i64) -> String {
        let audience = endpoint.origin().ascii_serialization();
        let header = B64.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
        let claims = B64.encode(
            serde_json::json!({ "aud": audience, "exp": expires, "sub": self.subject }).to_string(),
        );
        let signed = format!("{header}.{claims}");
        let signature: Signature = self.key.sign(signed.as_bytes());
        let jwt = format!("{signed}.{}", B64.encode(signature.to_bytes()));
        format!("vapid t={jwt}, k={}", self.public)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> Vec<u8> {
        B64.decode(s).unwrap()
    }

    /// RFC 8291, Appendix A: the same keys, salt and plaintext give the RFC's message.
    #[test]
    fn encryption_matches_the_rfc_8291_example() {
        let as_secret =
            SecretKey::from_slice(&b64("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw")).unwrap();
        let (ua_public, auth) = subscription_keys(
            "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
            "BTBZMqHH6r4Tts7J_aSIgg",
        )
        .unwrap();
        let salt: [u8; 16] = b64("DGv6ra1nlYgDCS1FRnbzlw").try_into().unwrap();
        let message = encrypt_with(
            &ua_public,
            &auth,
            b"When I grow up, I want to be a watermelon",
            &as_secret,
            salt,
        )
        .unwrap();
        assert_eq!(
            B64.encode(message),
            "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"
        );
    }

    #[test]
    fn bad_subscription_keys_are_refused() {
        assert_eq!(
            subscription_keys("BAAA", "BTBZMqHH6r4Tts7J_aSIgg").unwrap_err(),
            Invalid::PublicKey
        );
        assert_eq!(
            subscription_keys(
                "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
                "short"
            )
            .unwrap_err(),
            Invalid::Auth
        );
    }
}
