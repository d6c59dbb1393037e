//! Preferences, quiet hours and Web Push on real PostgreSQL, with a real local HTTP server
//! standing in for the push service: the urge reaches the handler's device encrypted (the test
//! decrypts it with the device's key, RFC 8291) under a VAPID JWT that verifies with the
//! server's public key (RFC 8292); quiet hours hold it until they end; a muted kind is never
//! queued; only the caller's own subscriptions and settings are touched.

use std::sync::Arc;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes128Gcm, Nonce};
use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use duyan::notify::clock::{at_local, parse_hm};
use duyan::notify::push::{Delivered, Pusher};
use duyan::notify::webpush::Vapid;
use duyan::notify::{self};
use duyan_shared::rules::Role;
use hkdf::Hkdf;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::{PublicKey, SecretKey};
use serde_json::{Value, json};
use sha2::Sha256;
use sqlx::PgPool;

use crate::common::{Caller, TestApp, item, test_app};
use crate::notify::{call, change_as, urge};
use crate::receiver::Receiver;

/// A browser's side of a subscription: its key pair and auth secret.
struct Device {
    secret: SecretKey,
    auth: [u8; 16],
}

impl Device {
    fn new() -> Self {
        Self {
            secret: SecretKey::from_slice(&rand::random::<[u8; 32]>()).unwrap(),
            auth: rand::random(),
        }
    }

    fn subscription(&self, endpoint: &str) -> Value {
        json!({
            "endpoint": endpoint,
            "expirationTime": null,
            "keys": {
                "p256dh": B64.encode(self.secret.public_key().to_encoded_point(false).as_bytes()),
                "auth": B64.encode(self.auth),
            }
        })
    }

    /// RFC 8291 from the receiving end: the header's salt and sender key, ECDH with our key,
    /// the same key schedule, one AES-128-GCM record ending in the delimiter 0x02.
    #[track_caller]
    fn decrypt(&self, body: &[u8]) -> Vec<u8> {
        let salt = &body[..16];
        let record_size = u32::from_be_bytes(body[16..20].try_into().unwrap());
        assert_eq!(record_size, 4096);
        let id_len = usize::from(body[20]);
        assert_eq!(id_len, 65);
        let sender = PublicKey::from_sec1_bytes(&body[21..21 + id_len]).unwrap();
        let sealed = &body[21 + id_len..];
        let shared =
            p256::ecdh::diffie_hellman(self.secret.to_nonzero_scalar(), sender.as_affine());
        let mut info = b"WebPush: info\0".to_vec();
        info.extend_from_slice(self.secret.public_key().to_encoded_point(false).as_bytes());
        info.extend_from_slice(sender.to_encoded_point(false).as_bytes());
        let mut ikm = [0u8; 32];
        Hkdf::<Sha256>::new(Some(&self.auth), shared.raw_secret_bytes())
            .expand(&info, &mut ikm)
            .unwrap();
        let prk = Hkdf::<Sha256>::new(Some(salt), &ikm);
        let (mut cek, mut nonce) = ([0u8; 16], [0u8; 12]);
        prk.expand(b"Content-Encoding: aes128gcm\0", &mut cek)
            .unwrap();
        prk.expand(b"Content-Encoding: nonce\0", &mut nonce)
            .unwrap();
        let mut plain = Aes128Gcm::new((&cek).into())
            .decrypt(&Nonce::from(nonce), sealed)
            .expect("the payload decrypts with the device's key");
        assert_eq!(plain.pop(), Some(2), "one record, the last");
        plain
    }
}

async fn with_vapid(pool: PgPool) -> (TestApp, Arc<Vapid>) {
    let mut app = test_app(pool).await;
    let key = B64.encode(rand::random::<[u8; 32]>());
    let vapid = Arc::new(Vapid::from_base64(&key, "mailto:office@example.com").unwrap());
    app.state.notify.vapid = Some(vapid.clone());
    app.router = duyan::app::app(app.state.clone());
    (app, vapid)
}

