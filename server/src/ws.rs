//! WebSocket glue for the sync endpoint: binary frames in, a [`Session`] in the middle, a
//! writer task fed by the session's outbox out.

use std::time::Duration;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use tokio::time::Instant;

use crate::app::AppState;
use crate::auth::{Authenticated, extract::bearer_token};
use crate::sync::peer::{Outbox, Outgoing};
use crate::sync::protocol::ProtocolError;
use crate::sync::session::{Flow, Session, SignedIn};

/// How often the server pings; clients (browsers, Node `ws`) answer without application code.
const PING_EVERY: Duration = Duration::from_secs(20);
/// A connection silent for this long (no frame, no pong) is dead. Generous on purpose: a
/// phone on a poor network may stall for a while, and the server never drops a busy client.
const SILENCE_LIMIT: Duration = Duration::from_secs(90);

/// WebSocket close code when the access token expires: the client gets a fresh one (refresh)
/// and reconnects. In the 4000-4999 range applications define.
pub const CLOSE_TOKEN_EXPIRED: u16 = 4401;
/// Close code when the session was signed out or the account disabled: sign in again.
pub const CLOSE_SIGNED_OUT: u16 = 4403;

/// `GET /sync?token=<access token>`. Browsers cannot set headers on a WebSocket, hence the
/// query parameter (never logged: the trace layer records the path only); other clients may
/// send `Authorization: Bearer` instead.
pub async fn sync(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    // Taken as a result so that a request without a token is refused 401 before its
    // WebSocket headers are looked at.
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let token = query
        .as_deref()
        .and_then(token_param)
        .or_else(|| bearer_token(&headers).map(str::to_owned));
    let signed_in = match token {
        None => Err(crate::auth::AuthError::Missing),
        Some(token) => state.auth.authenticate(&token, &state.directory.current()),
    };
    let signed_in = match signed_in {
        // Verification allows a few seconds of clock skew, but a session opened on a token
        // that has run out would be closed at once, racing the client's first messages: refuse
        // it here, so the client refreshes before it connects.
        Ok(signed_in) if signed_in.claims.exp <= crate::auth::unix_now() => {
            return crate::auth::AuthError::Expired.into_response();
        }
        Ok(signed_in) => signed_in,
        Err(error) => return error.into_response(),
    };
    let ws = match ws {
        Ok(ws) => ws,
        Err(rejection) => return rejection.into_response(),
    };
    let limit = state.limits.max_message_bytes;
    // The transport limit is above ours so that a merely too large message still reaches the
    // session, which answers with an `error` naming the limit; only absurd frames are cut off
    // by the transport itself.
    let transport_limit = limit.saturating_mul(2).saturating_add(64 * 1024);
    ws.max_message_size(transport_limit)
        .max_frame_size(transport_limit)
        .on_upgrade(move |socket| {
            let tracker = state.tracker.clone();
            tracker.track_future(run(socket, state, signed_in))
        })
}

/// The `token` parameter of a query string, percent-decoded.
fn token_param(query: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == "token").then(|| percent_decode(value))
    })
}

