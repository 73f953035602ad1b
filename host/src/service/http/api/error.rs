//! How service errors and malformed requests are answered: a status that
//! says whose problem it is, and a JSON body
//! `{"error": {"kind", "message", "fields"?}}`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::service::ServiceError;
use connect_runtime::contract::PluginError;
use connect_runtime::error::CallError;

pub struct ApiError {
    status: StatusCode,
    kind: String,
    message: String,
    fields: Option<serde_json::Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, kind: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            kind: kind.into(),
            message: message.into(),
            fields: None,
        }
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "missing or unknown credentials: send the admin token, or the storefront's \
             API key, as `Authorization: Bearer <token>`",
        )
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }
}

/// The HTTP status for a service error.
pub fn status_of(e: &ServiceError) -> StatusCode {
    match e {
        ServiceError::NotFound(_) => StatusCode::NOT_FOUND,
        ServiceError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        ServiceError::Conflict(_) | ServiceError::NotHandled(_) => StatusCode::CONFLICT,
        ServiceError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        ServiceError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        ServiceError::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
        ServiceError::Call(c) => match c {
            CallError::Plugin { error } => match error {
                PluginError::Configuration(_) => StatusCode::CONFLICT,
                PluginError::Authentication(_)
                | PluginError::Unreachable(_)
                | PluginError::Internal(_) => StatusCode::BAD_GATEWAY,
                PluginError::Rejected(_) => StatusCode::UNPROCESSABLE_ENTITY,
                PluginError::NotFound(_) => StatusCode::NOT_FOUND,
                PluginError::NoPrice(_) => StatusCode::UNPROCESSABLE_ENTITY,
                PluginError::Unsupported(_) => StatusCode::NOT_IMPLEMENTED,
            },
            CallError::InvalidSettings { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            CallError::Deadline { .. } | CallError::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
            CallError::MemoryLimit { .. } | CallError::Crashed { .. } => StatusCode::BAD_GATEWAY,
            CallError::UnknownPlugin { .. } => StatusCode::NOT_FOUND,
            CallError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
        },
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        let status = status_of(&e);
        let fields = match &e {
            ServiceError::Invalid(f) => Some(json!(f)),
            ServiceError::Call(CallError::InvalidSettings { fields }) => Some(json!(fields)),
            _ => None,
        };
        if status.is_server_error() {
            tracing::warn!(kind = e.kind(), error = %e, "request failed");
        }
        Self {
            status,
            kind: e.kind().to_string(),
            message: e.to_string(),
            fields,
        }
    }
}

impl From<CallError> for ApiError {
    fn from(e: CallError) -> Self {
        ServiceError::from(e).into()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = json!({ "kind": self.kind, "message": self.message });
        if let Some(fields) = self.fields {
            error["fields"] = fields;
        }
        (self.status, Json(json!({ "error": error }))).into_response()
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        // axum's own status: 413 for a body over the limit, 415 without a
        // JSON content type, 422 for the wrong shape, 400 for bad syntax.
        client_error(r.status(), r.body_text())
    }
}

/// A rejected request body as the API's error: 413 (saying which setting
/// sets the limit) or the rejection's own 4xx; never a 5xx, since reading
/// a body fails only for the client's reasons (e.g. it went away).
fn client_error(status: StatusCode, text: String) -> ApiError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            status,
            "too-large",
            "the request body is over the size limit (`server.max_body_kib` in the configuration)",
        )
    } else if status.is_client_error() {
        ApiError::new(status, "bad-request", text)
    } else {
        ApiError::new(StatusCode::BAD_REQUEST, "bad-request", text)
    }
}

impl From<BytesRejection> for ApiError {
    fn from(r: BytesRejection) -> Self {
        client_error(r.status(), r.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad-request", r.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad-request", r.body_text())
    }
}

/// `Json<T>` whose rejections are answered in the API's error format.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Body<T>(pub T);

/// The raw body, its rejections answered in the API's error format.
#[derive(FromRequest)]
#[from_request(rejection(ApiError))]
pub struct RawBody(pub Bytes);

/// `axum::extract::Path`, its rejections (e.g. a segment that is not valid
/// UTF-8) answered in the API's error format.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

/// `axum::extract::Query`, its rejections (e.g. `?limit=abc`) answered in
/// the API's error format.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

pub type ApiResult<T> = Result<T, ApiError>;
