"""ImageRegistry: Amazon ECR as the platform's only registry.

- The team's repositories (``mlops/<environment>/<name>``): immutable tags, scan on push, encrypted with the
  registry's customer key, a lifecycle policy; repository policies (:meth:`ImageRegistry.allow_pull`) let only
  the cluster's nodes pull and only the CI role push.
- The pull-through cache every platform image comes through (``<host>/<prefix>/<upstream path>``): one rule
  per upstream; upstreams that need a login read it from an ``ecr-pullthroughcache/`` secret (created with a
  placeholder unless ``credentialArns`` names one: docs/adr/0003-registry-and-air-gap.md says how the token
  gets in); one creation template per prefix makes the repositories ECR creates on a first pull immutable,
  KMS-encrypted, tagged, read-only to everyone but ECR, with a lifecycle policy.
- Mirror repositories for upstreams ECR cannot cache (``mirror/nvcr/...``), filled by CI.
- The registry scanning configuration (basic scan on push, or Inspector's enhanced continuous scanning).
- The CI role: GitHub Actions through OIDC, scoped to the team's and mirror repositories.

Cache rules, their secrets, the templates, mirrors and the scanning configuration are one per account and
region: only the stack with ``accountSettings`` (default) creates them. The documents are pure functions in
:mod:`components.registry.policies`; image references in :mod:`components.registry.images`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.config_base import validate_placement
from components.iam import partition_of
from components.registry import policies
from components.registry.config import RegistryConfig
from components.registry.images import RegistryBase
from contracts.registry import CREDENTIALS_SECRET_PREFIX, TEAM_PREFIX, UPSTREAM_BY_PREFIX, parse_reference

PLACEHOLDER_LOGIN = {"username": "set-me", "accessToken": "set-me"}
"""Initial value of a stack-created upstream login secret: not a credential. CreatePullThroughCacheRule reads
the secret (it fails with SecretNotFound/UnableToAccessSecret otherwise), so a value must exist; the operator
replaces it with ``put-secret-value`` and the stack never writes it again (``ignore_changes``)."""


@dataclass(frozen=True, kw_only=True)
class ImageRegistryArgs:
    """Inputs of :class:`ImageRegistry`."""

    config: RegistryConfig
    """The stack's ``mlops:registry`` section."""
    environment: str
    """Environment name: team repositories are ``mlops/<environment>/<name>``, the key alias ``alias/mlops-<env>-registry``."""
    region: str
    """The stack's region: repository ARNs and the registry host."""
    account_id: pulumi.Input[str]
    """The stack's account: repository ARNs, the registry host, the GitHub OIDC provider."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Required tags, put on the repositories ECR creates from the templates (provider default tags never reach
    them)."""
    force_delete: bool = False
    """Let ``pulumi destroy`` delete team repositories that still hold images (phoenix stacks)."""


def validate_args(args: ImageRegistryArgs) -> None:
    """Reject impossible plain inputs before any resource exists."""
    validate_placement(args.environment, args.region, args.account_id)
    for key in args.tags:
        if key.startswith("aws:"):
            raise ValueError(f"ImageRegistryArgs.tags: {key!r}: the aws: prefix is reserved by AWS")


def team_repository_name(environment: str, name: str) -> str:
    """``mlops/<environment>/<name>``: never under an upstream's prefix, unique per stack."""
    return f"{TEAM_PREFIX}/{environment}/{name}"


def mirror_repository_name(image: str) -> str:
    """``mirror/nvcr/nvidia/k8s-device-plugin`` for ``nvcr.io/nvidia/k8s-device-plugin``."""
    ref = parse_reference(image)
    upstream = next(u for u in UPSTREAM_BY_PREFIX.values() if u.registry == ref.registry)
    return f"{upstream.prefix}/{ref.repository}"


def _slug(text: str) -> str:
    return text.replace("/", "-").replace(".", "-").replace("_", "-")


