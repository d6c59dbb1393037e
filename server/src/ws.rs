//! WebSocket glue for the sync endpoint: binary frames in, a [`Session`] in the middle, a
//! writer task fed by the session's outbox out.

use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use tokio::time::Instant;

use crate::app::AppState;
use crate::sync::peer::{Outbox, Outgoing};
use crate::sync::protocol::ProtocolError;
use crate::sync::session::{Flow, Session};

/// How often the server pings; clients (browsers, Node `ws`) answer without application code.
const PING_EVERY: Duration = Duration::from_secs(20);
/// A connection silent for this long (no frame, no pong) is dead. Generous on purpose: a
/// phone on a poor network may stall for a while, and the server never drops a busy client.
const SILENCE_LIMIT: Duration = Duration::from_secs(90);

/// `GET /sync`
pub async fn sync(ws: WebSocketUpgrade, State(state): State<AppState>) -> Response {
    let limit = state.limits.max_message_bytes;
    // The transport limit is above ours so that a merely too large message still reaches the
    // session, which answers with an `error` naming the limit; only absurd frames are cut off
    // by the transport itself.
    let transport_limit = limit.saturating_mul(2).saturating_add(64 * 1024);
    ws.max_message_size(transport_limit)
        .max_frame_size(transport_limit)
        .on_upgrade(move |socket| {
            let tracker = state.tracker.clone();
            tracker.track_future(run(socket, state))
        })
}

async fn run(socket: WebSocket, state: AppState) {
    let (outbox, mut outgoing) = Outbox::new(state.hub.config().max_queued_bytes_per_peer);
    let mut session = Session::new(
        state.hub.clone(),
        crate::sync::session::SignedIn {
            user_id: "anonymous".into(),
            session_id: "anonymous".into(),
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
    loop {
        let frame = tokio::select! {
            () = closed.cancelled() => break,
            () = shutdown.cancelled() => break,
            () = tokio::time::sleep_until(last_heard + SILENCE_LIMIT) => {
                tracing::info!(peer = session.peer_id(), "closing silent connection");
                break;
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
