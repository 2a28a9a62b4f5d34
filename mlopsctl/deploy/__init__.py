"""Deploy invariants checked offline on every plan: what a real first ``pulumi up`` needs that the mock
runtime cannot see (ordering, the layer split, Helm waits, API reachability, principals, engine versions,
pinned images).

Each check is a pure function over the captured graph (``mlopsctl.deploy.<check module>``);
``mlopsctl.deploy.report.evaluate_deploy`` runs them all for the plan's ``deploy`` section, and
``mlopsctl deploy targets`` (``mlopsctl.deploy.cli``) prints the layer target lists. Nothing is imported
here, so registering the command costs the CLI no start-up time.
"""
