"""`mlops:access`: the valid section's defaults, one test per inconsistent choice (each error names the key),
the checks against the rest of the stack, and plain-text secrets refused where stack files are read."""

from __future__ import annotations

from typing import Any

import pytest
from access_testkit import BASE, CERT, OIDC, ZONE, parse, problems, section

from components.access.config import (
    CHART_VERSION,
    IMAGE_TAG,
    SECRET_PLACEHOLDER,
    check_platform,
    deletion_protection,
    plaintext_secrets,
    read_ca_bundle,
)


def test_the_valid_section_and_its_safe_defaults() -> None:
    config = parse(BASE)
    assert config.auth.kind == "cognito" and config.auth.oidc is None
    assert config.auth.session_timeout_seconds == 28800
    assert config.auth.cognito.threat_protection == "off" and config.auth.cognito.saml_metadata_url is None
    assert config.clients.models == ["churn"] and config.clients.mlflow_api is True
    assert config.public is None and config.verified_access.enabled is False
    assert (
        (config.controller.chart_version, config.controller.image_tag)
        == (CHART_VERSION, IMAGE_TAG)
        == ("3.5.0", "v3.5.0")
    )
    assert config.controller.replicas == 2 and config.access_log_days == 90
    assert config.deletion_protection is None
    assert deletion_protection(config, "production") is True and deletion_protection(config, "development") is False


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # Nobody could get in.
        (section(clientCidrs=[]), "mlops:access: clientCidrs is empty and neither verifiedAccess nor public is set"),
        # The whole internet, or too wide to be an allow-list.
        (section(clientCidrs=["0.0.0.0/0"]), "mlops:access.clientCidrs: '0.0.0.0/0' opens to the whole internet"),
        (section(clientCidrs=["10.0.0.0/7"]), "mlops:access.clientCidrs: '10.0.0.0/7' is wider than /8"),
        (section(clientCidrs=["10.0.0.0/8", "10.0.0.0/8"]), "mlops:access.clientCidrs: duplicate CIDR blocks"),
        # Domain.
        (section(domain="Example.COM"), "mlops:access.domain: 'Example.COM' is not a lowercase DNS domain"),
        (section(domain="localhost"), "mlops:access.domain: 'localhost' is not a lowercase DNS domain"),
        # Certificate: exactly one source.
        (section(certificate={}), "mlops:access.certificate: set exactly one of arn"),
        (section(certificate={"arn": CERT, "validationZoneId": ZONE}), "mlops:access.certificate: set exactly one"),
        (
            section(certificate={"arn": "arn:aws:iam::1:role/x"}),
            "mlops:access.certificate.arn: 'arn:aws:iam::1:role/x' is not an ACM",
        ),
        (
            section(certificate={"validationZoneId": "zone"}),
            "mlops:access.certificate.validationZoneId: 'zone' is not a Route 53",
        ),
        # OIDC without its settings, or without an issuer, or with plain http.
        (section(auth={"kind": "oidc"}), "mlops:access: auth.oidc is required when auth.kind is oidc"),
        (
            section(auth={"kind": "oidc", "oidc": {k: v for k, v in OIDC.items() if k != "issuer"}}),
            "mlops:access.auth.oidc.issuer: required key is missing",
        ),
        (
            section(auth={"kind": "oidc", "oidc": {**OIDC, "tokenEndpoint": "http://idp.example.com/token"}}),
            "mlops:access.auth.oidc.tokenEndpoint: endpoint: 'http://idp.example.com/token' is not an https:// URL",
        ),
        (
            section(auth={"kind": "oidc", "oidc": {**OIDC, "clientSecret": ""}}),
            "mlops:access.auth.oidc.clientSecret: a non-empty secret",
        ),
        (
            section(auth={"kind": "oidc", "oidc": {**OIDC, "scope": "email"}}),
            "mlops:access.auth.oidc.scope: 'email' must include the openid scope",
        ),
        (section(auth={"oidc": OIDC}), "mlops:access: auth.oidc is set but unused"),
        (section(auth={"kind": "saml"}), "mlops:access.auth.kind: Input should be 'cognito' or 'oidc'"),
        (
            section(auth={"sessionTimeoutSeconds": 10}),
            "mlops:access.auth.sessionTimeoutSeconds: Input should be greater than or equal to 300",
        ),
        (
            section(auth={"cognito": {"samlMetadataUrl": "http://portal.sso.example.com/saml"}}),
            "mlops:access.auth.cognito.samlMetadataUrl: samlMetadataUrl: 'http://portal.sso.example.com/saml' is not an https:// URL",
        ),
        (section(auth={"cognito": {"providerName": "COGNITO"}}), "mlops:access.auth.cognito.providerName: 'COGNITO'"),
        # Machine clients without a CA, or without a network to come from.
        (section(clients={"models": ["churn"]}), "mlops:access.clients: models need caBundle"),
        (section(clients={"mlflowApi": True}), "mlops:access.clients: mlflowApi needs caBundle"),
        (
            section(clients={"caBundle": "/etc/ca.pem"}),
            "mlops:access.clients.caBundle: '/etc/ca.pem': a path under certs/",
        ),
        (
            section(clients={"caBundle": "certs/missing.pem"}),
            "mlops:access.clients.caBundle: certs/missing.pem: no such file",
        ),
        (
            section(clients={"caBundle": "certs/rds-ca/README.md"}),
            "mlops:access.clients.caBundle: certs/rds-ca/README.md: not a PEM",
        ),
        (
            section(clients={"caBundle": "certs/clients-ca.pem", "models": ["Churn"]}),
            "mlops:access.clients.models: 'Churn' is not an InferenceService",
        ),
        (
            section(clients={"caBundle": "certs/clients-ca.pem", "models": ["a", "a"]}),
            "mlops:access.clients.models: duplicate model names",
        ),
        (
            section(
                clientCidrs=[],
                verifiedAccess={"enabled": True, "allowedGroupIds": ["c242c5b0-6081-1845-6fa8-6e0d9513c107"]},
            ),
            "mlops:access: clients.models: client applications connect from clientCidrs, which is empty",
        ),
        # Public entry: an allow-list, a public zone, and not with Verified Access.
        (section(public={}), "mlops:access.public.allowedCidrs: required key is missing"),
        (section(public={"allowedCidrs": []}), "mlops:access.public.allowedCidrs: List should have at least 1 item"),
        (
            section(public={"allowedCidrs": ["0.0.0.0/0"]}),
            "mlops:access.public.allowedCidrs: '0.0.0.0/0' opens to the whole internet",
        ),
        (
            section(public={"allowedCidrs": ["203.0.113.0/24"]}, certificate={"arn": CERT}),
            "mlops:access: public needs certificate.validationZoneId",
        ),
        (
            section(
                public={"allowedCidrs": ["203.0.113.0/24"]},
                verifiedAccess={"enabled": True, "allowedGroupIds": ["c242c5b0-6081-1845-6fa8-6e0d9513c107"]},
            ),
            "mlops:access: public and verifiedAccess.enabled exclude each other",
        ),
        # Verified Access: somebody must be let in, by a policy that fits the trust provider.
        (
            section(verifiedAccess={"enabled": True}),
            "mlops:access.verifiedAccess: allowedGroupIds (or policy) is required",
        ),
        (
            section(verifiedAccess={"enabled": True, "trustProvider": "oidc"}),
            "mlops:access.verifiedAccess: trustProvider oidc needs policy",
        ),
        (
            section(
                verifiedAccess={
                    "enabled": True,
                    "trustProvider": "oidc",
                    "policy": "permit(principal, action, resource) when { context.idp.email_verified == true };",
                }
            ),
            "mlops:access: verifiedAccess.trustProvider oidc uses auth.oidc",
        ),
        (
            section(verifiedAccess={"enabled": True, "policy": "allow all"}),
            "mlops:access.verifiedAccess: policy must be a Cedar policy",
        ),
        (
            section(verifiedAccess={"enabled": True, "allowedGroupIds": ["admins"]}),
            "mlops:access.verifiedAccess.allowedGroupIds: 'admins' is not an IAM Identity Center group id",
        ),
        (
            section(
                certificate={"arn": CERT},
                verifiedAccess={"enabled": True, "allowedGroupIds": ["c242c5b0-6081-1845-6fa8-6e0d9513c107"]},
            ),
            "mlops:access: verifiedAccess.publicZoneId is required with certificate.arn",
        ),
        # Controller and retention.
        (
            section(controller={"chartVersion": "latest"}),
            "mlops:access.controller.chartVersion: String should match pattern",
        ),
        (
            section(controller={"replicas": 0}),
            "mlops:access.controller.replicas: Input should be greater than or equal to 1",
        ),
        (section(accessLogDays=0), "mlops:access.accessLogDays: Input should be greater than or equal to 1"),
        (section(unknownKey=1), "mlops:access.unknownKey: unknown key"),
    ],
)
def test_an_inconsistent_choice_is_an_error_naming_the_key(raw: dict[str, Any], expected: str) -> None:
    found = problems(raw)
    assert any(line.startswith(expected) or expected in line for line in found), found


