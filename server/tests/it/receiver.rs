//! A real local HTTP server standing in for an outside service (a group robot, a push
//! service): it records every request and answers 200 with `{"errcode":0}`, as the robots do,
//! or 410 Gone to paths under `/gone`, as a push service that forgot a subscription.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, Uri};

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Received {
    #[track_caller]
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header"))
            .to_str()
            .unwrap()
    }

    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

pub struct Receiver {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    pub requests: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    /// Starts one on a free loopback port; it runs until the test's runtime ends.
    pub async fn start() -> Self {
        let requests: Arc<Mutex<Vec<Received>>> = Arc::default();
        let seen = requests.clone();
        let router = axum::Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let seen = seen.clone();
                async move {
                    let gone = uri.path().starts_with("/gone");
                    let _ = method;
                    seen.lock().unwrap().push(Received { uri, headers, body });
                    let status = if gone {
                        axum::http::StatusCode::GONE
                    } else {
                        axum::http::StatusCode::OK
                    };
                    (
                        status,
                        axum::Json(serde_json::json!({ "errcode": 0, "errmsg": "ok" })),
                    )
                }
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self { url, requests }
    }

    pub fn taken(&self) -> Vec<Received> {
        self.requests.lock().unwrap().clone()
    }
}