fn percent_decode(value: &str) -> String {
    // JWTs are base64url and dots, which need no encoding; decode anyway for clients that
    // encode everything.
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).and_then(|b| hex(*b)),
                bytes.get(i + 2).and_then(|b| hex(*b)),
            )
        {
            out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn run(socket: WebSocket, state: AppState, signed_in: Authenticated) {
    let (outbox, mut outgoing) = Outbox::new(state.hub.config().max_queued_bytes_per_peer);
    let session_id = signed_in.claims.sid.clone();
    let expires = unix_instant(signed_in.claims.exp);
    let mut session = Session::new(
        state.hub.clone(),
        SignedIn {
            user_id: signed_in.claims.sub.as_str().into(),
            session_id: session_id.as_str().into(),
        },
        outbox.clone(),
        state.identity.clone(),
        state.limits,
    );
    let (mut sink, mut stream) = socket.split();
    let closed = outbox.closed().clone();
    let shutdown = state.shutdown.clone();

    let writer = {
        let outbox = outbox.clone();
        let closed = closed.clone();
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            let mut ping = tokio::time::interval(PING_EVERY);
            ping.tick().await;
            let close = |reason: &'static str, code: u16| {
                Message::Close(Some(CloseFrame {
                    code,
                    reason: reason.into(),
                }))
            };
            loop {
                tokio::select! {
                    biased;
                    item = outgoing.recv() => match item {
                        Some(Outgoing::Frame(frame)) => {
                            let len = frame.len();
                            if sink.send(Message::Binary(frame.into())).await.is_err() {
                                break;
                            }
                            outbox.sent(len);
                        }
                        Some(Outgoing::Fatal(frame)) => {
                            let _ = sink.send(Message::Binary(frame.into())).await;
                            let _ = sink.send(close("protocol error", 1008)).await;
                            break;
                        }
                        Some(Outgoing::Close(code, reason)) => {
                            let _ = sink.send(close(reason, code)).await;
                            break;
                        }
                        None => break,
                    },
                    () = shutdown.cancelled() => {
                        let _ = sink.send(close("server shutting down", 1001)).await;
                        break;
                    }
                    () = closed.cancelled() => {
                        let _ = sink.send(close("closing", 1000)).await;
                        break;
                    }
                    _ = ping.tick() => {
                        if sink.send(Message::Ping(Default::default())).await.is_err() {
                            break;
                        }
                    }
                }
            }
            closed.cancel();
        })
    };

    let mut last_heard = Instant::now();
    let mut directory = state.directory.subscribe();
    let user_id = signed_in.claims.sub.clone();
    loop {
        let frame = tokio::select! {
            () = closed.cancelled() => break,
            () = shutdown.cancelled() => break,
            () = tokio::time::sleep_until(expires) => {
                tracing::info!(peer = session.peer_id(), "closing session: access token expired");
                outbox.close_with(CLOSE_TOKEN_EXPIRED, "token expired");
                break;
            }
            Ok(()) = directory.changed() => {
                let current = directory.borrow_and_update().clone();
                let active = current.user(&user_id).is_some_and(|u| !u.disabled)
                    && !current.is_session_revoked(&session_id);
                if !active {
                    tracing::info!(peer = session.peer_id(), "closing session: signed out or disabled");
                    outbox.close_with(CLOSE_SIGNED_OUT, "signed out");
                    break;
                }
                continue;
            }
            () = tokio::time::sleep_until(last_heard + SILENCE_LIMIT) => {
                tracing::info!(peer = session.peer_id(), "closing silent connection");
                break;
            }
            // Requests held back by the session's window may go on.
            () = session.requests_may_go_on() => {
                session.release_held().await;
                continue;
            }
            frame = stream.next() => frame,
        };
        last_heard = Instant::now();
        let result = match frame {
            Some(Ok(Message::Binary(bytes))) => session.receive(&bytes).await,
            Some(Ok(Message::Text(_))) => Err(ProtocolError::TextFrame),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => Ok(Flow::Continue),
            Some(Ok(Message::Close(_))) | None => break,
            Some(Err(error)) => match classify(error) {
                ReadError::TooLarge => Err(ProtocolError::UnreadableFrame {
                    limit: state.limits.max_message_bytes,
                }),
                ReadError::Disconnected => break,
                ReadError::Protocol(error) => {
                    tracing::warn!(peer = session.peer_id(), %error, "closing session: broken frame");
                    Err(ProtocolError::UnreadableFrame {
                        limit: state.limits.max_message_bytes,
                    })
                }
            },
        };
        match result {
            Ok(Flow::Continue) => {}
            Ok(Flow::Leave) => break,
            Err(error) => {
                tracing::warn!(peer = session.peer_id(), %error, "closing session: bad input");
                session.fail(&error);
                break;
            }
        }
    }
    // Ending the session cancels the close token; the writer still writes what is queued
    // first (its select is biased towards the queue), e.g. the error message.
    session.end().await;
    let _ = tokio::time::timeout(Duration::from_secs(5), writer).await;
    // Read on until the client answers our close frame: dropping a socket with unread frames
    // resets it, and the client would see 1006 instead of our close code (e.g. 4401, which
    // tells it to refresh its token).
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        while let Some(Ok(message)) = stream.next().await {
            if matches!(message, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
}

/// The instant a JWT `exp` (seconds since the epoch) falls on.
fn unix_instant(exp: u64) -> Instant {
    let now = crate::auth::unix_now();
    Instant::now() + Duration::from_secs(exp.saturating_sub(now))
}

enum ReadError {
    /// Over the transport's size limit.
    TooLarge,
    /// The peer went away (reset, closed without a handshake): normal on phones.
    Disconnected,
    /// Anything else the peer did wrong at the WebSocket level.
    Protocol(String),
}

fn classify(error: axum::Error) -> ReadError {
    use tungstenite::Error;
    match error.into_inner().downcast::<Error>() {
        Ok(error) => match *error {
            Error::Capacity(_) => ReadError::TooLarge,
            Error::ConnectionClosed | Error::AlreadyClosed | Error::Io(_) => {
                ReadError::Disconnected
            }
            Error::Protocol(tungstenite::error::ProtocolError::ResetWithoutClosingHandshake) => {
                ReadError::Disconnected
            }
            other => ReadError::Protocol(other.to_string()),
        },
        Err(other) => ReadError::Protocol(other.to_string()),
    }
}