async fn push_rows(app: &TestApp) -> i64 {
    sqlx::query_scalar!(r#"select count(*) as "n!" from push_outbox"#)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "./migrations")]
async fn an_urge_reaches_the_device_encrypted_and_waits_out_quiet_hours(pool: PgPool) {
    let (app, vapid) = with_vapid(pool).await;
    let li = app.user("li", &[Role::Supervisor], Some("office")).await;
    let zhang = app.user("zhang", &[Role::Handler], Some("plant-1")).await;
    let rx = Receiver::start().await;
    let device = Device::new();
    let endpoint = format!("{}/push/zhang-phone", rx.url);

    let (status, body) = call(
        &app,
        Some(&zhang),
        "POST",
        "/api/me/push-subscriptions",
        Some(device.subscription(&endpoint)),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, settings) = call(
        &app,
        Some(&zhang),
        "PUT",
        "/api/me/notifications",
        Some(json!({
            "events": ["urged", "returned"],
            "quiet_hours": { "from": "22:00", "to": "07:30" }
        })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{settings}");
    assert_eq!(settings["push_public_key"], vapid.public_key());

    let (id, mut doc) = app
        .put(item("阀井污水整改", "plant-1", &zhang.id, &li.id), &li.id)
        .await;
    change_as(&app, id, &mut doc, &li.id, &li.id, |item| {
        item.urges.push(urge("u-1", &li.id, "请本周内反馈"));
    })
    .await;
    assert_eq!(push_rows(&app).await, 1, "one push for zhang's one device");

    // Tomorrow 23:00 is inside zhang's quiet hours: held until 07:30, nothing sent.
    let day = notify::now().local_date().succ_opt().unwrap();
    let next = day.succ_opt().unwrap();
    let at = |d, hm: &str| at_local(d, parse_hm(hm).unwrap()).unwrap();
    let pusher = Pusher::new(app.pool.clone(), vapid.clone(), true).unwrap();
    assert_eq!(
        pusher.deliver_one(at(day, "23:00")).await.unwrap(),
        Delivered::Held(at(next, "07:30"))
    );
    assert_eq!(
        pusher.deliver_one(at(next, "07:29")).await.unwrap(),
        Delivered::Idle
    );
    assert!(rx.taken().is_empty(), "nothing is sent in quiet hours");
    assert_eq!(
        pusher.deliver_one(at(next, "07:30")).await.unwrap(),
        Delivered::Sent
    );
    assert_eq!(
        pusher.deliver_one(at(next, "07:31")).await.unwrap(),
        Delivered::Idle
    );

    let got = rx.taken();
    assert_eq!(got.len(), 1, "sent once");
    let push = &got[0];
    assert_eq!(push.uri.path(), "/push/zhang-phone");
    assert_eq!(push.header("content-encoding"), "aes128gcm");
    assert_eq!(push.header("content-type"), "application/octet-stream");
    assert_eq!(push.header("ttl"), "86400");

    // VAPID: `vapid t=<JWT>, k=<key>`; the JWT's ES256 signature verifies with the key, and
    // its audience is the push service's origin.
    let auth = push.header("authorization");
    let (t, k) = auth
        .strip_prefix("vapid t=")
        .and_then(|rest| rest.split_once(", k="))
        .expect("vapid t=..., k=...");
    assert_eq!(k, vapid.public_key());
    let key = VerifyingKey::from_sec1_bytes(&B64.decode(k).unwrap()).unwrap();
    let (signed, signature) = t.rsplit_once('.').unwrap();
    let signature = Signature::from_slice(&B64.decode(signature).unwrap()).unwrap();
    key.verify(signed.as_bytes(), &signature)
        .expect("the JWT verifies with the VAPID public key");
    let (header, claims) = signed.split_once('.').unwrap();
    let header: Value = serde_json::from_slice(&B64.decode(header).unwrap()).unwrap();
    let claims: Value = serde_json::from_slice(&B64.decode(claims).unwrap()).unwrap();
    assert_eq!(header["alg"], "ES256");
    assert_eq!(claims["aud"], rx.url);
    assert_eq!(claims["sub"], "mailto:office@example.com");
    let exp = claims["exp"].as_i64().unwrap();
    let now = notify::now().millis() / 1000;
    assert!(exp > now && exp <= now + 24 * 3600, "expires within a day");

    let payload: Value = serde_json::from_slice(&device.decrypt(&push.body)).unwrap();
    assert_eq!(payload["title"], "【催办】阀井污水整改");
    assert_eq!(payload["body"], "li催办（催办）：请本周内反馈");
    assert_eq!(payload["url"], format!("/items/{id}"));

    // A kind zhang did not keep is never queued for his devices.
    change_as(&app, id, &mut doc, &li.id, &li.id, |item| {
        item.instructions.push(duyan_shared::records::Instruction {
            id: "i-1".into(),
            at: duyan_shared::samples::shanghai(2026, 11, 5, 10, 0),
            by: li.id.clone(),
            withdrawn: None,
            text: "抓紧落实".into(),
            attachments: None,
        });
    })
    .await;
    assert_eq!(push_rows(&app).await, 1, "批示 is muted");

    // A push service that forgot the device (410): the subscription goes, with its messages.
    let gone = format!("{}/gone/old-phone", rx.url);
    let old = Device::new();
    let (status, _) = call(
        &app,
        Some(&zhang),
        "POST",
        "/api/me/push-subscriptions",
        Some(old.subscription(&gone)),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    change_as(&app, id, &mut doc, &li.id, &li.id, |item| {
        item.urges.push(urge("u-2", &li.id, "请今日反馈"));
    })
    .await;
    let mut outcomes = Vec::new();
    for _ in 0..2 {
        outcomes.push(pusher.deliver_one(at(next, "08:00")).await.unwrap());
    }
    outcomes.sort_by_key(|o| format!("{o:?}"));
    assert_eq!(outcomes, [Delivered::Dropped, Delivered::Sent]);
    let endpoints: Vec<String> =
        sqlx::query_scalar!("select endpoint from push_subscriptions order by id")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(endpoints, [endpoint]);
}

#[sqlx::test(migrations = "./migrations")]
async fn settings_and_subscriptions_are_the_callers_own_and_checked(pool: PgPool) {
    let (mut app, _) = with_vapid(pool).await;
    let zhang = app.user("zhang", &[Role::Handler], Some("plant-1")).await;
    let wang = app.user("wang", &[Role::Handler], Some("plant-2")).await;
    let device = Device::new();
    let endpoint = "https://push.example.com/send/zhang-phone";

    // Defaults: every kind, no quiet hours.
    let (status, body) = call(&app, Some(&zhang), "GET", "/api/me/notifications", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["events"].as_array().unwrap().len(),
        notify::EventKind::ALL.len()
    );
    assert_eq!(body["quiet_hours"], Value::Null);
    assert_eq!(
        body["kinds"][1],
        json!({ "kind": "urged", "label": "催办" })
    );

    for bad in [
        json!({ "events": ["nope"], "quiet_hours": null }),
        json!({ "events": ["urged", "urged"], "quiet_hours": null }),
        json!({ "events": [], "quiet_hours": { "from": "22:00", "to": "7:30" } }),
        json!({ "events": [], "quiet_hours": { "from": "22:00", "to": "22:00" } }),
        json!({ "events": [], "quiet_hours": null, "sms": true }),
        json!({ "quiet_hours": null }),
    ] {
        let (status, body) = call(
            &app,
            Some(&zhang),
            "PUT",
            "/api/me/notifications",
            Some(bad.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(body["error"]["code"].is_string(), "{body}");
    }
    let (status, body) = call(
        &app,
        Some(&zhang),
        "PUT",
        "/api/me/notifications",
        Some(json!({ "events": [], "quiet_hours": { "from": "12:00", "to": "13:30" } })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Someone else's settings are untouched.
    let (_, other) = call(&app, Some(&wang), "GET", "/api/me/notifications", None).await;
    assert_eq!(other["quiet_hours"], Value::Null);
    let (_, mine) = call(&app, Some(&zhang), "GET", "/api/me/notifications", None).await;
    assert_eq!(mine["events"], json!([]));
    assert_eq!(
        mine["quiet_hours"],
        json!({ "from": "12:00", "to": "13:30" })
    );

    let (status, _) = subscribe(&app, &zhang, device.subscription(endpoint)).await;
    assert_eq!(status, StatusCode::CREATED);
    let mut broken = device.subscription(endpoint);
    broken["keys"]["p256dh"] = json!("BAAA");
    let mut short = device.subscription(endpoint);
    short["keys"]["auth"] = json!("c2hvcnQ");
    for bad in [
        broken,
        short,
        device.subscription("ftp://push.example.com/x"),
    ] {
        let (status, body) = subscribe(&app, &zhang, bad.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad} {body}");
    }

    // Another user cannot remove zhang's device: 404, and it stays.
    let (status, _) = call(
        &app,
        Some(&wang),
        "DELETE",
        "/api/me/push-subscriptions",
        Some(json!({ "endpoint": endpoint })),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let owners: Vec<String> = sqlx::query_scalar!("select user_id from push_subscriptions")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    assert_eq!(owners, [zhang.id.as_str()]);
    let (status, _) = call(
        &app,
        Some(&zhang),
        "DELETE",
        "/api/me/push-subscriptions",
        Some(json!({ "endpoint": endpoint })),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    for (method, path) in [
        ("GET", "/api/me/notifications"),
        ("PUT", "/api/me/notifications"),
        ("POST", "/api/me/push-subscriptions"),
        ("DELETE", "/api/me/push-subscriptions"),
    ] {
        let (status, _) = call(&app, None, method, path, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}");
    }

    // Without DUYAN_NOTIFY_ALLOW_PRIVATE a loopback push service is refused; without a VAPID
    // key there is no Web Push at all.
    app.state.notify.allow_private = false;
    app.router = duyan::app::app(app.state.clone());
    let (status, body) = subscribe(
        &app,
        &zhang,
        device.subscription("https://127.0.0.1:9/push"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "private_target");
    app.state.notify.vapid = None;
    app.router = duyan::app::app(app.state.clone());
    let (status, body) = subscribe(&app, &zhang, device.subscription(endpoint)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["error"]["code"], "push_unavailable");
    let (_, settings) = call(&app, Some(&zhang), "GET", "/api/me/notifications", None).await;
    assert_eq!(settings["push_public_key"], Value::Null);
}

async fn subscribe(app: &TestApp, caller: &Caller, body: Value) -> (StatusCode, Value) {
    call(
        app,
        Some(caller),
        "POST",
        "/api/me/push-subscriptions",
        Some(body),
    )
    .await
}
