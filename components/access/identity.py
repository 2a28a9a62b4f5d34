"""Who people are: the Amazon Cognito user pool federated to the company IdP, or an OIDC IdP the load balancer
talks to directly, turned into the listener-rule action that authenticates before every forward.

``authenticate_action`` is the only thing the load balancer part needs; the Cognito resources are children of the
:class:`~components.access.component.PlatformIngress` component.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.access.config import AuthConfig, OidcConfig
from components.access.documents import cognito_callback_urls

SESSION_COOKIE = "AWSELBAuthSessionCookie"
"""The load balancer's authentication session cookie (the ELB default name, set explicitly)."""


@dataclass(frozen=True)
class CognitoPool:
    """The user pool pieces the authenticate-cognito action names."""

    user_pool_id: pulumi.Output[str]
    user_pool_arn: pulumi.Output[str]
    client_id: pulumi.Output[str]
    domain: pulumi.Output[str]
    """The pool's domain prefix (``<prefix>.auth.<region>.amazoncognito.com`` serves the sign-in pages)."""


def cognito_pool(
    name: str,
    *,
    auth: AuthConfig,
    environment: str,
    account_id: pulumi.Input[str],
    hosts: Sequence[str],
    protect: bool,
    parent: pulumi.Resource,
) -> CognitoPool:
    """A user pool for people: no self sign-up, TOTP MFA for local users, admin-only account recovery, a
    confidential app client for the load balancer (authorization-code flow, ``/oauth2/idpresponse`` callbacks),
    and, with ``samlMetadataUrl``, the company IdP by SAML (IAM Identity Center: docs/adr/0004-the-way-in.md).

    Federated users take MFA from their IdP (Cognito's MFA applies to local users only).
    """
    cognito = auth.cognito
    child = pulumi.ResourceOptions(parent=parent)
    threat = cognito.threat_protection
    pool = aws.cognito.UserPool(
        f"{name}-users",
        name=f"mlops-{environment}-people",
        # Threat protection (advanced security) exists only in the Plus feature plan.
        user_pool_tier="PLUS" if threat != "off" else "ESSENTIALS",
        user_pool_add_ons=aws.cognito.UserPoolUserPoolAddOnsArgs(advanced_security_mode=threat.upper())
        if threat != "off"
        else None,
        deletion_protection="ACTIVE" if protect else "INACTIVE",
        admin_create_user_config=aws.cognito.UserPoolAdminCreateUserConfigArgs(allow_admin_create_user_only=True),
        username_attributes=["email"],
        auto_verified_attributes=["email"],
        mfa_configuration="ON",
        software_token_mfa_configuration=aws.cognito.UserPoolSoftwareTokenMfaConfigurationArgs(enabled=True),
        password_policy=aws.cognito.UserPoolPasswordPolicyArgs(
            minimum_length=14,
            require_lowercase=True,
            require_uppercase=True,
            require_numbers=True,
            require_symbols=True,
            temporary_password_validity_days=3,
        ),
        account_recovery_setting=aws.cognito.UserPoolAccountRecoverySettingArgs(
            recovery_mechanisms=[
                aws.cognito.UserPoolAccountRecoverySettingRecoveryMechanismArgs(name="admin_only", priority=1)
            ]
        ),
        opts=pulumi.ResourceOptions(parent=parent, protect=protect),
    )
    domain = aws.cognito.UserPoolDomain(
        f"{name}-users-domain",
        # Globally unique per region; "aws", "amazon" and "cognito" are not allowed in a prefix.
        domain=pulumi.Output.from_input(account_id).apply(lambda account: f"mlops-{environment}-{account}"),
        user_pool_id=pool.id,
        opts=child,
    )
    providers = ["COGNITO"]
    depends: list[pulumi.Resource] = []
    if cognito.saml_metadata_url is not None:
        idp = aws.cognito.IdentityProvider(
            f"{name}-users-saml",
            user_pool_id=pool.id,
            provider_name=cognito.provider_name,
            provider_type="SAML",
            provider_details={"MetadataURL": cognito.saml_metadata_url, "IDPSignout": "false"},
            attribute_mapping={"email": cognito.email_attribute},
            opts=child,
        )
        providers = [cognito.provider_name]
        depends.append(idp)
    client = aws.cognito.UserPoolClient(
        f"{name}-users-alb",
        name=f"mlops-{environment}-load-balancer",
        user_pool_id=pool.id,
        # The load balancer is a confidential client: it exchanges the code at the token endpoint with a secret that
        # Cognito generates and the authenticate-cognito action reads itself (no secret in config or state inputs).
        generate_secret=True,
        allowed_oauth_flows_user_pool_client=True,
        allowed_oauth_flows=["code"],
        allowed_oauth_scopes=["openid", "email"],
        callback_urls=cognito_callback_urls(hosts),
        supported_identity_providers=providers,
        explicit_auth_flows=["ALLOW_REFRESH_TOKEN_AUTH"],
        prevent_user_existence_errors="ENABLED",
        enable_token_revocation=True,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=depends),
    )
    return CognitoPool(user_pool_id=pool.id, user_pool_arn=pool.arn, client_id=client.id, domain=domain.domain)


def client_secret(oidc: OidcConfig) -> pulumi.Output[str]:
    """The OIDC client secret as a Pulumi secret: never in plain text in a plan, a diff or the state's inputs."""
    return pulumi.Output.secret(oidc.client_secret.get_secret_value())


def authenticate_action(auth: AuthConfig, pool: CognitoPool | None, *, order: int = 1) -> aws.lb.ListenerRuleActionArgs:
    """The authenticate action that precedes every forward of the people entry.

    ``on_unauthenticated_request: authenticate`` redirects browsers to sign in; the session cookie then carries
    the identity for ``session_timeout_seconds``. The load balancer passes the user's claims to the target in
    ``x-amzn-oidc-*`` headers (ELB user guide, "Authenticate users using an Application Load Balancer").
    """
    common = {
        "on_unauthenticated_request": "authenticate",
        "scope": "openid email",
        "session_cookie_name": SESSION_COOKIE,
        "session_timeout": auth.session_timeout_seconds,
    }
    if auth.kind == "cognito":
        if pool is None:
            raise ValueError("authenticate_action: kind cognito needs the user pool")
        return aws.lb.ListenerRuleActionArgs(
            type="authenticate-cognito",
            order=order,
            authenticate_cognito=aws.lb.ListenerRuleActionAuthenticateCognitoArgs(
                user_pool_arn=pool.user_pool_arn,
                user_pool_client_id=pool.client_id,
                user_pool_domain=pool.domain,
                **common,
            ),
        )
    oidc = auth.oidc
    if oidc is None:
        raise ValueError("authenticate_action: kind oidc needs access.auth.oidc")
    return aws.lb.ListenerRuleActionArgs(
        type="authenticate-oidc",
        order=order,
        authenticate_oidc=aws.lb.ListenerRuleActionAuthenticateOidcArgs(
            issuer=oidc.issuer,
            authorization_endpoint=oidc.authorization_endpoint,
            token_endpoint=oidc.token_endpoint,
            user_info_endpoint=oidc.user_info_endpoint,
            client_id=oidc.client_id,
            client_secret=client_secret(oidc),
            **{**common, "scope": oidc.scope},
        ),
    )


__all__ = ["SESSION_COOKIE", "CognitoPool", "authenticate_action", "client_secret", "cognito_pool"]