def test_oidc_and_the_secret_in_both_engine_shapes() -> None:
    # Offline (and as the stack file is read), a secure value is {secure: <ciphertext>}: opaque, never plain text.
    offline = parse(section(auth={"kind": "oidc", "oidc": OIDC}))
    assert offline.auth.oidc is not None
    assert offline.auth.oidc.client_secret.get_secret_value() == SECRET_PLACEHOLDER
    # The real engine hands the program the decrypted string; it never shows in a repr or an error.
    real = parse(section(auth={"kind": "oidc", "oidc": {**OIDC, "clientSecret": "s3cr3t-value"}}))
    assert real.auth.oidc is not None and real.auth.oidc.client_secret.get_secret_value() == "s3cr3t-value"
    assert "s3cr3t-value" not in repr(real)


def test_verified_access_with_identity_center_and_its_zone() -> None:
    config = parse(
        section(
            clientCidrs=["10.0.0.0/8"],
            verifiedAccess={"enabled": True, "allowedGroupIds": ["c242c5b0-6081-1845-6fa8-6e0d9513c107"]},
        )
    )
    assert config.verified_access_zone_id == ZONE
    only_va = parse(
        section(
            clientCidrs=[],
            clients={},
            verifiedAccess={"enabled": True, "allowedGroupIds": ["c242c5b0-6081-1845-6fa8-6e0d9513c107"]},
        )
    )
    assert only_va.client_cidrs == [] and only_va.clients.ca_bundle is None


