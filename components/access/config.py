"""`mlops:access`: the way in (docs/adr/0004-the-way-in.md).

Absent, nothing outside the cluster reaches anything (the platform's state before this section existed). Present,
the stack gets: the AWS Load Balancer Controller (it only binds pods to target groups), an internal HTTPS load
balancer for people (MLflow and Airflow behind an authenticate action, Cognito or OIDC), an internal HTTPS load
balancer with mutual TLS for client applications (models, the MLflow API), an ACM certificate, a private hosted
zone, and optionally Verified Access in front of the people entry or an internet-facing people entry (WAF and a
client allow-list; the policy pack reports it).

Every inconsistent choice is an error naming the key (``mlops:access.auth.oidc.issuer``, ...). Checks that need
the rest of the stack (NAT, tier, which applications exist) are :func:`check_platform`, which the platform's
config calls.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import Field, SecretStr, field_validator, model_validator

from components.config_base import Cidr, Section, check_cidr
from contracts.stackfile import echo

DNS_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
"""One label of a DNS name (lowercase: ACM and Route 53 compare names case-insensitively, the plan stays stable)."""
MAX_DOMAIN_LENGTH = 200
"""Longest ``domain``: ``mlflow-api.<domain>`` must stay within DNS's 253 characters, and the Verified Access
endpoint domain prepends a prefix of its own."""
HOSTED_ZONE_ID = re.compile(r"^Z[A-Z0-9]{1,31}$")
"""A Route 53 hosted zone id (``Z0123456789ABCDEFGHIJ``)."""
CERTIFICATE_ARN = re.compile(r"^arn:aws[a-z-]*:acm:([a-z0-9-]+):\d{12}:certificate/[0-9a-f-]{36}$")
"""An ACM certificate ARN; group 1 is its region (an ALB takes a certificate of its own region only)."""
MODEL_NAME = re.compile(r"^[a-z]([a-z0-9-]{0,43}[a-z0-9])?$")
"""An InferenceService name whose predictor Service ``<name>-predictor`` is a valid DNS-1035 label (KServe
RawDeployment names the Service so: pkg/constants/constants.go PredictorServiceName at v0.15.2)."""
IDENTITY_CENTER_GROUP = re.compile(r"^([0-9a-f]{10}-)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
"""An IAM Identity Center group id (a UUID, optionally prefixed by the identity store's 10 hex digits)."""
COGNITO_PROVIDER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,30}[A-Za-z0-9]$")
"""A Cognito identity provider name (3-32 characters; no spaces, not starting with an underscore)."""
CA_BUNDLE_DIR = "certs"
"""Committed trust anchors live under ``certs/`` (like the RDS CA bundles)."""
PEM_CERTIFICATE = re.compile(r"-----BEGIN CERTIFICATE-----\s+[A-Za-z0-9+/=\s]+-----END CERTIFICATE-----")
MAX_MODELS = 40
"""Routes per models listener: each model is one rule; an ALB listener allows 100 rules (ELB quotas) and the
platform keeps room for its own."""
CHART_VERSION = "3.5.0"
"""aws-load-balancer-controller chart (https://aws.github.io/eks-charts), pinned; its appVersion is v3.5.0."""
IMAGE_TAG = "v3.5.0"
"""Controller image tag: the chart's appVersion (helm/aws-load-balancer-controller/values.yaml at v3.5.0)."""
MIN_WIDE_PREFIX = 8
"""An allow-list entry wider than /8 is not an allow-list."""


def _https_url(value: str, key: str) -> str:
    if not re.fullmatch(r"https://[A-Za-z0-9.-]+(:\d+)?(/[^\s]*)?", value):
        raise ValueError(f"{key}: {echo(value)} is not an https:// URL")
    return value


def _allow_list(cidrs: Sequence[str]) -> list[str]:
    result = []
    for cidr in cidrs:
        check_cidr(cidr)
        if ipaddress.ip_network(cidr).prefixlen < MIN_WIDE_PREFIX:
            raise ValueError(f"{cidr!r} is wider than /{MIN_WIDE_PREFIX}: list the networks clients connect from")
        result.append(cidr)
    if len(set(result)) != len(result):
        raise ValueError("duplicate CIDR blocks")
    return result


