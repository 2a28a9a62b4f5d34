"""kms-key-policy-no-cross-account: no key policy lets another AWS account use or manage the key unconditionally.

A key policy statement naming a principal of another account (``arn:aws:iam::<other>:root``, one of its roles,
or the bare account id) hands that account the key: with ``kms:Decrypt`` every copy of the data it protects
(snapshots shared or stolen, replicated objects) is readable there, with ``kms:*`` the key itself can be
disabled or scheduled for deletion from outside. Statements of that shape are fine only with a condition
confining them (``kms:ViaService``, ``kms:CallerAccount``, ``aws:PrincipalOrgID``, an encryption context...),
or for accounts listed in the rule's ``trustedAccounts`` policy config.

Which account is "this" one: a key's ARN is an output, so it is read where the stack hands it on: an input of
another resource computed from the key (``kmsKeyId=key.arn``) holds ``arn:aws:kms:<region>:<account>:key/..``.
When no input shows it (a first preview, where ARNs are unknown), the accounts the policy's own
``kms:CallerAccount``/``aws:SourceAccount``/``aws:PrincipalAccount`` conditions name are used; with neither the
key is not judged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import pulumi_policy

from policies.mlops.iam_doc import actions, allows, statements
from policies.mlops.kms.key_policy_no_public_access import CONFINING_CONDITION_KEYS
from policies.mlops.props import as_map, as_strs, known
from policies.mlops.rule import Level, Severity, StackInput, StackReport, StackResource, stack_rule

KEY = "aws:kms/key:Key"
KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:(\d{12}):key/")
PRINCIPAL_ACCOUNT = re.compile(r"^arn:aws[a-z-]*:(?:iam|sts)::([^:]*):")
ACCOUNT_CONDITION_KEYS = ("kms:calleraccount", "aws:sourceaccount", "aws:principalaccount")
CONFINING_PREFIXES = ("kms:encryptioncontext:",)
EXTRA_CONFINING_KEYS = ("kms:encryptioncontextkeys", "aws:principalorgpaths", "aws:resourceorgid")


def _condition_keys(condition: Any) -> dict[str, list[str]]:
    """Condition key (lower-case) -> its values, over every operator block."""
    keys: dict[str, list[str]] = {}
    for block in as_map(condition).values():
        for key, value in as_map(block).items():
            keys.setdefault(str(key).lower(), []).extend(as_strs(value))
    return keys


def _confined(condition: Any) -> bool:
    keys = _condition_keys(condition)
    return any(
        key in CONFINING_CONDITION_KEYS or key in EXTRA_CONFINING_KEYS or key.startswith(CONFINING_PREFIXES)
        for key in keys
    )


def _principal_accounts(principal: Any) -> list[tuple[str, str]]:
    """(principal, its account) of every AWS principal; ``*`` alone is the public-access rule's business."""
    result = []
    for item in as_strs(as_map(principal).get("AWS")):
        if item == "*":
            continue
        if re.fullmatch(r"\d{12}", item):
            result.append((item, item))
            continue
        match = PRINCIPAL_ACCOUNT.match(item)
        if match:
            result.append((item, match.group(1) or "?"))
    return result


def _home_accounts(stack: StackInput) -> tuple[dict[str, set[str]], set[str]]:
    """Accounts shown by key ARNs other inputs received: per key URN, and over the whole stack."""
    keys = {r.urn for r in stack.of_type(KEY)}
    per_key: dict[str, set[str]] = {}
    everywhere: set[str] = set()
    for resource in stack.resources:
        for prop, deps in resource.property_dependencies.items():
            sources = [urn for urn in deps if urn in keys]
            if not sources:
                continue
            for value in as_strs(known(resource.props, prop)):
                match = KEY_ARN.match(value)
                if match:
                    everywhere.add(match.group(1))
                    if len(sources) == 1:
                        per_key.setdefault(sources[0], set()).add(match.group(1))
    return per_key, everywhere


def _policy_accounts(document: Any) -> set[str]:
    accounts: set[str] = set()
    for statement in statements(document):
        for key, values in _condition_keys(statement.get("Condition")).items():
            if key in ACCOUNT_CONDITION_KEYS:
                accounts.update(v for v in values if re.fullmatch(r"\d{12}", v))
    return accounts


def _check_key(
    key: StackResource, home: set[str], trusted: set[str], report: StackReport, document: Mapping[str, Any]
) -> None:
    for index, statement in enumerate(statements(document)):
        if not allows(statement) or _confined(statement.get("Condition")):
            continue
        for principal, account in _principal_accounts(statement.get("Principal")):
            if account in home or account in trusted:
                continue
            granted = ", ".join(actions(statement)) or "(no action)"
            whose = "every account" if account == "*" else f"account {account}"
            report(
                f"statement {statement.get('Sid') or index} allows {granted} to {principal} ({whose}, not this "
                f"stack's {', '.join(sorted(home))}) without a confining condition",
                key.urn,
            )


def _check(stack: StackInput, report: StackReport) -> None:
    trusted = set(as_strs(stack.policy_config.get("trustedAccounts")))
    per_key, everywhere = _home_accounts(stack)
    for key in stack.of_type(KEY):
        with stack.item():
            text = key.props.get("policy")
            if not isinstance(text, str) or not text:
                continue  # AWS's default key policy names only the key's own account
            try:
                document = json.loads(text)
            except json.JSONDecodeError:
                continue  # kms-key-policy-no-public-access reports it
            home = per_key.get(key.urn) or everywhere or _policy_accounts(document)
            if home:
                _check_key(key, home, trusted, report, as_map(document))


RULE = stack_rule(
    name="kms-key-policy-no-cross-account",
    description="KMS key policies grant principals of other AWS accounts nothing without a condition confining them.",
    level=Level.MANDATORY,
    severity=Severity.CRITICAL,
    remediation=(
        "Remove the statement, or confine it with a condition (kms:ViaService, kms:CallerAccount, aws:PrincipalOrgID, "
        "an encryption context); an account that must share the key goes in the rule's trustedAccounts policy config "
        "after review."
    ),
    resource_types=(KEY,),
    check=_check,
    config_schema=pulumi_policy.PolicyConfigSchema(
        properties={"trustedAccounts": {"type": "array", "items": {"type": "string", "pattern": "^\\d{12}$"}}}
    ),
)