def test_plain_text_secrets_in_a_stack_file_are_refused_naming_the_key_and_the_command() -> None:
    plain = {"mlops:access": {"auth": {"kind": "oidc", "oidc": {**OIDC, "clientSecret": "hunter2"}}}}
    (problem,) = plaintext_secrets(plain, source="stacks/Pulumi.dev.yaml")
    assert problem.startswith("mlops:access.auth.oidc.clientSecret: a secret in plain text in stacks/Pulumi.dev.yaml")
    assert "pulumi config set --secret --path 'mlops:access.auth.oidc.clientSecret'" in problem
    assert "hunter2" not in problem
    assert plaintext_secrets({"mlops:access": {"auth": {"kind": "oidc", "oidc": OIDC}}}) == []
    assert plaintext_secrets({"mlops:network": {"nat": "single"}}) == []


PLATFORM: dict[str, Any] = {
    "region": "eu-west-1",
    "nat": "single",
    "tier": "development",
    "tracking_enabled": True,
    "airflow_on_cluster": True,
    "kserve_enabled": True,
    "interface_endpoints": ["ecr.api", "ecr.dkr", "s3", "sts", "logs", "elasticloadbalancing", "ec2"],
}


@pytest.mark.parametrize(
    ("raw", "changes", "expected"),
    [
        (BASE, {"nat": "none"}, "access needs network.nat single or per-az"),
        (
            BASE,
            {"interface_endpoints": ["sts"]},
            "access needs ['elasticloadbalancing', 'ec2'] in network.interfaceEndpoints",
        ),
        (
            section(certificate={"arn": CERT.replace("eu-west-1", "us-east-1")}),
            {},
            "access.certificate.arn is in us-east-1; the load balancers need a certificate in eu-west-1",
        ),
        (section(clients={}), {"tracking_enabled": False, "airflow_on_cluster": False}, "access has nothing to expose"),
        (BASE, {"kserve_enabled": False}, "access.clients.models needs cluster.kserve.enabled"),
        (
            section(deletionProtection=False),
            {"tier": "production"},
            "a production-tier stack keeps access.deletionProtection",
        ),
        (
            section(accessLogDays=30),
            {"tier": "production"},
            "a production-tier stack keeps load balancer access logs at least 90",
        ),
    ],
)
def test_checks_against_the_rest_of_the_stack(raw: dict[str, Any], changes: dict[str, Any], expected: str) -> None:
    with pytest.raises(ValueError, match="^" + expected.replace("[", r"\[").replace("]", r"\]")):
        check_platform(parse(raw), **{**PLATFORM, **changes})


def test_the_shipped_example_passes_the_platform_checks() -> None:
    check_platform(parse(BASE), **PLATFORM)
    check_platform(parse(section(accessLogDays=365)), **{**PLATFORM, "tier": "production"})


def test_the_committed_client_ca_is_a_certificate_without_its_key() -> None:
    text = read_ca_bundle("certs/clients-ca.pem")
    assert text.count("BEGIN CERTIFICATE") == 1 and "PRIVATE KEY" not in text


def test_a_bundle_holding_a_private_key_is_refused(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "ca.pem").write_text("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    with pytest.raises(ValueError, match="holds a private key"):
        read_ca_bundle("certs/ca.pem")
    assert any("holds a private key" in p for p in problems(section(clients={"caBundle": "certs/ca.pem"})))