class CertificateConfig(Section):
    """The TLS certificate of ``<domain>`` and ``*.<domain>``: issued by ACM (DNS validation in a public zone) or
    an existing one. ACM validates only through public DNS, so a private hosted zone cannot validate it."""

    arn: str | None = None
    """An existing ACM certificate (same region as the stack) covering `<domain>` and `*.<domain>`."""
    validation_zone_id: str | None = None
    """A public Route 53 hosted zone of `<domain>` (or a parent) where the stack writes ACM's validation record."""

    @field_validator("arn")
    @classmethod
    def _arn(cls, value: str | None) -> str | None:
        if value is not None and not CERTIFICATE_ARN.match(value):
            raise ValueError(
                f"{echo(value)} is not an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)"
            )
        return value

    @field_validator("validation_zone_id")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None and not HOSTED_ZONE_ID.match(value):
            raise ValueError(f"{echo(value)} is not a Route 53 hosted zone id (Z followed by letters and digits)")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.arn is None) == (self.validation_zone_id is None):
            raise ValueError(
                "set exactly one of arn (an existing ACM certificate) or validationZoneId (a public hosted zone in "
                "which ACM validates a new certificate; a private zone cannot validate)"
            )
        return self


class CognitoConfig(Section):
    """People sign in through an Amazon Cognito user pool, federated to the company IdP by SAML (IAM Identity
    Center is the documented example). The load balancer's authenticate-cognito action needs no secret."""

    saml_metadata_url: str | None = None
    """The IdP's SAML metadata URL (IAM Identity Center: the application's "IAM Identity Center SAML metadata
    file" URL). Unset: only users an administrator creates in the pool (TOTP MFA required)."""
    provider_name: str = "IdentityCenter"
    """Name of the SAML identity provider in the pool (shown on the sign-in page)."""
    email_attribute: str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
    """SAML attribute carrying the user's e-mail address (mapped to the pool's `email`)."""
    threat_protection: Literal["off", "audit", "enforced"] = "off"
    """Cognito threat protection (advanced security): audit or enforced need the Plus feature plan (billed per
    monthly active user)."""

    _url = field_validator("saml_metadata_url")(lambda v: v if v is None else _https_url(v, "samlMetadataUrl"))

    @field_validator("provider_name")
    @classmethod
    def _provider(cls, value: str) -> str:
        if not COGNITO_PROVIDER_NAME.match(value) or value.upper() == "COGNITO":
            raise ValueError(f"{echo(value)}: 3-32 letters, digits, '.', '_' or '-', and not COGNITO")
        return value


class OidcConfig(Section):
    """An OpenID Connect IdP the load balancer talks to directly (authenticate-oidc)."""

    issuer: str
    """The IdP's issuer URL (https)."""
    authorization_endpoint: str
    """https URL of the authorization endpoint (the IdP's discovery document lists it)."""
    token_endpoint: str
    """https URL of the token endpoint."""
    user_info_endpoint: str
    """https URL of the user info endpoint."""
    client_id: str = Field(min_length=1, max_length=256)
    """The OAuth 2.0 client id registered at the IdP."""
    client_secret: SecretStr
    """The client secret, as a Pulumi secret: `pulumi config set --secret --path 'mlops:access.auth.oidc.clientSecret'`.
    A plain-text value in the stack file is refused (:func:`plaintext_secrets`)."""
    scope: str = "openid email"
    """Scopes requested from the IdP."""

    @field_validator("issuer", "authorization_endpoint", "token_endpoint", "user_info_endpoint")
    @classmethod
    def _urls(cls, value: str) -> str:
        return _https_url(value, "endpoint")

    @field_validator("client_secret", mode="before")
    @classmethod
    def _secure(cls, value: Any) -> Any:
        # The real engine hands the program the decrypted value. Offline (mlopsctl), and when a stack file is read
        # as it is, a secure value is the mapping {secure: <ciphertext>}: it stays opaque, never plain text.
        if isinstance(value, Mapping) and set(value) == {"secure"} and isinstance(value["secure"], str):
            return SECRET_PLACEHOLDER
        if isinstance(value, str) and value.strip():
            return value
        raise ValueError("a non-empty secret (pulumi config set --secret --path 'mlops:access.auth.oidc.clientSecret')")

    @field_validator("scope")
    @classmethod
    def _openid(cls, value: str) -> str:
        if "openid" not in value.split():
            raise ValueError(f"{echo(value)} must include the openid scope")
        return value


