"""Domain errors that carry an HTTP status and render as RFC 9457 problem+json."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

PROBLEM_JSON = "application/problem+json"


class Problem(BaseModel):
    """An RFC 9457 problem document, as every error of the API is answered."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None


def problem_responses(*statuses: tuple[int, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` documenting problem+json answers for the given statuses."""
    return {
        status: {"description": description, "model": Problem, "content": {PROBLEM_JSON: {}}}
        for status, description in statuses
    }


class DomainError(Exception):
    """Base of every expected failure; `title` is short, `detail` names what is wrong."""

    status: int = 400
    title: str = "Bad request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    def problem(self, instance: str | None = None) -> dict[str, Any]:
        """The RFC 9457 problem document for this error."""
        body: dict[str, Any] = {
            "type": f"https://epidesk.org/problems/{self.slug()}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        body.update(self.extra)
        return body

    @classmethod
    def slug(cls) -> str:
        """A stable identifier for the problem type, derived from the class name."""
        name = cls.__name__.removesuffix("Error")
        out = [name[0].lower()]
        for ch in name[1:]:
            out.append("-" + ch.lower() if ch.isupper() else ch)
        return "".join(out)


class NotFoundError(DomainError):
    status = 404
    title = "Not found"


class ValidationFailedError(DomainError):
    status = 422
    title = "Invalid input"


class ConflictError(DomainError):
    status = 409
    title = "Conflict"


class ConfigurationError(DomainError):
    status = 500
    title = "Configuration error"


class DatabaseUnavailableError(DomainError):
    status = 503
    title = "Database unavailable"


class DatabaseBusyError(DomainError):
    status = 503
    title = "Database busy"


class BackupError(DomainError):
    status = 422
    title = "Backup or restore failed"


class PresetError(DomainError):
    status = 422
    title = "Invalid protocol preset"


class UnknownPresetError(PresetError):
    status = 404
    title = "Unknown protocol preset"


class AuthenticationError(DomainError):
    status = 401
    title = "Not signed in"


class PermissionDeniedError(DomainError):
    status = 403
    title = "Not allowed"


class SecondFactorRequiredError(PermissionDeniedError):
    """A caller who must set up one-time codes before anything else; pages redirect to
    `page`, the API answers 403."""

    title = "One-time code required"
    page = "/account/totp"


class TooManyRequestsError(DomainError):
    status = 429
    title = "Too many requests"
