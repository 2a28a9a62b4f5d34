"""Phoenix environments: per-PR stacks that expire, and a reaper that leaves nothing behind.

Modules, one job each:
    expiry      TTL durations, expiry timestamps, the safety verdict on a resource's tags
    settings    the template stack file (stacks/Pulumi.phoenix.yaml) and its protected lists
    stacks      per-PR stack lifecycle over the PhoenixWorkspace interface
    automation  PhoenixWorkspace on the Pulumi Automation API (needs the Pulumi CLI)
    aws         boto3 sessions/clients per region, tag and paging helpers
    retry       error classification and exponential backoff
    handlers/   one module per AWS service: list and delete one kind; HANDLERS is the deletion order
    sweep       list, filter and delete across regions, with a status per resource
    reap        protection checks, then stacks, then sweep
    report      json / markdown / text rendering
    cli         the typer commands (phoenix_app)
"""