SECRET_PLACEHOLDER = "[secret]"
"""What a secure config value is offline, where there is no secrets provider to decrypt it."""


class AuthConfig(Section):
    """How people authenticate at the load balancer before any request reaches a pod."""

    kind: Literal["cognito", "oidc"] = "cognito"
    """cognito: a user pool federated to the company IdP (no secret in config); oidc: the IdP directly."""
    session_timeout_seconds: int = Field(default=28800, ge=300, le=604800)
    """Lifetime of the load balancer's authentication session cookie (default 8 hours)."""
    cognito: CognitoConfig = Field(default_factory=CognitoConfig)
    """Settings of kind cognito."""
    oidc: OidcConfig | None = None
    """Settings of kind oidc (also the Verified Access OIDC trust provider)."""


class ClientsConfig(Section):
    """Client applications reach models (and the MLflow API) over mutual TLS: the load balancer verifies their
    certificate against a committed CA bundle before any request reaches a pod."""

    ca_bundle: str | None = None
    """Committed PEM bundle of the CA(s) that issue client certificates, e.g. `certs/clients-ca.pem`. Unset: no
    machine path at all."""
    models: list[str] = Field(default_factory=list)
    """InferenceServices in `serving` that get a route: `/v1/models/<name>` and `/v2/models/<name>` on
    `models.<domain>`."""
    mlflow_api: bool = True
    """Route `mlflow-api.<domain>` (mutual TLS, then MLflow's own basic auth) to the MLflow REST API."""
    health_check_path: str = Field(default="/v2/health/ready", pattern=r"^/[A-Za-z0-9._~/-]{0,1023}$")
    """Health check of the model target groups (KServe's Python servers, Triton and MLServer answer the v2 path)."""

    @field_validator("ca_bundle")
    @classmethod
    def _bundle(cls, value: str | None) -> str | None:
        if value is None:
            return value
        path = Path(value)
        if path.is_absolute() or ".." in path.parts or path.parts[:1] != (CA_BUNDLE_DIR,):
            raise ValueError(
                f"{echo(value)}: a path under {CA_BUNDLE_DIR}/ in the repository, e.g. certs/clients-ca.pem"
            )
        read_ca_bundle(value)
        return value

    @field_validator("models")
    @classmethod
    def _models(cls, value: list[str]) -> list[str]:
        for name in value:
            if not MODEL_NAME.match(name):
                raise ValueError(
                    f"{echo(name)} is not an InferenceService name (lowercase DNS label, at most 45 characters)"
                )
        if len(set(value)) != len(value):
            raise ValueError("duplicate model names")
        if len(value) > MAX_MODELS:
            raise ValueError(f"{len(value)} models; at most {MAX_MODELS} routes on one listener")
        return value

    @model_validator(mode="after")
    def _needs_bundle(self) -> Self:
        if self.ca_bundle is None and self.models:
            raise ValueError("models need caBundle: machine clients authenticate with certificates that CA issues")
        if self.ca_bundle is None and self.mlflow_api and "mlflow_api" in self.model_fields_set:
            raise ValueError("mlflowApi needs caBundle: machine clients authenticate with certificates that CA issues")
        return self


class PublicEntryConfig(Section):
    """An internet-facing people entry: explicit opt-in, a client allow-list and AWS WAF; the policy pack reports
    it (elb-load-balancer-internal needs an exemption with a reason and an expiry)."""

    allowed_cidrs: list[Cidr] = Field(min_length=1)
    """Client CIDR blocks admitted to the internet-facing load balancer (never 0.0.0.0/0)."""
    rate_limit: int = Field(default=2000, ge=100, le=2_000_000_000)
    """Requests per client IP per 5 minutes before WAF blocks it."""

    _cidrs = field_validator("allowed_cidrs")(lambda v: _allow_list(v))


