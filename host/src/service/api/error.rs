//! How service errors and malformed requests are answered: a status that
//! says whose problem it is, and a JSON body
//! `{"error": {"kind", "message", "fields"?}}`.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::bindings::types::PluginError;
use crate::error::CallError;
use crate::service::ServiceError;

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
            "send the admin token as `Authorization: Bearer <token>`",
        )
    }
}

/// The HTTP status for a service error.
pub fn status_of(e: &ServiceError) -> StatusCode {
    match e {
        ServiceError::NotFound(_) => StatusCode::NOT_FOUND,
        ServiceError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        ServiceError::Conflict(_) | ServiceError::NotHandled(_) => StatusCode::CONFLICT,
        ServiceError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
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
        let status = match r {
            JsonRejection::JsonDataError(_) => StatusCode::UNPROCESSABLE_ENTITY,
            JsonRejection::MissingJsonContentType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            _ => StatusCode::BAD_REQUEST,
        };
        Self::new(status, "bad-request", r.body_text())
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
pub struct Body<T>(pub T);

impl<S, T> FromRequest<S> for Body<T>
where
    Json<T>: FromRequest<S, Rejection = JsonRejection>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let Json(value) = Json::<T>::from_request(req, state).await?;
        Ok(Self(value))
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
