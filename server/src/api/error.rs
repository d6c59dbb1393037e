//! The one error type of the JSON API and the body every error has:
//! `{"error": {"code": "<stable code>", "message": "<text for people>"}}`.
//!
//! Clients branch on `code`; `message` is for a person. Internal failures (database, hashing,
//! a panicked task) are logged with their cause and answered with a fixed body, so no SQL, file
//! path or library message ever reaches a client.

use std::borrow::Cow;
use std::time::Duration;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// An API error: either a refusal the client is meant to read, or an internal failure.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request was refused for a reason the client may know.
    #[error("{status} {code}: {message}")]
    Refused {
        status: StatusCode,
        /// Stable, snake_case, e.g. `invalid_credentials`.
        code: &'static str,
        message: Cow<'static, str>,
        /// Sent as `Retry-After` (whole seconds, rounded up).
        retry_after: Option<Duration>,
    },
    /// Something failed on our side. The cause is logged, never sent.
    #[error("internal error: {0}")]
    Internal(#[source] BoxError),
}

#[derive(Serialize)]
struct Body<'a> {
    error: Detail<'a>,
}

#[derive(Serialize)]
struct Detail<'a> {
    code: &'a str,
    message: &'a str,
}

impl ApiError {
    /// A refusal with the given status, code and message.
    pub fn new(
        status: StatusCode,
        code: &'static str,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self::Refused {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 400 with code `bad_request`.
    pub fn bad_request(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 401 with code `unauthorized`; the response carries `WWW-Authenticate: Bearer`.
    pub fn unauthorized(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// 403 with code `forbidden`.
    pub fn forbidden(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 404 with code `not_found`.
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "no such API endpoint")
    }

    /// 429 with code `too_many_attempts` and a `Retry-After`.
    pub fn too_many_attempts(retry_after: Duration) -> Self {
        Self::Refused {
            status: StatusCode::TOO_MANY_REQUESTS,
            code: "too_many_attempts",
            message: "尝试次数过多，请稍后再试 (too many attempts, try again later)".into(),
            retry_after: Some(retry_after),
        }
    }

    /// 500: logs `error` and sends the generic body.
    pub fn internal(error: impl Into<BoxError>) -> Self {
        Self::Internal(error.into())
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Refused { status, .. } => *status,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable code of the body.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Refused { code, .. } => code,
            Self::Internal(_) => "internal",
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message, retry_after) = match &self {
            Self::Refused {
                status,
                code,
                message,
                retry_after,
            } => (*status, *code, message.as_ref(), *retry_after),
            Self::Internal(error) => {
                // Debug shows the whole chain of causes: what whoever reads the log needs.
                tracing::error!(error = ?error, "internal error answering an API request");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error",
                    None,
                )
            }
        };
        let mut response = (
            status,
            Json(Body {
                error: Detail { code, message },
            }),
        )
            .into_response();
        let headers = response.headers_mut();
        if status == StatusCode::UNAUTHORIZED {
            // RFC 9110: a 401 names the scheme the client should use.
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(after) = retry_after {
            let seconds = after.as_secs() + u64::from(after.subsec_nanos() > 0);
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
        }
        response
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        Self::internal(error)
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(error: tokio::task::JoinError) -> Self {
        Self::internal(error)
    }
}

/// axum's JSON rejections answer in plain text; ours answer in the API's shape, with the
/// status axum chose (400 bad JSON, 413 too large, 415 not JSON, 422 wrong fields).
impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        let status = rejection.status();
        match rejection {
            JsonRejection::MissingJsonContentType(_) => Self::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "expected a body with Content-Type: application/json",
            ),
            JsonRejection::JsonDataError(error) => {
                // serde's description of what is wrong with the client's own JSON (a missing
                // or mistyped field): useful to the client and nothing internal.
                Self::new(StatusCode::BAD_REQUEST, "invalid_body", error.body_text())
            }
            JsonRejection::JsonSyntaxError(_) => Self::new(
                StatusCode::BAD_REQUEST,
                "invalid_json",
                "the body is not valid JSON",
            ),
            _ if status == StatusCode::PAYLOAD_TOO_LARGE => Self::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "the request body is too large",
            ),
            _ => Self::new(
                StatusCode::BAD_REQUEST,
                "invalid_body",
                "the request body could not be read",
            ),
        }
    }
}