class VerifiedAccessConfig(Section):
    """AWS Verified Access in front of the internal people load balancer: users reach MLflow and Airflow without a
    VPN, each request checked against a Cedar policy. Billed per application hour."""

    enabled: bool = False
    """Create the Verified Access instance, trust provider, group and one endpoint per application."""
    trust_provider: Literal["iam-identity-center", "oidc"] = "iam-identity-center"
    """Who vouches for users: IAM Identity Center, or the OIDC IdP of `access.auth.oidc`."""
    allowed_group_ids: list[str] = Field(default_factory=list)
    """IAM Identity Center group ids admitted (verified e-mail required); builds the default policy."""
    policy: str | None = None
    """The group's Cedar policy, verbatim (required with trust provider oidc: claims differ per IdP)."""
    public_zone_id: str | None = None
    """Public hosted zone for the application CNAMEs; default: `certificate.validationZoneId`."""

    @field_validator("allowed_group_ids")
    @classmethod
    def _groups(cls, value: list[str]) -> list[str]:
        for group in value:
            if not IDENTITY_CENTER_GROUP.match(group):
                raise ValueError(f"{echo(group)} is not an IAM Identity Center group id (a UUID)")
        return value

    @field_validator("public_zone_id")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None and not HOSTED_ZONE_ID.match(value):
            raise ValueError(f"{echo(value)} is not a Route 53 hosted zone id")
        return value

    @model_validator(mode="after")
    def _policy(self) -> Self:
        if not self.enabled:
            return self
        if self.policy is not None and not self.policy.strip().startswith(("permit", "forbid")):
            raise ValueError("policy must be a Cedar policy (permit(...) when {...};)")
        if self.trust_provider == "oidc" and self.policy is None:
            raise ValueError("trustProvider oidc needs policy: a Cedar policy over your IdP's claims")
        if self.trust_provider == "iam-identity-center" and self.policy is None and not self.allowed_group_ids:
            raise ValueError("allowedGroupIds (or policy) is required: without it nobody gets in")
        return self


class ControllerConfig(Section):
    """The AWS Load Balancer Controller, installed only to reconcile TargetGroupBindings."""

    chart_version: str = Field(default=CHART_VERSION, pattern=r"^\d+\.\d+\.\d+$")
    """Chart version of aws-load-balancer-controller (https://aws.github.io/eks-charts), pinned."""
    image_tag: str = Field(default=IMAGE_TAG, pattern=r"^v\d+\.\d+\.\d+$")
    """Controller image tag (public.ecr.aws/eks/aws-load-balancer-controller), pulled through the stack's ECR."""
    replicas: int = Field(default=2, ge=1, le=3)
    """Replicas (the TargetGroupBinding webhooks fail closed: two keep them answering during a node drain)."""