class ImageRegistry(pulumi.ComponentResource):
    """The stack's Amazon ECR registry: team repositories, pull-through cache, mirrors, scanning, CI role."""

    base: pulumi.Output[RegistryBase]
    """Account and region of the registry: what every Helm values builder takes to rewrite its images."""
    key_arn: pulumi.Output[str]
    """The registry's customer key (team, mirror and cache repositories)."""
    repository_urls: dict[str, pulumi.Output[str]]
    """Team repository (config name) -> its URL."""
    ci_role_arn: pulumi.Output[str] | None
    """The CI role (None without ``registry.ci``)."""
    pull_ready: list[pulumi.Resource]
    """Cache rules and templates: Kubernetes resources pulling through the cache wait for these."""
    login_secret_arns: dict[str, pulumi.Output[str]]
    """Upstream prefix -> the stack-created ``ecr-pullthroughcache/`` secret the operator puts its login in."""

    def __init__(self, name: str, args: ImageRegistryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:registry:ImageRegistry", name, None, opts)
        validate_args(args)
        config, region, env = args.config, args.region, args.environment
        partition = partition_of(region)
        account = pulumi.Output.from_input(args.account_id)
        self._args = args
        self._partition = partition
        self._account = account
        self.base = account.apply(lambda a: RegistryBase(account_id=a, region=region))

        key = aws.kms.Key(
            f"{name}-key",
            description=f"ECR repositories of {env} (team images, mirrors, pull-through cache)",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=account.apply(lambda a: policies.key_policy(partition=partition, account=a)),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.kms.Alias(
            f"{name}-key-alias",
            name=f"alias/mlops-{env}-registry",
            target_key_id=key.key_id,
            opts=pulumi.ResourceOptions(parent=key),
        )
        self.key_arn = key.arn
        lifecycle = policies.lifecycle_policy(
            keep_images=config.lifecycle.keep_images, untagged_days=config.lifecycle.untagged_days
        )

        # --- Team repositories -----------------------------------------------------------------------------
        self._team: dict[str, aws.ecr.Repository] = {}
        for repo in config.repositories:
            self._team[repo] = self._repository(
                f"{name}-{_slug(repo)}", team_repository_name(env, repo), key, lifecycle, args.force_delete
            )
        self.repository_urls = {repo: r.repository_url for repo, r in self._team.items()}

        self.pull_ready = []
        self.login_secret_arns = {}
        self._mirrors: dict[str, aws.ecr.Repository] = {}
        if config.account_settings:
            self._account_settings(name, key, lifecycle)

        # --- CI role ---------------------------------------------------------------------------------------
        self.ci_role_arn = None
        if config.ci is not None:
            self.ci_role_arn = self._ci_role(name, key)

        self.register_outputs(
            {
                "keyArn": self.key_arn,
                "repositoryUrls": self.repository_urls,
                "ciRoleArn": self.ci_role_arn,
                "loginSecretArns": self.login_secret_arns,
            }
        )

    def _repository(
        self, resource_name: str, name: str, key: aws.kms.Key, lifecycle: str, force_delete: bool
    ) -> aws.ecr.Repository:
        repo = aws.ecr.Repository(
            resource_name,
            name=name,
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(scan_on_push=True),
            encryption_configurations=[
                aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="KMS", kms_key=key.arn)
            ],
            force_delete=force_delete,
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.ecr.LifecyclePolicy(
            f"{resource_name}-lifecycle",
            repository=repo.name,
            policy=lifecycle,
            opts=pulumi.ResourceOptions(parent=repo),
        )
        return repo

    def _account_settings(self, name: str, key: aws.kms.Key, lifecycle: str) -> None:
        """Cache rules (and logins), creation templates, mirror repositories, the scanning configuration."""
        args, config, partition, account = self._args, self._args.config, self._partition, self._account
        region = args.region
        # Mirrors: ECR cannot cache these upstreams; CI copies the pinned tags in (account-wide, never deleted
        # with a non-empty repository: force_delete stays off).
        for image in config.mirrors:
            repo_name = mirror_repository_name(image)
            self._mirrors[image] = self._repository(f"{name}-{_slug(repo_name)}", repo_name, key, lifecycle, False)

        prefixes = list(config.upstreams)
        if not prefixes:
            return
        for prefix in prefixes:
            upstream = UPSTREAM_BY_PREFIX[prefix]
            credential: pulumi.Input[str] | None = None
            if upstream.credentials:
                credential = config.credential_arns.get(prefix)
                if credential is None:
                    credential = self.login_secret_arns[prefix] = self._login_secret(name, prefix)
            self.pull_ready.append(
                aws.ecr.PullThroughCacheRule(
                    f"{name}-cache-{_slug(prefix)}",
                    ecr_repository_prefix=prefix,
                    upstream_registry_url=upstream.url,
                    credential_arn=credential,
                    opts=pulumi.ResourceOptions(parent=self),
                )
            )

        # Templates: KMS and resource tags need a custom role (ECR user guide, repository creation templates).
        role = aws.iam.Role(
            f"{name}-template-role",
            description="ECR creates pull-through cache repositories (KMS-encrypted, tagged) as this role",
            assume_role_policy=account.apply(lambda a: policies.template_role_trust(account=a)),
            opts=pulumi.ResourceOptions(parent=self),
        )
        role_policy = aws.iam.RolePolicy(
            f"{name}-template-role-policy",
            role=role.id,
            policy=pulumi.Output.all(account, key.arn).apply(
                lambda v: policies.template_role_policy(
                    partition=partition, region=region, account=str(v[0]), prefixes=prefixes, key_arn=str(v[1])
                )
            ),
            opts=pulumi.ResourceOptions(parent=role),
        )
        cache_policy = account.apply(lambda a: policies.cache_repository_policy(partition=partition, account=a))
        for prefix in prefixes:
            self.pull_ready.append(
                aws.ecr.RepositoryCreationTemplate(
                    f"{name}-template-{_slug(prefix)}",
                    prefix=prefix,
                    description=f"Repositories the pull-through cache creates under {prefix}/",
                    applied_fors=["PULL_THROUGH_CACHE"],
                    image_tag_mutability="IMMUTABLE",
                    encryption_configurations=[
                        aws.ecr.RepositoryCreationTemplateEncryptionConfigurationArgs(
                            encryption_type="KMS", kms_key=key.arn
                        )
                    ],
                    custom_role_arn=role.arn,
                    repository_policy=cache_policy,
                    lifecycle_policy=lifecycle,
                    resource_tags=dict(sorted(args.tags.items())),
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[role_policy]),
                )
            )

        # One per registry: basic scanning on push (repository setting kept too), or Inspector continuous.
        scan_type = "ENHANCED" if config.enhanced_scanning else "BASIC"
        frequency = "CONTINUOUS_SCAN" if config.enhanced_scanning else "SCAN_ON_PUSH"
        aws.ecr.RegistryScanningConfiguration(
            f"{name}-scanning",
            scan_type=scan_type,
            rules=[
                aws.ecr.RegistryScanningConfigurationRuleArgs(
                    scan_frequency=frequency,
                    repository_filters=[
                        aws.ecr.RegistryScanningConfigurationRuleRepositoryFilterArgs(
                            filter="*", filter_type="WILDCARD"
                        )
                    ],
                )
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _login_secret(self, name: str, prefix: str) -> pulumi.Output[str]:
        """An ``ecr-pullthroughcache/`` secret for an upstream's login, with a placeholder the operator replaces.

        Encrypted with the AWS managed key ``aws/secretsmanager``: the pull-through cache's service-linked role
        may only ``secretsmanager:GetSecretValue`` on ``ecr-pullthroughcache/*`` (AWSECRPullThroughCache_
        ServiceRolePolicy v3); a customer key would need a key-policy grant to that role, which a fresh account
        does not have until its first cache rule.
        """
        secret = aws.secretsmanager.Secret(
            f"{name}-login-{_slug(prefix)}",
            name_prefix=f"{CREDENTIALS_SECRET_PREFIX}{self._args.environment}-{_slug(prefix)}-",
            description=f"Login (username, accessToken) of the {prefix} upstream for ECR's pull-through cache",
            recovery_window_in_days=7,
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.secretsmanager.SecretVersion(
            f"{name}-login-{_slug(prefix)}-placeholder",
            secret_id=secret.id,
            secret_string=pulumi.Output.secret(json.dumps(PLACEHOLDER_LOGIN, sort_keys=True)),
            # The operator's put-secret-value must survive every later `pulumi up`.
            opts=pulumi.ResourceOptions(parent=secret, ignore_changes=["secretString", "versionStages"]),
        )
        arn: pulumi.Output[str] = secret.arn
        return arn

    def _ci_role(self, name: str, key: aws.kms.Key) -> pulumi.Output[str]:
        args = self._args
        ci = args.config.ci
        assert ci is not None
        provider = self._github_provider(name, ci.oidc_provider)
        role = aws.iam.Role(
            f"{name}-ci-role",
            description=f"GitHub Actions of {ci.repository} push the team's images ({args.environment})",
            assume_role_policy=provider.arn.apply(
                lambda arn: policies.ci_trust_policy(provider_arn=arn, repository=ci.repository, refs=ci.refs)
            ),
            max_session_duration=3600,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[provider]),
        )
        repositories: list[pulumi.Output[str]] = [r.arn for r in (*self._team.values(), *self._mirrors.values())]
        if repositories:
            aws.iam.RolePolicy(
                f"{name}-ci-push",
                role=role.id,
                policy=pulumi.Output.all(key.arn, *repositories).apply(
                    lambda v: policies.ci_push_policy(repository_arns=[str(a) for a in v[1:]], key_arn=str(v[0]))
                ),
                opts=pulumi.ResourceOptions(parent=role),
            )
        arn: pulumi.Output[str] = role.arn
        return arn

    def _github_provider(self, name: str, mode: str) -> aws.iam.OpenIdConnectProvider:
        """The account's GitHub OIDC provider: adopted (import) or created; shared, so kept on destroy."""
        import_id: str | None = None
        if mode == "import":
            # The import id is the provider's ARN: the account must be known as a plain value here.
            identity = aws.get_caller_identity(opts=pulumi.InvokeOptions(parent=self))
            import_id = policies.github_oidc_provider_arn(self._partition, identity.account_id)
        return aws.iam.OpenIdConnectProvider(
            f"{name}-github-oidc",
            url=f"https://{policies.GITHUB_OIDC_HOST}",
            client_id_lists=["sts.amazonaws.com"],
            opts=pulumi.ResourceOptions(
                parent=self,
                import_=import_id,
                retain_on_delete=True,
                ignore_changes=["clientIdLists", "thumbprintLists", "tags", "tagsAll"],
            ),
        )

    def allow_pull(self, name: str, puller_role_arns: Sequence[pulumi.Input[str]]) -> None:
        """Repository policies of the team repositories: only these roles (the nodes) and CI may pull, only CI
        may push. Called once the node role exists (after the cluster)."""
        partition = self._partition
        pushers: list[pulumi.Input[str]] = [self.ci_role_arn] if self.ci_role_arn is not None else []
        principals = pulumi.Output.all(self._account, *puller_role_arns, *pushers)
        count = len(puller_role_arns)
        for repo, resource in self._team.items():
            aws.ecr.RepositoryPolicy(
                f"{name}-{_slug(repo)}-policy",
                repository=resource.name,
                policy=principals.apply(
                    lambda v: policies.team_repository_policy(
                        partition=partition,
                        account=str(v[0]),
                        pullers=[str(a) for a in v[1 : 1 + count]],
                        pushers=[str(a) for a in v[1 + count :]],
                    )
                ),
                opts=pulumi.ResourceOptions(parent=resource),
            )


__all__ = [
    "PLACEHOLDER_LOGIN",
    "ImageRegistry",
    "ImageRegistryArgs",
    "mirror_repository_name",
    "team_repository_name",
    "validate_args",
]