class AccessConfig(Section):
    """The way in: load balancers, TLS, DNS, authentication and the controller binding pods to target groups."""

    domain: str
    """DNS domain of the entry points: `mlflow.<domain>`, `airflow.<domain>`, `models.<domain>`,
    `mlflow-api.<domain>` (a private hosted zone of it is attached to the VPC)."""
    client_cidrs: list[Cidr] = Field(default_factory=list)
    """Networks people and client applications connect from (the corporate network over VPN or Direct Connect):
    admitted on 443 (and 80 for the redirect) by the load balancers' security groups."""
    certificate: CertificateConfig = Field(default_factory=CertificateConfig)
    """The TLS certificate: `arn` or `validationZoneId`."""
    auth: AuthConfig = Field(default_factory=AuthConfig)
    """How people authenticate at the load balancer."""
    clients: ClientsConfig = Field(default_factory=ClientsConfig)
    """The mutual-TLS path of client applications."""
    public: PublicEntryConfig | None = None
    """Internet-facing people entry (WAF and an allow-list); None keeps everything internal."""
    verified_access: VerifiedAccessConfig = Field(default_factory=VerifiedAccessConfig)
    """AWS Verified Access in front of the people entry."""
    controller: ControllerConfig = Field(default_factory=ControllerConfig)
    """The AWS Load Balancer Controller."""
    access_log_days: int = Field(default=90, ge=1, le=3650)
    """Days the load balancers' access and connection logs are kept."""
    deletion_protection: bool | None = None
    """Load balancer (and user pool) deletion protection; unset: on in the production tier only."""

    @field_validator("domain")
    @classmethod
    def _domain(cls, value: str) -> str:
        labels = value.split(".")
        if len(labels) < 2 or not all(DNS_LABEL.match(label) for label in labels) or len(value) > MAX_DOMAIN_LENGTH:
            raise ValueError(
                f"{echo(value)} is not a lowercase DNS domain with at least two labels (e.g. ml.example.com), "
                f"at most {MAX_DOMAIN_LENGTH} characters"
            )
        return value

    _clients = field_validator("client_cidrs")(lambda v: _allow_list(v))

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        va = self.verified_access
        if not self.client_cidrs and not va.enabled and self.public is None:
            raise ValueError(
                "clientCidrs is empty and neither verifiedAccess nor public is set: nobody could reach the load "
                "balancers; list the networks people connect from (VPN, Direct Connect)"
            )
        if self.clients.models and not self.client_cidrs:
            raise ValueError("clients.models: client applications connect from clientCidrs, which is empty")
        if self.public is not None and va.enabled:
            raise ValueError(
                "public and verifiedAccess.enabled exclude each other: Verified Access is the way in "
                "without an internet-facing load balancer"
            )
        if self.public is not None and self.certificate.validation_zone_id is None:
            raise ValueError(
                "public needs certificate.validationZoneId: the public hosted zone where the internet-facing entry's "
                "names are published"
            )
        if va.enabled and va.public_zone_id is None and self.certificate.validation_zone_id is None:
            raise ValueError(
                "verifiedAccess.publicZoneId is required with certificate.arn: the application names must resolve "
                "publicly to the Verified Access endpoints"
            )
        uses_oidc = self.auth.kind == "oidc" or (va.enabled and va.trust_provider == "oidc")
        if self.auth.kind == "oidc" and self.auth.oidc is None:
            raise ValueError(
                "auth.oidc is required when auth.kind is oidc (issuer, authorizationEndpoint, "
                "tokenEndpoint, userInfoEndpoint, clientId, clientSecret)"
            )
        if va.enabled and va.trust_provider == "oidc" and self.auth.oidc is None:
            raise ValueError("verifiedAccess.trustProvider oidc uses auth.oidc (issuer, endpoints, client): set it")
        if self.auth.oidc is not None and not uses_oidc:
            raise ValueError("auth.oidc is set but unused: auth.kind is cognito and Verified Access does not use oidc")
        return self

    @property
    def verified_access_zone_id(self) -> str | None:
        """Where the Verified Access application CNAMEs go."""
        return self.verified_access.public_zone_id or self.certificate.validation_zone_id


def read_ca_bundle(path: str) -> str:
    """The committed CA bundle at ``path`` (relative to the project directory, the program's working directory).

    Raises ValueError when it is missing or holds no PEM certificate, or holds a private key.
    """
    file = Path(path)
    if not file.is_file():
        raise ValueError(f"{path}: no such file; commit the PEM bundle of the CA that issues client certificates")
    text = file.read_text(encoding="utf-8")
    if "PRIVATE KEY" in text:
        raise ValueError(f"{path}: holds a private key; commit only the CA certificate(s)")
    if PEM_CERTIFICATE.search(text) is None:
        raise ValueError(f"{path}: not a PEM certificate bundle")
    return text


def check_platform(
    access: AccessConfig,
    *,
    region: str,
    nat: str,
    tier: str,
    tracking_enabled: bool,
    airflow_on_cluster: bool,
    kserve_enabled: bool,
    interface_endpoints: Sequence[str],
) -> None:
    """Checks against the rest of the stack; raises ValueError naming the keys.

    - The people load balancer exchanges the authorization code at the IdP's token endpoint and reads its
      user-info endpoint itself (Cognito's and most IdPs' are internet endpoints): its subnets need a route out
      (re:Post knowledge-center/elb-configure-authentication-alb, "HTTP 500"), which ``network.nat: none`` denies.
    - The controller's pods reach AWS only through interface endpoints (their NetworkPolicy admits nothing else):
      elasticloadbalancing and ec2 must be among them (sts already is).
    - An existing certificate must be in the stack's region (an ALB listener takes a certificate of its region).
    - Production keeps deletion protection and 90 days of access logs.
    """
    if nat == "none":
        raise ValueError(
            "access needs network.nat single or per-az: the load balancer calls the IdP's token and user-info "
            "endpoints itself when people sign in"
        )
    missing = [service for service in CONTROLLER_ENDPOINTS if service not in interface_endpoints]
    if missing:
        raise ValueError(
            f"access needs {missing} in network.interfaceEndpoints: the load balancer controller reaches the AWS APIs "
            "only through interface endpoints (its NetworkPolicy admits nothing else)"
        )
    if access.certificate.arn is not None:
        match = CERTIFICATE_ARN.match(access.certificate.arn)
        if match and match.group(1) != region:
            raise ValueError(
                f"access.certificate.arn is in {match.group(1)}; the load balancers need a certificate in {region}"
            )
    if not tracking_enabled and not airflow_on_cluster and not access.clients.models:
        raise ValueError("access has nothing to expose: no MLflow, no Airflow on the cluster, no clients.models")
    if access.clients.models and not kserve_enabled:
        raise ValueError("access.clients.models needs cluster.kserve.enabled (the routes go to KServe predictors)")
    if tier == "production":
        if access.deletion_protection is False:
            raise ValueError("a production-tier stack keeps access.deletionProtection (load balancers, user pool)")
        if access.access_log_days < PRODUCTION_MIN_ACCESS_LOG_DAYS:
            raise ValueError(
                f"a production-tier stack keeps load balancer access logs at least {PRODUCTION_MIN_ACCESS_LOG_DAYS} "
                "days (access.accessLogDays)"
            )


CONTROLLER_ENDPOINTS = ("elasticloadbalancing", "ec2", "sts")
"""Interface endpoints the controller calls (components.access.controller.REQUIRED_ENDPOINTS)."""
PRODUCTION_MIN_ACCESS_LOG_DAYS = 90
"""Shortest access-log retention in the production tier (as every other log of the platform)."""


def deletion_protection(access: AccessConfig, tier: str) -> bool:
    """Whether the load balancers and the user pool are deletion-protected: explicit, else the production tier."""
    return access.deletion_protection if access.deletion_protection is not None else tier == "production"


SECRET_PATHS = (("auth", "oidc", "clientSecret"),)
"""Keys of `mlops:access` that hold secrets (camelCase path below the section)."""


def plaintext_secrets(values: Mapping[str, Any], *, source: str = "") -> list[str]:
    """Problems for secrets written in plain text in a stack file's raw ``config:`` map (as read from the file).

    The real engine decrypts ``secure:`` values before the program sees them, so the config model cannot tell a
    decrypted secret from a plain-text one; the stack file can. Call it where stack files are read
    (``components.config.load_stack_file``), so `mlopsctl plan`, `diff` and CI refuse them.
    """
    section = values.get("mlops:access")
    problems = []
    for path in SECRET_PATHS:
        value: Any = section
        for key in path:
            value = value.get(key) if isinstance(value, Mapping) else None
        if isinstance(value, str):
            key = "mlops:access." + ".".join(path)
            problems.append(
                f"{key}: a secret in plain text{f' in {source}' if source else ''}; remove it and set it with "
                f"`pulumi config set --secret --path '{key}' <value>`"
            )
    return problems


__all__ = [
    "CHART_VERSION",
    "IMAGE_TAG",
    "AccessConfig",
    "AuthConfig",
    "CertificateConfig",
    "ClientsConfig",
    "CognitoConfig",
    "ControllerConfig",
    "OidcConfig",
    "PublicEntryConfig",
    "VerifiedAccessConfig",
    "check_platform",
    "deletion_protection",
    "plaintext_secrets",
    "read_ca_bundle",
]
